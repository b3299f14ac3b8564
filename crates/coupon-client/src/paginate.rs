//! Streams that follow `next_page_token` to the last page, one page at a time.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use coupon_model::ids::PageToken;
use coupon_model::operation::PagedOperation;
use futures_core::Stream;

use crate::error::Error;

/// A boxed stream of items across pages. Memory holds one page at most.
///
/// Pages are fetched lazily, one at a time, when the items before them have
/// been consumed. The stream ends after the page without a `next_page_token`.
/// An error (API, verification, transport, decode) is yielded once, after the
/// items already fetched, and ends the stream: nothing yielded is lost, and no
/// further page is requested. A server whose tokens loop, or that sends endless
/// empty pages, ends the stream with [`Error::Pagination`] instead of looping.
pub type ItemStream<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'static>>;

/// One page as the paginator needs it: its items and the next token.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_page_token: Option<String>,
}

/// The stream of every item of a paged operation: `call(request)` fetches one
/// page, with the request's `page_token` set to the token to fetch (the
/// request's own `page_token` first).
pub(crate) fn follow_pages<O, F, Fut>(request: O, call: F) -> ItemStream<O::Item>
where
    O: PagedOperation,
    F: Fn(O) -> Fut + Send + 'static,
    Fut: Future<Output = Result<O::Response, Error>> + Send + 'static,
{
    let first = request.page_token().map(|t| t.as_str().to_owned());
    paginate(first, move |token| {
        let mut request = request.clone();
        request.set_page_token(token.map(PageToken::from));
        let page = call(request);
        async move {
            let page = O::into_page(page.await?);
            Ok(Page {
                items: page.items,
                next_page_token: page.next_page_token.map(PageToken::into_string),
            })
        }
    })
}

/// More consecutive empty pages than this (each with a next token) is treated as a
/// server fault rather than followed forever.
const MAX_EMPTY_PAGES: u32 = 16;

/// Detects a token that comes back (a loop of any length) in constant memory,
/// with Brent's algorithm: remember one token, compare each new one with it, and
/// move the remembered token forward at power-of-two intervals. A loop is
/// detected within a small multiple (at most 4×) of the number of distinct
/// pages.
struct LoopDetector {
    saved: Option<String>,
    power: u64,
    steps: u64,
}

impl LoopDetector {
    fn new(first: Option<String>) -> Self {
        Self {
            saved: first,
            power: 1,
            steps: 0,
        }
    }

    /// Records the next token; `true` when it was seen before.
    fn repeats(&mut self, next: &str) -> bool {
        if self.saved.as_deref() == Some(next) {
            return true;
        }
        self.steps += 1;
        if self.steps == self.power {
            self.saved = Some(next.to_owned());
            self.power = self.power.saturating_mul(2);
            self.steps = 0;
        }
        false
    }
}

struct State<T, F> {
    fetch: F,
    buffer: VecDeque<T>,
    /// `Some(token)`: the next page to fetch; `None` with `started`: no more pages.
    next: Option<String>,
    started: bool,
    done: bool,
    empty_pages: u32,
    loops: LoopDetector,
    /// An error to yield once the buffered items are out.
    pending_error: Option<Error>,
}

