//! Free physical memory at boot: RAM ranges from the firmware's map, page
//! aligned, minus the ranges the kernel must keep (its image, the boot
//! bundle). Each result becomes one memory pool.

use bilby_abi::PAGE_SIZE;

/// A fixed-capacity list of `[start, end)` ranges.
#[derive(Clone, Copy, Debug)]
pub struct Ranges<const N: usize> {
    items: [(u64, u64); N],
    len: usize,
    /// Ranges dropped because the list was full.
    pub dropped: usize,
}

impl<const N: usize> Default for Ranges<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Ranges<N> {
    /// No ranges.
    pub const fn new() -> Self {
        Ranges {
            items: [(0, 0); N],
            len: 0,
            dropped: 0,
        }
    }

    /// The ranges, in the order added.
    pub fn as_slice(&self) -> &[(u64, u64)] {
        &self.items[..self.len]
    }

    /// Adds RAM `[start, end)`, shrunk to whole pages at or above `floor`,
    /// with every `reserved` range cut out.
    pub fn add_ram(&mut self, start: u64, end: u64, floor: u64, reserved: &[(u64, u64)]) {
        let start = start.max(floor).saturating_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
        let end = end & !(PAGE_SIZE - 1);
        if start < end {
            self.subtract(start, end, reserved);
        }
    }

    fn subtract(&mut self, start: u64, end: u64, reserved: &[(u64, u64)]) {
        let Some((&(rs, re), rest)) = reserved.split_first() else {
            if self.len < N {
                self.items[self.len] = (start, end);
                self.len += 1;
            } else {
                self.dropped += 1;
            }
            return;
        };
        if re <= start || rs >= end || rs >= re {
            self.subtract(start, end, rest);
            return;
        }
        if start < rs {
            self.subtract(start, rs & !(PAGE_SIZE - 1), rest);
        }
        if re < end {
            self.subtract(
                re.saturating_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1),
                end,
                rest,
            );
        }
    }

    /// Total bytes.
    pub fn total(&self) -> u64 {
        self.as_slice().iter().map(|(s, e)| e - s).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_reserved_ranges_out_of_ram() {
        let mut r = Ranges::<8>::new();
        // RAM 0..128 MiB; kernel at 1 MiB..3 MiB; bundle at 100 MiB (unaligned).
        let kernel = (0x10_0000, 0x30_0000);
        let bundle = (0x640_0010, 0x640_2000);
        r.add_ram(0, 0x800_0000, 0x10_0000, &[kernel, bundle]);
        assert_eq!(
            r.as_slice(),
            &[(0x30_0000, 0x640_0000), (0x640_2000, 0x800_0000)]
        );
        assert_eq!(r.total(), 0x800_0000 - 0x30_0000 - 0x2000);
    }

    #[test]
    fn aligns_and_drops_empty_or_excess_ranges() {
        let mut r = Ranges::<1>::new();
        r.add_ram(0x1001, 0x2fff, 0, &[]);
        assert!(r.as_slice().is_empty(), "{:?}", r.as_slice());
        r.add_ram(0x10_0000, 0x20_0000, 0, &[(0x10_0000, 0x20_0000)]);
        assert!(r.as_slice().is_empty());
        r.add_ram(0, 0x4000, 0, &[(0x1000, 0x2000)]);
        assert_eq!(r.as_slice(), &[(0, 0x1000)]);
        assert_eq!(r.dropped, 1);
        let mut r = Ranges::<4>::new();
        r.add_ram(u64::MAX - 0x1000, u64::MAX, 0, &[]);
        assert!(r.as_slice().is_empty());
    }
}
