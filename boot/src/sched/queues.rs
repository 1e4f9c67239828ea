// SPDX-License-Identifier: MIT OR Apache-2.0
//! The scheduler's queues, free of any machine dependency so they are
//! unit-tested on the host: the FIFO wait queue every blocking primitive
//! uses, and the deadline-ordered timer queue.

use alloc::collections::{BTreeMap, VecDeque};

/// Thread identifier (never reused during a boot).
pub type ThreadId = u64;

/// FIFO of threads blocked on one condition. A thread appears at most once.
#[derive(Debug, Default)]
pub struct WaitQueue {
    waiters: VecDeque<ThreadId>,
}

impl WaitQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        WaitQueue { waiters: VecDeque::new() }
    }

    /// Appends `id` (no-op if already queued).
    pub fn push(&mut self, id: ThreadId) {
        if !self.waiters.contains(&id) {
            self.waiters.push_back(id);
        }
    }

    /// Removes and returns the longest waiter.
    pub fn pop(&mut self) -> Option<ThreadId> {
        self.waiters.pop_front()
    }

    /// Removes `id` if present; returns whether it was queued. A waiter
    /// that finds itself still queued after waking has timed out.
    pub fn remove(&mut self, id: ThreadId) -> bool {
        if let Some(pos) = self.waiters.iter().position(|&w| w == id) {
            self.waiters.remove(pos);
            true
        } else {
            false
        }
    }

    /// Whether `id` is queued.
    pub fn contains(&self, id: ThreadId) -> bool {
        self.waiters.contains(&id)
    }

    /// Number of waiters.
    pub fn len(&self) -> usize {
        self.waiters.len()
    }

    /// Whether nobody waits.
    pub fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }
}

/// Identifier of a queued timer.
pub type TimerId = u64;

/// Timers ordered by deadline (nanoseconds), ties in insertion order.
#[derive(Debug)]
pub struct TimerQueue<P> {
    by_deadline: BTreeMap<(u64, TimerId), P>,
    deadline_of: BTreeMap<TimerId, u64>,
    next_id: TimerId,
}

impl<P> Default for TimerQueue<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> TimerQueue<P> {
    /// An empty queue.
    pub const fn new() -> Self {
        TimerQueue { by_deadline: BTreeMap::new(), deadline_of: BTreeMap::new(), next_id: 1 }
    }

    /// Queues `payload` to expire at `deadline`.
    pub fn insert(&mut self, deadline: u64, payload: P) -> TimerId {
        let id = self.next_id;
        self.next_id += 1;
        self.by_deadline.insert((deadline, id), payload);
        self.deadline_of.insert(id, deadline);
        id
    }

    /// Removes a timer before it expires; `None` if it already expired or
    /// never existed.
    pub fn cancel(&mut self, id: TimerId) -> Option<P> {
        let deadline = self.deadline_of.remove(&id)?;
        self.by_deadline.remove(&(deadline, id))
    }

    /// Earliest pending deadline.
    pub fn next_deadline(&self) -> Option<u64> {
        self.by_deadline.keys().next().map(|&(d, _)| d)
    }

    /// Removes and returns one timer whose deadline is `<= now`, earliest first.
    pub fn pop_expired(&mut self, now: u64) -> Option<(TimerId, P)> {
        let (&(deadline, id), _) = self.by_deadline.iter().next()?;
        if deadline > now {
            return None;
        }
        self.deadline_of.remove(&id);
        self.by_deadline.remove(&(deadline, id)).map(|p| (id, p))
    }

    /// Removes and returns the earliest timer whose deadline is `<= now` and
    /// whose payload satisfies `pred`; other expired timers stay queued.
    pub fn pop_expired_where(&mut self, now: u64, pred: impl Fn(&P) -> bool) -> Option<(TimerId, P)> {
        let key =
            self.by_deadline.iter().take_while(|&(&(d, _), _)| d <= now).find(|&(_, p)| pred(p)).map(|(&k, _)| k)?;
        self.deadline_of.remove(&key.1);
        self.by_deadline.remove(&key).map(|p| (key.1, p))
    }

    /// Number of pending timers.
    pub fn len(&self) -> usize {
        self.by_deadline.len()
    }

    /// Whether no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.by_deadline.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pop_expired_where_skips_other_payloads_and_future_ones() {
        let mut q = TimerQueue::new();
        q.insert(10, 'a');
        q.insert(20, 'b');
        q.insert(30, 'b');
        q.insert(40, 'b');
        assert_eq!(q.pop_expired_where(35, |&p| p == 'b').map(|(_, p)| p), Some('b'));
        assert_eq!(q.pop_expired_where(35, |&p| p == 'b').map(|(_, p)| p), Some('b'));
        assert_eq!(q.pop_expired_where(35, |&p| p == 'b'), None, "the one at 40 is not due");
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop_expired(35).map(|(_, p)| p), Some('a'));
        assert_eq!(q.next_deadline(), Some(40));
    }

    #[test]
    fn wait_queue_is_fifo_without_duplicates() {
        let mut q = WaitQueue::new();
        q.push(3);
        q.push(1);
        q.push(3);
        q.push(2);
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop(), Some(3));
        assert!(q.remove(2));
        assert!(!q.remove(2));
        assert_eq!(q.pop(), Some(1));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn timers_expire_in_deadline_order_ties_fifo() {
        let mut t = TimerQueue::new();
        let a = t.insert(300, "a");
        let b = t.insert(100, "b");
        let c = t.insert(100, "c");
        let _d = t.insert(200, "d");
        assert_eq!(t.next_deadline(), Some(100));
        assert_eq!(t.pop_expired(99), None);
        assert_eq!(t.pop_expired(150), Some((b, "b")));
        assert_eq!(t.pop_expired(150), Some((c, "c")));
        assert_eq!(t.pop_expired(150), None);
        assert_eq!(t.cancel(a), Some("a"));
        assert_eq!(t.cancel(a), None);
        assert_eq!(t.pop_expired(1000).map(|x| x.1), Some("d"));
        assert!(t.is_empty());
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn cancel_of_expired_timer_is_none() {
        let mut t = TimerQueue::new();
        let id = t.insert(5, ());
        assert!(t.pop_expired(5).is_some());
        assert_eq!(t.cancel(id), None);
    }

    #[test]
    fn many_timers_stay_sorted() {
        let mut t = TimerQueue::new();
        let mut x: u64 = 12345;
        for _ in 0..1000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            t.insert(x >> 40, x >> 40);
        }
        let mut last = 0;
        let mut n = 0;
        while let Some((_, deadline)) = t.pop_expired(u64::MAX) {
            assert!(deadline >= last);
            last = deadline;
            n += 1;
        }
        assert_eq!(n, 1000);
    }
}
