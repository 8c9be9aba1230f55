//! Physical memory pools and page tables.
//!
//! A pool is a physically contiguous range of free RAM named by a Memory
//! capability: frames come from a bump pointer or a free list threaded
//! through freed frames. A module pool holds a boot module's image; its
//! frames are mapped, never handed out fresh. Page tables are 4-level
//! x86_64 tables in pool frames; the kernel half of every root table is the
//! boot tables' (shared, supervisor-only, global).

use super::{Kernel, MAX_POOLS};
use crate::arch;
use bilby_abi::{Status, PAGE_SIZE, RIGHT_EXECUTE, RIGHT_WRITE, USER_SPACE_END, USER_SPACE_START};

use bilby_kernel::pool::FrameLinks;
pub use bilby_kernel::pool::{Pool, PoolKind};

/// Free-list links in the frames themselves, through the direct map.
struct PhysLinks;

impl FrameLinks for PhysLinks {
    fn read_link(&self, frame: u64) -> u64 {
        arch::phys::read_u64(frame)
    }
    fn write_link(&mut self, frame: u64, next: u64) {
        arch::phys::write_u64(frame, next);
    }
}

/// Adds a pool over `[base, end)` (page aligned); returns its index.
pub fn add_pool(k: &mut Kernel, kind: PoolKind, base: u64, end: u64) -> Option<u16> {
    let i = k.pools.iter().position(|p| !p.alive)?;
    k.pools[i] = Pool::new(kind, base, end);
    Some(i as u16)
}

/// Takes one zeroed frame from a free pool.
pub fn alloc_frame(k: &mut Kernel, pool: u16) -> Result<u64, Status> {
    let p = k
        .pools
        .get_mut(pool as usize)
        .ok_or(Status::InvalidArgument)?;
    if !p.alive || p.kind != PoolKind::Free {
        return Err(Status::InvalidArgument);
    }
    let frame = p.alloc(&PhysLinks).ok_or(Status::OutOfMemory)?;
    arch::phys::zero(frame, PAGE_SIZE);
    Ok(frame)
}

/// Takes `pages` contiguous frames (not zeroed) from a free pool.
pub fn alloc_contiguous(k: &mut Kernel, pool: u16, pages: u64) -> Option<u64> {
    k.pools.get_mut(pool as usize)?.alloc_contiguous(pages)
}

/// The free pool a frame came from, if any (module images carved out of a
/// free pool at boot belong to their module pool, never freed).
pub fn pool_of(k: &Kernel, frame: u64) -> Option<u16> {
    if k.pools
        .iter()
        .any(|p| p.kind == PoolKind::Module && p.contains(frame))
    {
        return None;
    }
    k.pools
        .iter()
        .position(|p| p.kind == PoolKind::Free && p.contains(frame))
        .map(|i| i as u16)
}

/// Returns a frame to the free pool it came from (module frames stay).
pub fn free_frame(k: &mut Kernel, frame: u64) {
    if let Some(i) = pool_of(k, frame) {
        k.pools[i as usize].free(&mut PhysLinks, frame);
    }
}

const _: () = assert!(MAX_POOLS <= u16::MAX as usize);

// Page-table entry bits.
const PTE_PRESENT: u64 = 1;
const PTE_WRITE: u64 = 2;
const PTE_USER: u64 = 4;
const PTE_NX: u64 = 1 << 63;
const PTE_ADDR: u64 = 0x000f_ffff_ffff_f000;
const PTE_WRITE_THROUGH: u64 = 1 << 3;
const PTE_CACHE_DISABLE: u64 = 1 << 4;

/// A kernel-internal bit beside the `RIGHT_*` bits of a mapping: the page
/// is device memory, mapped uncached (never accepted from user space:
/// `check_rights` allows `RIGHTS_ALL` only).
pub const MAP_UNCACHED: u64 = 1 << 16;
const _: () = assert!(MAP_UNCACHED & bilby_abi::RIGHTS_ALL == 0);

/// A user leaf mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// Physical frame.
    pub frame: u64,
    /// `RIGHT_*` bits, and [`MAP_UNCACHED`] for device memory.
    pub rights: u64,
}

/// Makes a root table whose kernel half is the boot tables'.
pub fn new_root(k: &mut Kernel, pool: u16) -> Result<u64, Status> {
    let root = alloc_frame(k, pool)?;
    let kernel = arch::kernel_root_table();
    for i in 256..512 {
        arch::phys::write_u64(root + i * 8, arch::phys::read_u64(kernel + i * 8));
    }
    Ok(root)
}

fn index(vaddr: u64, level: u32) -> u64 {
    (vaddr >> (12 + 9 * level)) & 0x1ff
}

/// Whether `[vaddr, vaddr + pages)` is page aligned and inside user space.
pub fn user_range_ok(vaddr: u64, pages: u64) -> Result<(), Status> {
    if !vaddr.is_multiple_of(PAGE_SIZE) {
        return Err(Status::Unaligned);
    }
    let len = pages
        .checked_mul(PAGE_SIZE)
        .ok_or(Status::InvalidArgument)?;
    let end = vaddr.checked_add(len).ok_or(Status::InvalidAddress)?;
    if pages == 0 || vaddr < USER_SPACE_START || end > USER_SPACE_END {
        return Err(Status::InvalidAddress);
    }
    Ok(())
}

