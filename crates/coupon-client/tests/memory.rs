//! Memory stays flat: following 10 000 items through a list stream keeps one
//! page in memory. A counting global allocator tracks the live heap bytes of
//! the test's thread (the client runs there, on a current-thread runtime; the
//! mock server runs on threads of its own and is not counted); the peak above
//! the starting point while streaming 1 000 and 10 000 stocks (50 per page,
//! from a loopback server that builds and signs each page on request) must
//! not grow with the number of items.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::{PUB_KEY_ID, brand, keys};
use coupon_client::coupon_model::stock::ListStocksRequest;
use coupon_client::wxpay_sign::{ResponseSigner, SignatureHeaders};
use futures_util::StreamExt;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

struct Counting;

// `try_with`: a thread's counters may already be gone while it exits.
fn grew(bytes: usize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + bytes as isize);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

fn shrank(bytes: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get() - bytes as isize));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        shrank(layout.size());
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PAGE: usize = 50;

/// Pages of `total` stocks: page `n` (token `p<n>`) holds stocks `n*50..`.
struct Pages {
    total: usize,
}

impl Respond for Pages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let page: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "page_token")
            .and_then(|(_, v)| v.strip_prefix('p').and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        let first = page * PAGE;
        let last = (first + PAGE).min(self.total);
        let stocks: Vec<String> = (first..last)
            .map(|i| format!(
                r#"{{"product_coupon_id":"1000000013","stock_id":"{i:013}","remark":"第{i}批次","coupon_code_mode":"WECHATPAY","state":"SENDING","store_scope":"NONE","stock_send_rule":{{"max_count":100000,"max_count_per_user":1}}}}"#
            ))
            .collect();
        let next = if last < self.total {
            format!(r#","next_page_token":"p{}""#, page + 1)
        } else {
            String::new()
        };
        let body = format!(r#"{{"stock_list":[{}]{next}}}"#, stocks.join(","));
        let signer = ResponseSigner::new(PUB_KEY_ID, keys().wechatpay.clone());
        let signed = signer.sign_now(body.as_bytes()).unwrap();
        let headers = SignatureHeaders::new(
            signed.timestamp(),
            signed.nonce(),
            signed.signature(),
            PUB_KEY_ID,
        );
        let mut map = http::HeaderMap::new();
        headers.apply_to(&mut map).unwrap();
        let mut template = ResponseTemplate::new(200).set_body_raw(body, "application/json");
        for (name, value) in &map {
            template = template.insert_header(name.as_str(), value.to_str().unwrap());
        }
        template
    }
}

/// Streams `total` stocks, dropping each as it arrives; the peak of live heap
/// bytes above the level before the stream started, and the items seen.
async fn peak_while_streaming(total: usize) -> (isize, usize) {
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(method("GET"))
        .respond_with(Pages { total })
        .mount(&server)
        .await;
    let client = brand(&server);
    let mut stream =
        client.list_stocks_stream(ListStocksRequest::new("1000000013").with_page_size(50));
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let mut seen = 0;
    while let Some(stock) = stream.next().await {
        let stock = stock.unwrap();
        assert_eq!(stock.stock_id.as_str(), format!("{seen:013}"));
        seen += 1;
    }
    (PEAK.with(Cell::get) - base, seen)
}

#[tokio::test(flavor = "current_thread")]
async fn streaming_ten_thousand_items_holds_one_page_in_memory() {
    // Warm up keys, TLS-free connection pools and lazy statics first.
    let _ = peak_while_streaming(PAGE).await;
    let (small, n_small) = peak_while_streaming(1_000).await;
    let (large, n_large) = peak_while_streaming(10_000).await;
    assert_eq!((n_small, n_large), (1_000, 10_000));
    eprintln!("peak live heap above the start: 1 000 items {small} B, 10 000 items {large} B");
    // Ten times the items, the same peak (give or take allocator noise); and
    // far below what 10 000 parsed stocks would take (several MiB).
    assert!(
        large < small + small / 2 + 64 * 1024,
        "1 000: {small} B, 10 000: {large} B"
    );
    assert!(large < 2 * 1024 * 1024, "10 000 items peaked at {large} B");
}
