//! Memory pools: a physically contiguous range of frames handed out by a
//! bump pointer, with freed frames kept on a list threaded through the
//! frames themselves (so a pool needs no memory of its own). The kernel
//! names each pool with a Memory capability; module pools hold a boot
//! module's image and are mapped in place, never handed out.

use bilby_abi::PAGE_SIZE;

/// Where the free list's links live (the first word of each free frame).
pub trait FrameLinks {
    /// The link stored in `frame`.
    fn read_link(&self, frame: u64) -> u64;
    /// Stores `next` in `frame`.
    fn write_link(&mut self, frame: u64, next: u64);
}

/// What a pool holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    /// Free frames.
    Free,
    /// A boot module's image: mapped in place.
    Module,
    /// Device memory (MMIO): mapped in place, uncached; never RAM.
    Device,
}

/// One pool of physical frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    /// In use.
    pub alive: bool,
    /// What it holds.
    pub kind: PoolKind,
    /// First frame.
    pub base: u64,
    /// One past the last frame.
    pub end: u64,
    /// Bump pointer: frames from here to `end` were never handed out.
    pub next: u64,
    /// Most recently freed frame, or 0.
    pub free_head: u64,
    /// Frames available.
    pub available: u64,
}

impl Pool {
    /// An unused pool slot.
    pub const EMPTY: Pool = Pool {
        alive: false,
        kind: PoolKind::Free,
        base: 0,
        end: 0,
        next: 0,
        free_head: 0,
        available: 0,
    };

    /// A pool over `[base, end)` (page aligned).
    pub fn new(kind: PoolKind, base: u64, end: u64) -> Pool {
        let free = kind == PoolKind::Free;
        Pool {
            alive: true,
            kind,
            base,
            end,
            next: if free { base } else { end },
            free_head: 0,
            available: if free { (end - base) / PAGE_SIZE } else { 0 },
        }
    }

    /// Whether `frame` is one of this pool's.
    pub fn contains(&self, frame: u64) -> bool {
        self.alive && frame >= self.base && frame < self.end
    }

    /// Takes a frame (not zeroed: the caller does that).
    pub fn alloc(&mut self, links: &impl FrameLinks) -> Option<u64> {
        if !self.alive || self.kind != PoolKind::Free {
            return None;
        }
        let frame = if self.free_head != 0 {
            let f = self.free_head;
            self.free_head = links.read_link(f);
            f
        } else if self.next < self.end {
            let f = self.next;
            self.next += PAGE_SIZE;
            f
        } else {
            return None;
        };
        self.available -= 1;
        Some(frame)
    }

    /// Takes `pages` contiguous frames from the never-used range.
    pub fn alloc_contiguous(&mut self, pages: u64) -> Option<u64> {
        let len = pages.checked_mul(PAGE_SIZE)?;
        if !self.alive || self.kind != PoolKind::Free || self.end - self.next < len {
            return None;
        }
        let base = self.next;
        self.next += len;
        self.available -= pages;
        Some(base)
    }

    /// Gives a frame back; false (and nothing changes) if it is not one this
    /// pool handed out.
    pub fn free(&mut self, links: &mut impl FrameLinks, frame: u64) -> bool {
        if self.kind != PoolKind::Free
            || !self.contains(frame)
            || frame >= self.next
            || !frame.is_multiple_of(PAGE_SIZE)
        {
            return false;
        }
        links.write_link(frame, self.free_head);
        self.free_head = frame;
        self.available += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Links(HashMap<u64, u64>);
    impl FrameLinks for Links {
        fn read_link(&self, frame: u64) -> u64 {
            self.0[&frame]
        }
        fn write_link(&mut self, frame: u64, next: u64) {
            self.0.insert(frame, next);
        }
    }

    #[test]
    fn bump_then_free_list_then_exhaustion() {
        let mut links = Links::default();
        let mut p = Pool::new(PoolKind::Free, 0x10000, 0x14000);
        assert_eq!(p.available, 4);
        let a = p.alloc(&links).unwrap();
        let b = p.alloc(&links).unwrap();
        assert_eq!((a, b), (0x10000, 0x11000));
        assert!(p.free(&mut links, a));
        assert!(p.free(&mut links, b));
        assert_eq!(p.available, 4);
        assert_eq!(p.alloc(&links), Some(b));
        assert_eq!(p.alloc(&links), Some(a));
        assert_eq!(p.alloc_contiguous(2), Some(0x12000));
        assert_eq!(p.alloc(&links), None);
        assert_eq!(p.available, 0);
    }

    #[test]
    fn refuses_foreign_and_unused_frames() {
        let mut links = Links::default();
        let mut p = Pool::new(PoolKind::Free, 0x10000, 0x14000);
        assert!(!p.free(&mut links, 0x20000), "outside");
        assert!(!p.free(&mut links, 0x10000), "never handed out");
        p.alloc(&links).unwrap();
        assert!(!p.free(&mut links, 0x10008), "unaligned");
        let mut m = Pool::new(PoolKind::Module, 0x30000, 0x32000);
        assert_eq!(m.alloc(&links), None);
        assert_eq!(m.alloc_contiguous(1), None);
        assert!(!m.free(&mut links, 0x30000));
        assert_eq!(p.alloc_contiguous(u64::MAX), None);
    }
}