/// Builds a stream from `fetch(page_token)`, called with `first_token` first and
/// then with each `next_page_token` until a page has none.
pub(crate) fn paginate<T, F, Fut>(first_token: Option<String>, fetch: F) -> ItemStream<T>
where
    T: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
{
    let state = State {
        fetch,
        buffer: VecDeque::new(),
        loops: LoopDetector::new(first_token.clone()),
        next: first_token,
        started: false,
        done: false,
        empty_pages: 0,
        pending_error: None,
    };
    Box::pin(futures_util::stream::unfold(
        state,
        |mut state| async move {
            loop {
                if let Some(item) = state.buffer.pop_front() {
                    return Some((Ok(item), state));
                }
                if let Some(err) = state.pending_error.take() {
                    return Some((Err(err), state));
                }
                if state.done || (state.started && state.next.is_none()) {
                    return None;
                }
                let token = state.next.take();
                state.started = true;
                let page = match (state.fetch)(token).await {
                    Ok(page) => page,
                    Err(err) => {
                        state.done = true;
                        return Some((Err(err), state));
                    }
                };
                if page.items.is_empty() {
                    state.empty_pages += 1;
                } else {
                    state.empty_pages = 0;
                }
                // Yield what the page had in every case, then any error.
                state.buffer.extend(page.items);
                let Some(next) = page.next_page_token else {
                    continue;
                };
                if state.loops.repeats(&next) {
                    state.done = true;
                    state.pending_error = Some(Error::Pagination(format!(
                        "the server sent next_page_token {next:?} again, so the pages would repeat forever"
                    )));
                } else if state.empty_pages > MAX_EMPTY_PAGES {
                    state.done = true;
                    state.pending_error = Some(Error::Pagination(format!(
                        "{} empty pages in a row, each with a next_page_token",
                        state.empty_pages
                    )));
                } else {
                    state.next = Some(next);
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::sync::{Arc, Mutex};

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    type Seen = Arc<Mutex<Vec<Option<String>>>>;

    /// A fake server: `pages[i]` is returned for token `i` (None = page 0).
    fn fake(pages: Vec<Vec<u32>>, fail_at: Option<usize>) -> (ItemStream<u32>, Seen) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let stream = paginate(None, move |token: Option<String>| {
            log.lock().unwrap().push(token.clone());
            let index: usize = token.as_deref().map_or(0, |t| t.parse().unwrap());
            let pages = pages.clone();
            async move {
                if Some(index) == fail_at {
                    return Err(Error::Config(format!("page {index} failed")));
                }
                let next = (index + 1 < pages.len()).then(|| (index + 1).to_string());
                Ok(Page {
                    items: pages[index].clone(),
                    next_page_token: next,
                })
            }
        });
        (stream, seen)
    }

    #[test]
    fn follows_tokens_to_the_last_page_in_order() {
        let (stream, seen) = fake(vec![vec![1, 2], vec![3], vec![], vec![4, 5]], None);
        let items: Vec<u32> = block_on(stream.map(|r| r.unwrap()).collect());
        assert_eq!(items, vec![1, 2, 3, 4, 5]);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![None, Some("1".into()), Some("2".into()), Some("3".into())]
        );
    }

    #[test]
    fn an_error_ends_the_stream_after_the_items_already_yielded() {
        let (stream, seen) = fake(vec![vec![1, 2], vec![3], vec![4]], Some(2));
        let results: Vec<Result<u32, Error>> = block_on(stream.collect());
        assert_eq!(results.len(), 4);
        assert_eq!(
            results[..3]
                .iter()
                .map(|r| *r.as_ref().unwrap())
                .collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert!(
            results[3]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("page 2 failed")
        );
        assert_eq!(seen.lock().unwrap().len(), 3, "no fetch after the error");
    }

    #[test]
    fn fetches_lazily_one_page_at_a_time() {
        let (mut stream, seen) = fake(vec![vec![1, 2], vec![3]], None);
        let first = block_on(stream.next()).unwrap().unwrap();
        assert_eq!(first, 1);
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "second page not fetched before it is needed"
        );
    }

    #[test]
    fn a_repeated_token_stops_with_an_error_after_yielding_the_page() {
        let stream = paginate(None, |token: Option<String>| async move {
            let _ = token;
            Ok(Page {
                items: vec![7u32],
                next_page_token: Some("same".to_owned()),
            })
        });
        let results: Vec<Result<u32, Error>> = block_on(stream.collect());
        // page 1 (token None → "same"), page 2 (token "same" → "same": loop detected)
        assert_eq!(results.len(), 3);
        assert!(results[0].is_ok() && results[1].is_ok());
        let err = results[2].as_ref().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Decode);
        assert!(err.to_string().contains("\"same\" again"), "{err}");
    }

    /// Pages `0..prefix+cycle`, where the page after the last loops back to
    /// page `prefix`: every page has one item, its own number.
    fn looping(prefix: usize, cycle: usize) -> (ItemStream<usize>, Seen) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let stream = paginate(None, move |token: Option<String>| {
            log.lock().unwrap().push(token.clone());
            let index: usize = token.as_deref().map_or(0, |t| t.parse().unwrap());
            let next = if index + 1 == prefix + cycle {
                prefix
            } else {
                index + 1
            };
            async move {
                Ok(Page {
                    items: vec![index],
                    next_page_token: Some(next.to_string()),
                })
            }
        });
        (stream, seen)
    }

    proptest::proptest! {
        #[test]
        fn a_loop_of_any_length_ends_the_stream_within_bounded_pages(
            prefix in 0usize..20,
            cycle in 1usize..40,
        ) {
            let (stream, seen) = looping(prefix, cycle);
            let results: Vec<Result<usize, Error>> = block_on(stream.collect());
            let (last, items) = results.split_last().unwrap();
            proptest::prop_assert_eq!(last.as_ref().unwrap_err().kind(), crate::ErrorKind::Decode);
            let items: Vec<usize> = items.iter().map(|r| *r.as_ref().unwrap()).collect();
            // Every distinct page was yielded, in order, before the loop was noticed.
            let distinct = prefix + cycle;
            proptest::prop_assert!(items.len() >= distinct);
            proptest::prop_assert_eq!(&items[..distinct], &(0..distinct).collect::<Vec<_>>()[..]);
            // Brent's bound: detected within a small multiple of the distinct pages.
            let fetches = seen.lock().unwrap().len();
            proptest::prop_assert!(fetches <= 4 * distinct + 1, "{} fetches", fetches);
            proptest::prop_assert_eq!(fetches, items.len());
        }
    }

    #[test]
    fn endless_empty_pages_stop_with_a_pagination_error() {
        let seen = Arc::new(Mutex::new(0u32));
        let log = seen.clone();
        let stream = paginate(None, move |token: Option<String>| {
            *log.lock().unwrap() += 1;
            let n: u64 = token.as_deref().map_or(0, |t| t.parse().unwrap());
            async move {
                Ok(Page::<u32> {
                    items: Vec::new(),
                    next_page_token: Some((n + 1).to_string()),
                })
            }
        });
        let results: Vec<Result<u32, Error>> = block_on(stream.collect());
        assert_eq!(results.len(), 1);
        let err = results[0].as_ref().unwrap_err();
        assert!(matches!(err, Error::Pagination(_)), "{err}");
        assert_eq!(*seen.lock().unwrap(), MAX_EMPTY_PAGES + 1);
    }

    #[test]
    fn a_few_empty_pages_in_the_middle_are_followed() {
        let (stream, _) = fake(vec![vec![1], vec![], vec![], vec![2]], None);
        let items: Vec<u32> = block_on(stream.map(|r| r.unwrap()).collect());
        assert_eq!(items, vec![1, 2]);
    }
}
