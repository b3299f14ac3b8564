//! Fault injection: what the next requests should suffer.

use std::collections::VecDeque;
use std::time::Duration;

/// A fault the sandbox applies to one request (see [`crate::Sandbox::inject`]).
///
/// Faults queue up in injection order; every request that reaches the
/// sandbox (whatever its path, and whether or not it authenticates) consumes
/// exactly one fault from the front of the queue, if any.
///
/// When the fault applies matters for idempotency tests, so each variant says:
/// *before handling* means the request has no effect (nothing is created or
/// updated); *after handling* means the request took effect (a stock was
/// created, a product coupon updated) and only the answer is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// After handling: `Wechatpay-Signature` is replaced by a WeChat Pay
    /// signature probe, `WECHATPAY/SIGNTEST/` followed by base64 junk.
    SignatureProbe,
    /// After handling: the signature is valid base64 of the right length but
    /// does not verify (one bit flipped).
    BadSignature,
    /// After handling: the response is validly signed with a timestamp ten
    /// minutes in the past (outside the ±5 minute window).
    StaleTimestamp,
    /// After handling: `Wechatpay-Serial` names a key the client does not hold
    /// (the signature itself is valid for the real key).
    WrongSerial,
    /// Before handling: `429 RATELIMIT_EXCEEDED` with `Retry-After: 0` (signed).
    RateLimited,
    /// After handling: the request took effect, then the answer is replaced
    /// by `500 SYSTEM_ERROR` (signed). A retried POST with the same
    /// `out_request_no` must then replay the stock, not create a second one.
    ServerError,
    /// Before handling: `500 SYSTEM_ERROR` (signed); the request had no effect.
    ServerErrorBeforeHandling,
    /// After handling: waits this long before sending the (normal) answer.
    Slow(Duration),
    /// After handling: the request took effect, then the TCP connection is
    /// closed without any response bytes.
    DropConnection,
    /// Before handling: the TCP connection is closed without any response
    /// bytes; the request had no effect.
    DropConnectionBeforeHandling,
}

impl Fault {
    /// Whether the fault replaces the request's handling entirely.
    pub(crate) fn is_before_handling(self) -> bool {
        matches!(
            self,
            Fault::RateLimited
                | Fault::ServerErrorBeforeHandling
                | Fault::DropConnectionBeforeHandling
        )
    }
}

/// The pending faults: `(fault, remaining uses)` in injection order.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: VecDeque<(Fault, u32)>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, fault: Fault, times: u32) {
        if times > 0 {
            self.queue.push_back((fault, times));
        }
    }

    /// Consumes one use of the front fault.
    pub(crate) fn take(&mut self) -> Option<Fault> {
        let (fault, remaining) = self.queue.front_mut()?;
        let fault = *fault;
        *remaining -= 1;
        if *remaining == 0 {
            self.queue.pop_front();
        }
        Some(fault)
    }

    pub(crate) fn pending(&self) -> u64 {
        self.queue.iter().map(|(_, n)| u64::from(*n)).sum()
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_consumes_in_order() {
        let mut q = FaultQueue::default();
        q.push(Fault::RateLimited, 2);
        q.push(Fault::ServerError, 0);
        q.push(Fault::BadSignature, 1);
        assert_eq!(q.pending(), 3);
        assert_eq!(q.take(), Some(Fault::RateLimited));
        assert_eq!(q.take(), Some(Fault::RateLimited));
        assert_eq!(q.take(), Some(Fault::BadSignature));
        assert_eq!(q.take(), None);
        q.push(Fault::WrongSerial, 5);
        q.clear();
        assert_eq!(q.pending(), 0);
    }
}
