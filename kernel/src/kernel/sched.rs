//! Scheduling: strict priorities, round robin within a priority, and the
//! switch to the chosen thread (address space, segment bases, frame).

use super::{Kernel, State};
use crate::arch;
use crate::kernel::console::kprintln;
use bilby_kernel::exit::IDLE_FOREVER as EXIT_IDLE_FOREVER;
use bilby_kernel::queue::NONE;

/// Puts a thread into the ready queue.
pub fn make_ready(k: &mut Kernel, t: u16) {
    let th = &mut k.threads[t as usize];
    th.state = State::Ready;
    let prio = th.priority;
    k.ready.push(&mut k.links, t, prio);
}

/// Takes a ready thread out of the ready queue (it is about to block, stop
/// or die).
pub fn unready(k: &mut Kernel, t: u16) {
    if k.threads[t as usize].state == State::Ready {
        let prio = k.threads[t as usize].priority;
        k.ready.remove(&mut k.links, t, prio);
    }
}

/// Whether anything outside the threads could ever make one ready again.
fn wake_source_exists(k: &Kernel) -> bool {
    k.irqs.iter().any(|i| i.port.is_some()) || k.timer.port.is_some()
}

/// Picks the thread to resume: the current one if it still runs and no
/// higher priority is ready, else the best ready thread; waits for
/// interrupts while none is. The common case (the current thread runs on
/// and nothing is ready) is tested inline; the rest is out of line.
#[inline(always)]
pub fn choose(k: &mut Kernel) {
    let runs_on = k
        .threads
        .get(k.current as usize)
        .is_some_and(|th| th.state == State::Running);
    if !(runs_on && k.ready.is_empty()) {
        choose_other(k);
    }
}

/// The rest of [`choose`].
#[inline(never)]
fn choose_other(k: &mut Kernel) {
    let cur = k.current;
    if cur != NONE && k.threads[cur as usize].state == State::Running {
        let prio = k.threads[cur as usize].priority;
        match k.ready.highest() {
            Some(p) if p > prio => make_ready(k, cur),
            _ => return,
        }
    }
    loop {
        if let Some(t) = k.ready.pop(&mut k.links) {
            k.threads[t as usize].state = State::Running;
            k.current = t;
            return;
        }
        k.current = NONE;
        if !wake_source_exists(k) {
            kprintln!("no thread can run again and nothing can wake one: halting");
            arch::io::debug_exit(EXIT_IDLE_FOREVER);
        }
        let irqs = arch::idle_wait();
        super::trap::irqs_arrived(k, irqs);
    }
}

/// Time-slice end: the current thread goes behind its equals.
pub fn rotate(k: &mut Kernel) {
    let cur = k.current;
    if cur != NONE && k.threads[cur as usize].state == State::Running {
        let prio = k.threads[cur as usize].priority;
        if k.ready.highest().is_some_and(|p| p >= prio) {
            make_ready(k, cur);
        }
    }
}

/// Loads the current thread's address space and segment bases and makes
/// its frame the one the exit path restores.
#[inline(always)]
pub fn activate(k: &mut Kernel) {
    let t = k.current;
    load_root(k, k.threads[t as usize].task);
    let th = &k.threads[t as usize];
    if k.loaded_thread != t || th.frame.full_restore != 0 {
        load_bases(k, t);
    }
    arch::set_current_frame(&mut k.threads[t as usize].frame);
}

/// [`activate`] for the IPC fast paths, which switch from the thread that
/// entered the kernel to another thread `t`: the segment bases are checked
/// without first asking whether `t` is the thread they were loaded for.
#[inline(always)]
pub fn switch_to(k: &mut Kernel, t: u16) {
    k.current = t;
    load_root(k, k.threads[t as usize].task);
    let r = &k.threads[t as usize].frame.regs;
    if (r.fs_base | r.gs_base | k.loaded_fs | k.loaded_gs) != 0 {
        load_bases_outlined(k, t);
    }
    k.loaded_thread = t;
    arch::set_current_frame(&mut k.threads[t as usize].frame);
}

/// Loads the root table of `task` unless it is loaded already.
#[inline(always)]
fn load_root(k: &mut Kernel, task: u16) {
    let task = task as usize;
    let root = k.tasks[task].root;
    if root != k.loaded_root {
        if k.features.pcid {
            // Each task has its own PCID (task index + 1); its TLB entries
            // survive other tasks' turns unless an unmap marked them stale.
            let keep = !k.tlb_stale[task];
            k.tlb_stale[task] = false;
            arch::cpu::load_root(root, task as u16 + 1, keep);
        } else {
            arch::cpu::write_cr3(root);
        }
        k.loaded_root = root;
        k.counters.address_space_switches += 1;
    }
}

/// [`load_bases`] out of line: one test of the four bases on the fast
/// paths, and no partial results kept for this.
#[cold]
#[inline(never)]
fn load_bases_outlined(k: &mut Kernel, t: u16) {
    load_bases(k, t);
}

/// Loads thread `t`'s segment bases. A selector load in user mode can zero
/// a base behind the kernel's back: a non-zero loaded base is always
/// rewritten, a zero one only when the new value differs.
#[inline(always)]
fn load_bases(k: &mut Kernel, t: u16) {
    let r = &k.threads[t as usize].frame.regs;
    if (r.fs_base | k.loaded_fs) != 0 {
        arch::cpu::set_fs_base(r.fs_base);
        k.loaded_fs = r.fs_base;
    }
    if (r.gs_base | k.loaded_gs) != 0 {
        arch::cpu::set_gs_base(r.gs_base);
        k.loaded_gs = r.gs_base;
    }
    k.loaded_thread = t;
}
