//! Intrusive FIFO queues of threads (ready queues, endpoint queues) over
//! one shared link array: a thread is in at most one queue at a time. And
//! the ready queues: one FIFO per priority with a bitmap for the highest.
//! The link array must be shorter than [`NONE`], so that "no thread" is
//! never a valid index.

/// "No thread".
pub const NONE: u16 = u16::MAX;

/// A thread's links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// Next thread in the queue.
    pub next: u16,
    /// Previous thread in the queue.
    pub prev: u16,
    /// Whether the thread is in some queue.
    pub queued: bool,
}

impl Link {
    /// Not in any queue.
    pub const UNLINKED: Link = Link {
        next: NONE,
        prev: NONE,
        queued: false,
    };
}

/// A FIFO of threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queue {
    /// First thread.
    pub head: u16,
    /// Last thread.
    pub tail: u16,
}

impl Default for Queue {
    fn default() -> Self {
        Queue::EMPTY
    }
}

impl Queue {
    /// The empty queue.
    pub const EMPTY: Queue = Queue {
        head: NONE,
        tail: NONE,
    };

    /// Whether the queue is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head == NONE
    }

    /// Appends `t`, which must not be queued anywhere.
    #[inline(always)]
    pub fn push_back(&mut self, links: &mut [Link], t: u16) {
        debug_assert!(!links[t as usize].queued);
        links[t as usize] = Link {
            next: NONE,
            prev: self.tail,
            queued: true,
        };
        // One test for "no tail" and the index check (NONE is out of range).
        match links.get_mut(self.tail as usize) {
            Some(tail) => tail.next = t,
            None => self.head = t,
        }
        self.tail = t;
    }

    /// Removes and returns the first thread.
    #[inline(always)]
    pub fn pop_front(&mut self, links: &mut [Link]) -> Option<u16> {
        let t = self.head;
        if t == NONE {
            return None;
        }
        self.remove(links, t);
        Some(t)
    }

    /// Removes `t`, which must be the first thread.
    #[inline(always)]
    pub fn pop_head(&mut self, links: &mut [Link], t: u16) {
        debug_assert_eq!(self.head, t);
        let next = links[t as usize].next;
        self.head = next;
        match links.get_mut(next as usize) {
            Some(n) => n.prev = NONE,
            None => self.tail = NONE,
        }
        links[t as usize] = Link::UNLINKED;
    }

    /// Removes `t`, which must be in this queue.
    #[inline(always)]
    pub fn remove(&mut self, links: &mut [Link], t: u16) {
        let Link { next, prev, .. } = links[t as usize];
        // A neighbour that is NONE is out of range: one test each for the
        // end of the queue and the index check.
        match links.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match links.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
        links[t as usize] = Link::UNLINKED;
    }
}

/// Number of priorities.
pub const PRIORITIES: usize = 256;

/// One FIFO per priority and a bitmap of the non-empty ones.
#[derive(Clone, Debug)]
pub struct ReadyQueues {
    queues: [Queue; PRIORITIES],
    bitmap: [u64; PRIORITIES / 64],
    /// Bit i: `bitmap[i]` is not zero.
    summary: u64,
}

impl Default for ReadyQueues {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadyQueues {
    /// No thread ready.
    pub const fn new() -> Self {
        ReadyQueues {
            queues: [Queue::EMPTY; PRIORITIES],
            bitmap: [0; PRIORITIES / 64],
            summary: 0,
        }
    }

    /// Makes `t` ready at `prio`, behind the threads already ready there.
    pub fn push(&mut self, links: &mut [Link], t: u16, prio: u8) {
        self.queues[prio as usize].push_back(links, t);
        self.bitmap[prio as usize / 64] |= 1 << (prio % 64);
        self.summary |= 1 << (prio as usize / 64);
    }

    /// Removes `t` (ready at `prio`).
    pub fn remove(&mut self, links: &mut [Link], t: u16, prio: u8) {
        let q = &mut self.queues[prio as usize];
        q.remove(links, t);
        if q.is_empty() {
            let w = &mut self.bitmap[prio as usize / 64];
            *w &= !(1 << (prio % 64));
            if *w == 0 {
                self.summary &= !(1 << (prio as usize / 64));
            }
        }
    }

    /// The highest priority with a ready thread.
    #[inline]
    pub fn highest(&self) -> Option<u8> {
        if self.summary == 0 {
            return None;
        }
        let i = 63 - self.summary.leading_zeros() as usize;
        let w = self.bitmap[i];
        Some((i * 64 + 63 - w.leading_zeros() as usize) as u8)
    }

    /// Whether no thread is ready.
    pub fn is_empty(&self) -> bool {
        self.summary == 0
    }

    /// Removes and returns the first thread of the highest priority.
    pub fn pop(&mut self, links: &mut [Link]) -> Option<u16> {
        let prio = self.highest()?;
        let t = self.queues[prio as usize].head;
        self.remove(links, t, prio);
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_and_removal() {
        let mut links = [Link::UNLINKED; 8];
        let mut q = Queue::EMPTY;
        for t in [3, 1, 4, 5] {
            q.push_back(&mut links, t);
        }
        q.remove(&mut links, 4);
        assert!(!links[4].queued);
        assert_eq!(q.pop_front(&mut links), Some(3));
        assert_eq!(q.pop_front(&mut links), Some(1));
        q.push_back(&mut links, 4);
        assert_eq!(q.pop_front(&mut links), Some(5));
        assert_eq!(q.pop_front(&mut links), Some(4));
        assert_eq!(q.pop_front(&mut links), None);
        assert!(q.is_empty());
    }

    #[test]
    fn pop_head_keeps_the_queue_linked() {
        let mut links = [Link::UNLINKED; 8];
        let mut q = Queue::EMPTY;
        for t in [6, 2, 7] {
            q.push_back(&mut links, t);
        }
        q.pop_head(&mut links, 6);
        assert_eq!(links[6], Link::UNLINKED);
        assert_eq!(links[2].prev, NONE);
        q.pop_head(&mut links, 2);
        q.push_back(&mut links, 0);
        assert_eq!(q.pop_front(&mut links), Some(7));
        q.pop_head(&mut links, 0);
        assert!(q.is_empty());
        assert_eq!(q.tail, NONE);
        q.push_back(&mut links, 5);
        assert_eq!((q.head, q.tail), (5, 5));
    }

    #[test]
    fn highest_priority_first_round_robin_within() {
        let mut links = [Link::UNLINKED; 8];
        let mut r = ReadyQueues::new();
        assert_eq!(r.pop(&mut links), None);
        r.push(&mut links, 1, 10);
        r.push(&mut links, 2, 200);
        r.push(&mut links, 3, 200);
        r.push(&mut links, 4, 0);
        r.push(&mut links, 5, 255);
        assert_eq!(r.highest(), Some(255));
        assert_eq!(r.pop(&mut links), Some(5));
        assert_eq!(r.pop(&mut links), Some(2));
        r.push(&mut links, 2, 200);
        assert_eq!(r.pop(&mut links), Some(3));
        r.remove(&mut links, 1, 10);
        assert_eq!(r.pop(&mut links), Some(2));
        assert_eq!(r.pop(&mut links), Some(4));
        assert_eq!(r.pop(&mut links), None);
    }
}
