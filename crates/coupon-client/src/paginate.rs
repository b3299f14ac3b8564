//! Streams that follow `next_page_token` to the last page, one page at a time.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use futures_core::Stream;

use crate::error::Error;

/// A boxed stream of items across pages. Memory holds one page at most.
///
/// An error ends the stream after the items already yielded; nothing yielded is
/// lost, and the error says which page failed.
pub type ItemStream<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'static>>;

/// One page as the paginator needs it: its items and the next token.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_page_token: Option<String>,
}

/// More consecutive empty pages than this (each with a next token) is treated as a
/// server fault rather than followed forever.
const MAX_EMPTY_PAGES: u32 = 16;

struct State<T, F> {
    fetch: F,
    buffer: VecDeque<T>,
    /// `Some(token)`: the next page to fetch; `None` with `started`: no more pages.
    next: Option<String>,
    started: bool,
    done: bool,
    empty_pages: u32,
    /// An error to yield once the buffered items are out.
    pending_error: Option<Error>,
}

/// Builds a stream from `fetch(page_token)`, called with `None` first and then with
/// each `next_page_token` until a page has none.
pub(crate) fn paginate<T, F, Fut>(first_token: Option<String>, fetch: F) -> ItemStream<T>
where
    T: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
{
    let state = State {
        fetch,
        buffer: VecDeque::new(),
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
                match (state.fetch)(token.clone()).await {
                    Ok(page) => {
                        if page.next_page_token.is_some() && page.next_page_token == token {
                            state.done = true;
                            let err = Error::Config(format!(
                                "the server returned the same next_page_token {:?} it was given; stopping to avoid an endless loop",
                                token.unwrap_or_default()
                            ));
                            // Yield what the page had, then the error.
                            state.buffer.extend(page.items);
                            state.pending_error = Some(err);
                            continue;
                        }
                        if page.items.is_empty() {
                            state.empty_pages += 1;
                            if state.empty_pages > MAX_EMPTY_PAGES && page.next_page_token.is_some()
                            {
                                state.done = true;
                                state.pending_error = Some(Error::Config(format!(
                                    "{MAX_EMPTY_PAGES} empty pages in a row, each with a next_page_token; stopping"
                                )));
                                continue;
                            }
                        } else {
                            state.empty_pages = 0;
                        }
                        state.buffer.extend(page.items);
                        state.next = page.next_page_token;
                    }
                    Err(err) => {
                        state.done = true;
                        return Some((Err(err), state));
                    }
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
        assert!(
            results[2]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("same next_page_token")
        );
    }
}