/// Maps `frame` at `vaddr` with `rights`; intermediate tables come from
/// `pool`. Fails with `Occupied` if a page is already mapped there.
pub fn map_page(
    k: &mut Kernel,
    root: u64,
    pool: u16,
    vaddr: u64,
    frame: u64,
    rights: u64,
) -> Result<(), Status> {
    let mut table = root;
    for level in (1..4).rev() {
        let slot = table + index(vaddr, level) * 8;
        let e = arch::phys::read_u64(slot);
        table = if e & PTE_PRESENT != 0 {
            e & PTE_ADDR
        } else {
            let t = alloc_frame(k, pool)?;
            arch::phys::write_u64(slot, t | PTE_PRESENT | PTE_WRITE | PTE_USER);
            t
        };
    }
    let slot = table + index(vaddr, 0) * 8;
    if arch::phys::read_u64(slot) & PTE_PRESENT != 0 {
        return Err(Status::Occupied);
    }
    let mut e = frame | PTE_PRESENT | PTE_USER;
    if rights & RIGHT_WRITE != 0 {
        e |= PTE_WRITE;
    }
    if rights & RIGHT_EXECUTE == 0 && k.features.nx {
        e |= PTE_NX;
    }
    if rights & MAP_UNCACHED != 0 {
        e |= PTE_CACHE_DISABLE | PTE_WRITE_THROUGH;
    }
    arch::phys::write_u64(slot, e);
    Ok(())
}

fn leaf_slot(root: u64, vaddr: u64) -> Option<u64> {
    if vaddr >= USER_SPACE_END {
        return None;
    }
    let mut table = root;
    for level in (1..4).rev() {
        let e = arch::phys::read_u64(table + index(vaddr, level) * 8);
        if e & PTE_PRESENT == 0 {
            return None;
        }
        table = e & PTE_ADDR;
    }
    Some(table + index(vaddr, 0) * 8)
}

/// The user mapping at `vaddr`, if any.
pub fn lookup(root: u64, vaddr: u64) -> Option<Leaf> {
    let e = arch::phys::read_u64(leaf_slot(root, vaddr)?);
    if e & PTE_PRESENT == 0 || e & PTE_USER == 0 {
        return None;
    }
    let mut rights = bilby_abi::RIGHT_READ;
    if e & PTE_WRITE != 0 {
        rights |= RIGHT_WRITE;
    }
    if e & PTE_NX == 0 {
        rights |= RIGHT_EXECUTE;
    }
    if e & PTE_CACHE_DISABLE != 0 {
        rights |= MAP_UNCACHED;
    }
    Some(Leaf {
        frame: e & PTE_ADDR,
        rights,
    })
}

/// Removes the mapping at `vaddr` and flushes it from the TLB if `root` is
/// loaded; returns what was mapped.
pub fn unmap_page(k: &Kernel, root: u64, vaddr: u64) -> Option<Leaf> {
    unmap_leaf(root, vaddr, k.loaded_root)
}

/// [`unmap_page`] for callers that hold the kernel borrowed in parts. The
/// TLB entry goes now if `root` is loaded; otherwise the caller marks the
/// task's PCID stale (without PCID, loading another root flushed it).
pub fn unmap_leaf(root: u64, vaddr: u64, loaded_root: u64) -> Option<Leaf> {
    let leaf = lookup(root, vaddr)?;
    let slot = leaf_slot(root, vaddr)?;
    arch::phys::write_u64(slot, 0);
    if loaded_root == root {
        arch::cpu::flush_page(vaddr);
    }
    Some(leaf)
}

/// Frees every user page table of `root` and the root itself (not the
/// mapped frames: the caller unmaps those first).
pub fn free_tables(k: &mut Kernel, root: u64) {
    fn walk(k: &mut Kernel, table: u64, level: u32) {
        let entries = if level == 3 { 256 } else { 512 };
        for i in 0..entries {
            let e = arch::phys::read_u64(table + i * 8);
            if e & PTE_PRESENT != 0 && level > 0 {
                let t = e & PTE_ADDR;
                if level > 1 {
                    walk(k, t, level - 1);
                }
                free_frame(k, t);
            }
        }
    }
    walk(k, root, 3);
    free_frame(k, root);
}

/// The physical address of user byte `vaddr` if mapped with `rights` in
/// RAM: the kernel never reads or writes a user's device memory (the
/// direct map does not cover it, or covers it cached).
pub fn user_phys(root: u64, vaddr: u64, rights: u64) -> Result<u64, Status> {
    match lookup(root, vaddr) {
        Some(l) if l.rights & rights == rights && l.rights & MAP_UNCACHED == 0 => {
            Ok(l.frame + vaddr % PAGE_SIZE)
        }
        _ => Err(Status::InvalidAddress),
    }
}

/// Copies user memory of the address space `root` into `out`.
pub fn copy_from_user(root: u64, vaddr: u64, out: &mut [u8]) -> Result<(), Status> {
    let mut done = 0usize;
    while done < out.len() {
        let va = vaddr
            .checked_add(done as u64)
            .ok_or(Status::InvalidAddress)?;
        let pa = user_phys(root, va, bilby_abi::RIGHT_READ)?;
        let n = ((PAGE_SIZE - va % PAGE_SIZE) as usize).min(out.len() - done);
        arch::phys::read_bytes(pa, &mut out[done..done + n]);
        done += n;
    }
    Ok(())
}

/// Copies `data` into user memory of the address space `root`.
pub fn copy_to_user(root: u64, vaddr: u64, data: &[u8]) -> Result<(), Status> {
    let mut done = 0usize;
    while done < data.len() {
        let va = vaddr
            .checked_add(done as u64)
            .ok_or(Status::InvalidAddress)?;
        let pa = user_phys(root, va, bilby_abi::RIGHT_READ | RIGHT_WRITE)?;
        let n = ((PAGE_SIZE - va % PAGE_SIZE) as usize).min(data.len() - done);
        arch::phys::write_bytes(pa, &data[done..done + n]);
        done += n;
    }
    Ok(())
}
