//! Creating and destroying tasks, threads and endpoints, and the checks on
//! register frames that come from user space (they must never make the
//! kernel's exit path fault: canonical user `rip`, `rsp` and bases only).

use super::{cspace, memory, sched, Kernel, State, MAX_ENDPOINTS};
use crate::arch::{ThreadFrame, USER_RFLAGS_FIXED, USER_RFLAGS_MASK};
use bilby_abi::{CapKind, Status, UserRegisters, PAGE_SIZE, USER_SPACE_END};
use bilby_kernel::queue::NONE;

/// Creates a task whose tables are paid by `pool`.
pub fn create_task(k: &mut Kernel, pool: u16) -> Result<u16, Status> {
    let i = k
        .tasks
        .iter()
        .position(|t| !t.alive)
        .ok_or(Status::OutOfMemory)?;
    let root = memory::new_root(k, pool)?;
    // A reused PCID may still tag the previous task's translations.
    k.tlb_stale[i] = true;
    let t = &mut k.tasks[i];
    t.alive = true;
    t.root = root;
    t.cspace = [0; bilby_kernel::cap::PAGES_PER_SPACE];
    t.pool = pool;
    Ok(i as u16)
}

/// Creates a stopped native thread in `task`, paying one frame from `pool`.
pub fn create_thread(k: &mut Kernel, pool: u16, task: u16, utcb: u64) -> Result<u16, Status> {
    if !utcb.is_multiple_of(PAGE_SIZE) {
        return Err(Status::Unaligned);
    }
    memory::user_range_ok(utcb, 1)?;
    let i = k
        .threads
        .iter()
        .position(|t| !t.alive)
        .ok_or(Status::OutOfMemory)?;
    let paid = memory::alloc_frame(k, pool)?;
    let th = &mut k.threads[i];
    *th = super::Thread::EMPTY;
    th.alive = true;
    th.task = task;
    th.frame = ThreadFrame::EMPTY;
    th.priority = 100;
    th.utcb = utcb;
    th.paid_frame = paid;
    Ok(i as u16)
}

/// Creates an endpoint.
pub fn create_endpoint(k: &mut Kernel) -> Result<u16, Status> {
    let i = k
        .endpoints
        .iter()
        .position(|e| !e.alive)
        .ok_or(Status::OutOfMemory)?;
    const _: () = assert!(MAX_ENDPOINTS < NONE as usize);
    k.endpoints[i] = super::Endpoint::EMPTY;
    k.endpoints[i].alive = true;
    Ok(i as u16)
}

/// Writes user-supplied registers into a frame, keeping the kernel's
/// invariants: canonical user `rip`, `rsp` and segment bases, IF set, no
/// privileged flags.
#[inline]
pub fn set_registers(frame: &mut ThreadFrame, r: &UserRegisters) -> Result<(), Status> {
    if r.rip >= USER_SPACE_END
        || r.rsp >= USER_SPACE_END
        || r.fs_base >= USER_SPACE_END
        || r.gs_base >= USER_SPACE_END
    {
        return Err(Status::InvalidAddress);
    }
    frame.regs = *r;
    let f = &mut frame.regs;
    f.rflags = (f.rflags & USER_RFLAGS_MASK) | USER_RFLAGS_FIXED;
    frame.full_restore = u64::from(f.rcx != f.rip || f.r11 != f.rflags);
    Ok(())
}

/// Loads a thread's registers from a frame in physical memory (a UTCB's
/// exception message), with the checks of [`set_registers`]. A refused
/// frame leaves the thread with `rip`, `rsp` and the segment bases zeroed,
/// so that resuming it later can only fault in user mode.
#[inline]
pub fn load_registers(frame: &mut ThreadFrame, pa: u64) -> Result<(), Status> {
    crate::arch::phys::read_registers(pa, &mut frame.regs);
    let f = &mut frame.regs;
    // USER_SPACE_END is a power of two: any bad value keeps a high bit set.
    const _: () = assert!(USER_SPACE_END.is_power_of_two());
    if (f.rip | f.rsp | f.fs_base | f.gs_base) >= USER_SPACE_END {
        f.rip = 0;
        f.rsp = 0;
        f.fs_base = 0;
        f.gs_base = 0;
        frame.full_restore = 1;
        return Err(Status::InvalidAddress);
    }
    f.rflags = (f.rflags & USER_RFLAGS_MASK) | USER_RFLAGS_FIXED;
    frame.full_restore = u64::from(f.rcx != f.rip || f.r11 != f.rflags);
    Ok(())
}

/// Takes a thread out of whatever it waits in, leaving it Inactive. A
/// caller waiting for its reply gets `PeerGone`; so does a thread it
/// called if `gone` (it is being destroyed).
pub fn detach(k: &mut Kernel, t: u16, gone: bool) {
    match k.threads[t as usize].state {
        State::Ready => sched::unready(k, t),
        State::BlockedSend(e) => k.endpoints[e as usize].senders.remove(&mut k.links, t),
        State::BlockedRecv(e) => k.endpoints[e as usize].receivers.remove(&mut k.links, t),
        State::BlockedReply => {
            // Whoever owes it a reply no longer does.
            for s in 0..k.threads.len() {
                if k.threads[s].alive && k.threads[s].reply_to == t {
                    k.threads[s].reply_to = NONE;
                }
            }
        }
        State::Running | State::Inactive => {}
    }
    k.threads[t as usize].state = State::Inactive;
    k.threads[t as usize].exception.label = 0;
    let owed = k.threads[t as usize].reply_to;
    if gone && owed != NONE {
        k.threads[t as usize].reply_to = NONE;
        let c = &mut k.threads[owed as usize];
        if c.state == State::BlockedReply {
            c.frame.regs.rax = Status::PeerGone as u64;
            c.exception.label = 0;
            sched::make_ready(k, owed);
        }
    }
    if k.current == t {
        k.current = NONE;
    }
}

/// Destroys a thread.
pub fn destroy_thread(k: &mut Kernel, t: u16) {
    detach(k, t, true);
    let paid = k.threads[t as usize].paid_frame;
    k.threads[t as usize].alive = false;
    if k.loaded_thread == t {
        k.loaded_thread = NONE;
    }
    memory::free_frame(k, paid);
    cspace::purge(k, CapKind::Thread, u32::from(t));
}

/// Destroys a task: its threads, its mappings, its tables and capability
/// pages.
pub fn destroy_task(k: &mut Kernel, task: u16) {
    for t in 0..k.threads.len() {
        if k.threads[t].alive && k.threads[t].task == task {
            destroy_thread(k, t as u16);
        }
    }
    super::syscalls::unmap_all(k, task);
    k.unmap_generation += 1;
    let root = k.tasks[task as usize].root;
    if k.loaded_root == root {
        // Leave the dying tables before they are freed.
        crate::arch::cpu::write_cr3(crate::arch::kernel_root_table());
        k.loaded_root = crate::arch::kernel_root_table();
    }
    memory::free_tables(k, root);
    for page in k.tasks[task as usize].cspace {
        if page != 0 {
            memory::free_frame(k, page);
        }
    }
    k.tasks[task as usize].alive = false;
    cspace::purge(k, CapKind::Task, u32::from(task));
}
