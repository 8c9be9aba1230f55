//! Physical memory through the direct map: the kernel reaches every frame,
//! page table, UTCB and user page by its physical address, never through a
//! user virtual address (so SMAP never needs to be lifted).

use crate::kernel::console::{Dec, Hex};

/// Where physical address 0 is mapped: PML4 slot 257 (boot.rs), as PVM
/// hosts refuse slot 256 to the guest (see pvm.rs).
pub const DIRECT_MAP_BASE: u64 = 0xffff_8080_0000_0000;
/// How much physical memory the direct map covers.
pub const DIRECT_MAP_SIZE: u64 = 4 << 30;
/// A page frame's size.
const PAGE_SIZE: u64 = bilby_abi::PAGE_SIZE;

#[inline(always)]
fn ptr(pa: u64, len: u64) -> *mut u8 {
    if pa.checked_add(len).is_none_or(|end| end > DIRECT_MAP_SIZE) {
        outside_direct_map(pa, len);
    }
    (DIRECT_MAP_BASE + pa) as *mut u8
}

/// Panics (a kernel bug) unless `pa` is 8-byte aligned.
#[inline(always)]
fn check_aligned(pa: u64) {
    if pa & 7 != 0 {
        unaligned(pa);
    }
}

#[cold]
#[inline(never)]
fn unaligned(pa: u64) -> ! {
    panic!("unaligned physical access {}", Hex(pa))
}

#[cold]
#[inline(never)]
fn outside_direct_map(pa: u64, len: u64) -> ! {
    panic!(
        "physical access outside the direct map: {}+{}",
        Hex(pa),
        Dec(len)
    )
}

/// Reads an aligned 64-bit word.
#[inline(always)]
pub fn read_u64(pa: u64) -> u64 {
    check_aligned(pa);
    let p = ptr(pa, 8) as *const u64;
    // SAFETY: inside the direct map (checked), aligned (checked); a volatile
    // read of memory that stays mapped for the kernel's lifetime.
    unsafe { p.read_volatile() }
}

/// Reads two consecutive aligned 64-bit words (one capability slot) with
/// one range check.
#[inline(always)]
pub fn read_u64_pair(pa: u64) -> [u64; 2] {
    check_aligned(pa);
    let p = ptr(pa, 16) as *const u64;
    // SAFETY: both words inside the direct map (checked), aligned (checked);
    // volatile reads as for read_u64.
    unsafe { [p.read_volatile(), p.add(1).read_volatile()] }
}

/// Writes an aligned 64-bit word.
pub fn write_u64(pa: u64, value: u64) {
    check_aligned(pa);
    let p = ptr(pa, 8) as *mut u64;
    // SAFETY: inside the direct map, aligned; the kernel only writes frames it
    // owns (page tables, object frames) or user frames it was asked to.
    unsafe { p.write_volatile(value) }
}

/// Copies bytes out of physical memory.
pub fn read_bytes(pa: u64, out: &mut [u8]) {
    let p = ptr(pa, out.len() as u64);
    // SAFETY: the source range is inside the direct map and cannot overlap
    // `out`, a kernel object outside the frames handed to user memory.
    unsafe { core::ptr::copy_nonoverlapping(p, out.as_mut_ptr(), out.len()) };
}

/// Copies bytes into physical memory.
pub fn write_bytes(pa: u64, data: &[u8]) {
    let p = ptr(pa, data.len() as u64);
    // SAFETY: the destination range is inside the direct map and cannot
    // overlap `data`, as for read_bytes.
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
}

/// Whether `pa` is a page-aligned frame that lies wholly inside the direct
/// map (so any range inside its page is reachable).
#[inline(always)]
pub fn reachable_frame(pa: u64) -> bool {
    const _: () = assert!(DIRECT_MAP_SIZE.is_power_of_two() && DIRECT_MAP_SIZE >= PAGE_SIZE);
    pa & !(DIRECT_MAP_SIZE - PAGE_SIZE) == 0
}

