//! Kernel entries from user mode: hypercalls, exceptions and interrupts.
//! Each counts one user→kernel switch on entry and one kernel→user switch
//! on the way out, and leaves the thread to resume activated.

use super::ipc;
use super::{sched, Exception, Kernel};
use crate::arch;
use bilby_abi::{ExceptionKind, Hypercall, ThreadMode, Vector};

/// A `syscall` instruction from user mode; the frame is saved.
///
/// The IPC fast paths (`ipc::fast_*`) run first, each in a function of its
/// own that falls back to the general path with a tail call, so that this
/// dispatch saves no registers and the general path pays only a jump. A
/// fast path either finishes, leaving a running thread of at least the
/// priority of any ready one as `current` (so no scheduling decision is
/// left to make), or changes nothing and the general path takes over.
pub fn syscall(k: &mut Kernel) {
    let t = k.current;
    let Some(th) = k.threads.get(t as usize) else {
        no_current_thread();
    };
    // A valid index: the paths below take it as a `u8`.
    const _: () = assert!(super::MAX_THREADS == 1 << u8::BITS);
    let t = t as u8;
    if th.mode == ThreadMode::Virtualized {
        return syscall_exception(k, t);
    }
    let nr = th.frame.regs.rax;
    if nr == Hypercall::IpcCall as u64 {
        ipc_call(k, t)
    } else if nr == Hypercall::IpcReplyRecv as u64 {
        ipc_reply_recv(k, t)
    } else {
        hypercall(k, t)
    }
}

/// `IpcCall`: the fast path, else the general one.
#[inline(never)]
fn ipc_call(k: &mut Kernel, t: u8) {
    if !ipc::fast_call(k, t) {
        hypercall(k, t)
    }
}

/// `IpcReplyRecv`: the fast path, else the general one.
#[inline(never)]
fn ipc_reply_recv(k: &mut Kernel, t: u8) {
    if !ipc::fast_reply_recv(k, t) {
        hypercall(k, t)
    }
}

/// A virtualized thread's `syscall`: the fast path, else the general one,
/// exception IPC to its handler.
#[inline(never)]
fn syscall_exception(k: &mut Kernel, t: u8) {
    if !ipc::fast_syscall_exception(k, t) {
        raise_syscall(k, t)
    }
}

/// The general path of a virtualized thread's `syscall`.
#[inline(never)]
fn raise_syscall(k: &mut Kernel, t: u8) {
    k.counters.user_to_kernel += 1;
    let port = k.threads[usize::from(t)].handler;
    ipc::raise(k, t.into(), ipc::SYSCALL_EXCEPTION, port);
    leave(k);
}

/// The general path of a hypercall by thread `t`.
#[inline(never)]
fn hypercall(k: &mut Kernel, t: u8) {
    k.counters.user_to_kernel += 1;
    super::syscalls::dispatch(k, t.into());
    leave(k);
}

/// A `syscall` with no thread on the CPU: a kernel bug.
#[cold]
#[inline(never)]
fn no_current_thread() -> ! {
    panic!("syscall entry with no current thread")
}

/// A CPU exception or interrupt from user mode; the frame is saved.
pub fn exception(k: &mut Kernel, vector: u64, error_code: u64, cr2: u64) {
    k.counters.user_to_kernel += 1;
    if vector >= 32 {
        if let Some(irq) = arch::irq_of_vector(vector) {
            irqs_arrived(k, 1 << irq);
        }
    } else {
        let t = k.current;
        let th = &k.threads[t as usize];
        let (label, port, address) = if vector == Vector::PageFault as u64 {
            (ExceptionKind::PageFault, th.pager.or(th.handler), cr2)
        } else {
            (ExceptionKind::CpuException, th.handler, 0)
        };
        let e = Exception {
            label: label as u32,
            vector: vector as u32,
            error_code,
            fault_address: address,
        };
        ipc::raise(k, t, e, port);
    }
    leave(k);
}

fn leave(k: &mut Kernel) {
    sched::choose(k);
    sched::activate(k);
    k.counters.kernel_to_user += 1;
}

/// Handles the IRQs in `mask` (each acknowledged and masked at the PIC).
pub fn irqs_arrived(k: &mut Kernel, mask: u16) {
    for irq in 0..super::IRQ_LINES {
        if mask & (1 << irq) == 0 {
            continue;
        }
        if irq == 0 {
            tick(k);
            arch::io::pic_set_mask(0, false);
        } else {
            ipc::irq_arrived(k, irq);
        }
    }
}

fn tick(k: &mut Kernel) {
    k.ticks += 1;
    super::invariants::check(k);
    k.invariant_checks += 1;
    if k.timer.port.is_some() && k.timer.period_ticks != 0 && k.ticks >= k.timer.next_tick {
        if k.timer.periodic {
            k.timer.next_tick += k.timer.period_ticks;
        } else {
            k.timer.period_ticks = 0;
        }
        ipc::timer_fired(k);
    }
    sched::rotate(k);
}
