//! Capability spaces: each task's slots live in capability pages (frames
//! from the task's pool, allocated when a slot in them is first filled).
//! Every object a task uses is named through here; an empty capability
//! space can name nothing.

use super::{memory, Kernel};
use crate::arch;
use bilby_abi::{CapKind, Status};
use bilby_kernel::cap::{self, Cap, SLOT_BYTES};

#[inline(always)]
fn slot_address(k: &Kernel, task: u16, slot: u64) -> Result<Option<u64>, Status> {
    let (page, index) = cap::split_slot(slot)?;
    let base = k.tasks[task as usize].cspace[page];
    Ok((base != 0).then_some(base + index * SLOT_BYTES))
}

/// The capability in `slot` of `task`, if any.
pub fn lookup(k: &Kernel, task: u16, slot: u64) -> Result<Cap, Status> {
    let a = slot_address(k, task, slot)?.ok_or(Status::InvalidCapability)?;
    Cap::decode(arch::phys::read_u64(a), arch::phys::read_u64(a + 8))
        .ok_or(Status::InvalidCapability)
}

/// The capability in `slot` of `task`, checked for kind and rights (the
/// hot path of every hypercall: no decoding beyond what it checks).
#[inline(always)]
pub fn get(k: &Kernel, task: u16, slot: u64, kind: CapKind, rights: u64) -> Result<Cap, Status> {
    let a = slot_address(k, task, slot)?.ok_or(Status::InvalidCapability)?;
    const _: () = assert!(SLOT_BYTES == 16);
    let [word, badge] = arch::phys::read_u64_pair(a);
    cap::check(word, badge, kind, rights as u8)
}

/// The capability in `slot` of `task`, checked for kind and rights and for
/// naming an entry of a table of `OBJECTS` objects: the entry's index and
/// the slot's second word (an endpoint's badge). The IPC fast paths'
/// [`get`], with the three checks in one compare.
#[inline(always)]
pub fn get_indexed<const OBJECTS: usize>(
    k: &Kernel,
    task: u16,
    slot: u64,
    kind: CapKind,
    rights: u64,
) -> Option<(usize, u64)> {
    let a = slot_address(k, task, slot).ok()??;
    let [word, badge] = arch::phys::read_u64_pair(a);
    Some((
        cap::check_in_table::<OBJECTS>(word, kind, rights as u8)?,
        badge,
    ))
}

/// Checks that `slot` of `task` is a valid, empty slot.
pub fn check_empty(k: &Kernel, task: u16, slot: u64) -> Result<(), Status> {
    match slot_address(k, task, slot)? {
        Some(a) if arch::phys::read_u64(a) != 0 => Err(Status::Occupied),
        _ => Ok(()),
    }
}

/// Puts `c` into the empty `slot` of `task`, allocating its capability page
/// from the task's pool if needed.
pub fn insert(k: &mut Kernel, task: u16, slot: u64, c: Cap) -> Result<(), Status> {
    check_empty(k, task, slot)?;
    let (page, index) = cap::split_slot(slot)?;
    if k.tasks[task as usize].cspace[page] == 0 {
        let pool = k.tasks[task as usize].pool;
        k.tasks[task as usize].cspace[page] = memory::alloc_frame(k, pool)?;
    }
    let a = k.tasks[task as usize].cspace[page] + index * SLOT_BYTES;
    arch::phys::write_u64(a, c.encode());
    arch::phys::write_u64(a + 8, c.badge);
    Ok(())
}

/// Empties `slot` of `task`.
pub fn delete(k: &mut Kernel, task: u16, slot: u64) -> Result<(), Status> {
    let a = slot_address(k, task, slot)?.ok_or(Status::InvalidCapability)?;
    if arch::phys::read_u64(a) == 0 {
        return Err(Status::InvalidCapability);
    }
    arch::phys::write_u64(a, 0);
    arch::phys::write_u64(a + 8, 0);
    Ok(())
}

/// Empties every slot, in every task, that names `object` of `kind`
/// (the object is gone).
pub fn purge(k: &mut Kernel, kind: CapKind, object: u32) {
    for t in 0..k.tasks.len() {
        if !k.tasks[t].alive {
            continue;
        }
        for page in k.tasks[t].cspace {
            if page == 0 {
                continue;
            }
            for i in 0..u64::from(cap::SLOTS_PER_PAGE) {
                let a = page + i * SLOT_BYTES;
                let w = arch::phys::read_u64(a);
                if let Some(c) = Cap::decode(w, 0) {
                    if c.kind == kind && c.object == object {
                        arch::phys::write_u64(a, 0);
                        arch::phys::write_u64(a + 8, 0);
                    }
                }
            }
        }
    }
}