/// Copies `count` 64-bit words at byte `offset` in the page frame `src` to
/// the same place in the page frame `dst` (message words between two
/// UTCBs) with one inline `rep movsq`. Both must be frames for which
/// [`reachable_frame`] holds (the UTCB cache checks that when it is
/// filled); here their addresses are masked to a page of the direct map,
/// which leaves such frames as they are and keeps any other value inside
/// the direct map, at the cost of one `and` each instead of a test and
/// branch on the IPC fast paths. Two page-aligned frames are either the
/// same frame, where the copy leaves the words as they are, or do not
/// overlap at all.
#[inline(always)]
pub fn copy_page_words(dst: u64, src: u64, offset: u64, count: u64) {
    const FRAME: u64 = (DIRECT_MAP_SIZE - 1) & !(PAGE_SIZE - 1);
    debug_assert!(reachable_frame(dst) && reachable_frame(src));
    if !offset.is_multiple_of(8) || offset > PAGE_SIZE || count > (PAGE_SIZE - offset) / 8 {
        outside_page(offset, count);
    }
    let d = (DIRECT_MAP_BASE + (dst & FRAME) + offset) as *mut u64;
    let s = (DIRECT_MAP_BASE + (src & FRAME) + offset) as *const u64;
    // SAFETY: both ranges lie inside one direct-mapped page each (masked
    // frames, bounded range); they are the same words or disjoint
    // (page-aligned frames), and a forward `rep movsq` of a range onto
    // itself changes nothing. DF is clear in the kernel (see
    // copy_frame_words).
    unsafe {
        core::arch::asm!(
            "rep movsq",
            inout("rcx") count => _,
            inout("rdi") d => _,
            inout("rsi") s => _,
            options(nostack, preserves_flags)
        )
    };
}

/// Writes `head` and then the register frame `r` at byte `offset` of the
/// page frame `frame` (an exception message into a UTCB), masking the
/// frame as [`copy_page_words`] does: one inline `rep movsq` for the frame.
#[inline(always)]
pub fn write_page_message(frame: u64, offset: u64, head: &[u64; 3], r: &bilby_abi::UserRegisters) {
    const FRAME: u64 = (DIRECT_MAP_SIZE - 1) & !(PAGE_SIZE - 1);
    const LEN: u64 = 3 * 8 + 160;
    const _: () = assert!(core::mem::size_of::<bilby_abi::UserRegisters>() == 160);
    debug_assert!(reachable_frame(frame));
    if !offset.is_multiple_of(8) || offset > PAGE_SIZE - LEN {
        outside_page(offset, LEN / 8);
    }
    let p = (DIRECT_MAP_BASE + (frame & FRAME) + offset) as *mut u64;
    // SAFETY: the 23 words lie inside one direct-mapped page (masked frame,
    // bounded offset), aligned; `head` and `r` are kernel objects outside
    // the frames handed to user memory, so the ranges do not overlap.
    unsafe {
        p.write(head[0]);
        p.add(1).write(head[1]);
        p.add(2).write(head[2]);
        copy_frame_words(p.add(3), r as *const _ as *const u64);
    }
}

#[cold]
#[inline(never)]
fn outside_page(offset: u64, count: u64) -> ! {
    panic!(
        "page copy outside its page: {} words at {}",
        Dec(count),
        Hex(offset)
    )
}

/// Fills a physical range with zeroes.
pub fn zero(pa: u64, len: u64) {
    let p = ptr(pa, len);
    // SAFETY: inside the direct map.
    unsafe { core::ptr::write_bytes(p, 0, len as usize) };
}

/// A borrowed view of a physical range, for reading boot data in place.
pub fn slice(pa: u64, len: u64) -> &'static [u8] {
    let p = ptr(pa, len);
    // SAFETY: inside the direct map; used only for boot-time data (the boot
    // bundle, start info) that the kernel never hands out as user memory
    // while the view lives.
    unsafe { core::slice::from_raw_parts(p, len as usize) }
}

/// Copies the 20 words of a register frame with one inline `rep movsq`
/// (the exception-IPC hot path; a `memcpy` call costs a dozen more
/// instructions around the same loop).
///
/// # Safety
/// Both ranges must be valid for 160 bytes and must not overlap.
#[inline(always)]
unsafe fn copy_frame_words(dst: *mut u64, src: *const u64) {
    // SAFETY: the caller guarantees both ranges; the direction flag is
    // clear in the kernel (SFMASK clears it on `syscall`, the user-mode
    // exception entry with `cld`, and kernel code never sets it).
    unsafe {
        core::arch::asm!(
            "rep movsq",
            inout("rcx") 20usize => _,
            inout("rdi") dst => _,
            inout("rsi") src => _,
            options(nostack, preserves_flags)
        )
    };
}

/// Reads a register frame (20 words) from physical memory into `out`.
#[inline(always)]
pub fn read_registers(pa: u64, out: &mut bilby_abi::UserRegisters) {
    check_aligned(pa);
    let p = ptr(pa, 160) as *const bilby_abi::UserRegisters;
    // SAFETY: inside the direct map, aligned; every bit pattern is a valid
    // UserRegisters (twenty u64); `out` is a kernel object, not in the range.
    unsafe { copy_frame_words(out as *mut _ as *mut u64, p as *const u64) };
}
