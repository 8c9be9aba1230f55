//! Synchronous IPC over endpoints, and exception IPC on top of it.
//!
//! A message is a tag and four words in registers (`rsi`; `rdx`, `r10`,
//! `r8`, `r9`), plus words 4 and up copied between the UTCBs. A sender
//! blocked in an endpoint's queue keeps its message in its saved frame.
//! A call leaves the caller waiting for the reply and switches straight to
//! the receiver. Exception IPC is a call the kernel makes on a thread's
//! behalf: the whole register frame goes into the receiver's UTCB, and the
//! reply's label says whether the thread resumes.

use super::{objects, sched, Exception, Kernel, State};
use crate::arch;
use bilby_abi::{
    ExceptionKind, MessageTag, ReplyLabel, Status, UserRegisters, Utcb, RIGHT_READ, RIGHT_WRITE,
};
use bilby_kernel::queue::NONE;
use core::mem::offset_of;

/// A message in transit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// The tag (label, word count).
    pub tag: u64,
    /// Words 0–3.
    pub words: [u64; 4],
    /// The badge the receiver sees.
    pub badge: u64,
}

const UTCB_MR: u64 = offset_of!(Utcb, mr) as u64;
const UTCB_EXCEPTION: u64 = offset_of!(Utcb, exception) as u64;
const EXCEPTION_REGS: u64 = offset_of!(bilby_abi::ExceptionMessage, regs) as u64;

/// The physical address of a thread's UTCB (it must be mapped writable).
pub fn utcb_phys(k: &Kernel, t: u16) -> Result<u64, Status> {
    let th = &k.threads[t as usize];
    let root = k.tasks[th.task as usize].root;
    super::memory::user_phys(root, th.utcb, RIGHT_READ | RIGHT_WRITE)
}

/// The register frame as the 20 words of `UserRegisters`.
pub fn regs_to_words(r: &UserRegisters) -> [u64; 20] {
    [
        r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13,
        r.r14, r.r15, r.rip, r.rsp, r.rflags, r.fs_base, r.gs_base,
    ]
}

/// The inverse of [`regs_to_words`].
pub fn words_to_regs(w: &[u64; 20]) -> UserRegisters {
    UserRegisters {
        rax: w[0],
        rbx: w[1],
        rcx: w[2],
        rdx: w[3],
        rsi: w[4],
        rdi: w[5],
        rbp: w[6],
        r8: w[7],
        r9: w[8],
        r10: w[9],
        r11: w[10],
        r12: w[11],
        r13: w[12],
        r14: w[13],
        r15: w[14],
        rip: w[15],
        rsp: w[16],
        rflags: w[17],
        fs_base: w[18],
        gs_base: w[19],
    }
}

/// The message a sender sends: its pending exception, or its registers.
fn sender_message(k: &Kernel, s: u16) -> Message {
    let th = &k.threads[s as usize];
    let r = &th.frame.regs;
    if th.exception.label != 0 {
        let e = th.exception;
        let page_fault = e.label == ExceptionKind::PageFault as u32;
        Message {
            tag: MessageTag {
                label: e.label,
                words: if page_fault { 4 } else { 0 },
            }
            .encode(),
            words: if page_fault {
                [e.fault_address, e.error_code, r.rip, r.rsp]
            } else {
                [0; 4]
            },
            badge: th.send_badge,
        }
    } else {
        Message {
            tag: r.rsi,
            words: [r.rdx, r.r10, r.r8, r.r9],
            badge: th.send_badge,
        }
    }
}

/// Writes `msg` into the receiver's registers (status Ok, badge, tag,
/// words) and, from a thread sender, the UTCB words beyond 4 or the whole
/// exception frame.
fn deliver(k: &mut Kernel, from: u16, to: u16, msg: &Message) {
    let words = msg.tag & bilby_abi::MESSAGE_TAG_WORDS_MASK;
    if from != NONE {
        let exception = k.threads[from as usize].exception;
        if exception.label != 0 {
            if let Ok(dst) = utcb_phys(k, to) {
                write_exception(k, from, dst + UTCB_EXCEPTION, &exception);
            }
            k.counters.exception_ipcs += 1;
        } else if words > 4 {
            if let (Ok(src), Ok(dst)) = (utcb_phys(k, from), utcb_phys(k, to)) {
                arch::phys::copy(dst + UTCB_MR + 32, src + UTCB_MR + 32, (words - 4) * 8);
            }
        }
    }
    let r = &mut k.threads[to as usize].frame.regs;
    r.rax = Status::Ok as u64;
    r.rdi = msg.badge;
    r.rsi = msg.tag;
    r.rdx = msg.words[0];
    r.r10 = msg.words[1];
    r.r8 = msg.words[2];
    r.r9 = msg.words[3];
    k.counters.ipc_messages += 1;
}

fn write_exception(k: &Kernel, from: u16, base: u64, e: &Exception) {
    arch::phys::write_u64(base, u64::from(e.label) | (u64::from(e.vector) << 32));
    arch::phys::write_u64(base + 8, e.error_code);
    arch::phys::write_u64(base + 16, e.fault_address);
    let words = regs_to_words(&k.threads[from as usize].frame.regs);
    for (i, w) in words.iter().enumerate() {
        arch::phys::write_u64(base + EXCEPTION_REGS + i as u64 * 8, *w);
    }
}

/// Moves a queued or current sender's message to receiver `r`; a call
/// leaves the sender waiting for `r`'s reply.
fn transfer(k: &mut Kernel, s: u16, r: u16) {
    let msg = sender_message(k, s);
    deliver(k, s, r, &msg);
    if k.threads[s as usize].send_is_call {
        k.threads[r as usize].reply_to = s;
        k.threads[s as usize].state = State::BlockedReply;
    } else {
        k.threads[r as usize].reply_to = NONE;
        k.threads[s as usize].frame.regs.rax = Status::Ok as u64;
    }
}

/// The current thread `s` sends (or calls, if `call`) on endpoint `ep`
/// with the message in its registers (or its pending exception).
pub fn send(k: &mut Kernel, s: u16, ep: u16, badge: u64, call: bool) {
    k.threads[s as usize].send_badge = badge;
    k.threads[s as usize].send_is_call = call;
    if let Some(r) = k.endpoints[ep as usize].receivers.pop_front(&mut k.links) {
        transfer(k, s, r);
        if call {
            // Direct switch: the caller waits, the receiver runs now.
            k.threads[r as usize].state = State::Running;
            k.current = r;
        } else {
            sched::make_ready(k, r);
        }
    } else {
        k.threads[s as usize].state = State::BlockedSend(ep);
        k.endpoints[ep as usize].senders.push_back(&mut k.links, s);
        if k.current == s {
            k.current = NONE;
        }
    }
}

/// The current thread `r` receives on `ep`: a pending notification, a
/// queued sender, or it blocks.
pub fn receive(k: &mut Kernel, r: u16, ep: u16) {
    k.threads[r as usize].reply_to = NONE;
    if let Some(msg) = take_notification(k, ep) {
        deliver(k, NONE, r, &msg);
        return;
    }
    if let Some(s) = k.endpoints[ep as usize].senders.pop_front(&mut k.links) {
        transfer(k, s, r);
        if !k.threads[s as usize].send_is_call {
            sched::make_ready(k, s);
        }
    } else {
        k.threads[r as usize].state = State::BlockedRecv(ep);
        k.endpoints[ep as usize]
            .receivers
            .push_back(&mut k.links, r);
        if k.current == r {
            k.current = NONE;
        }
    }
}

/// Thread `replier` replies with `msg` to the caller it owes a reply.
pub fn reply(k: &mut Kernel, replier: u16, msg: &Message) -> Result<(), Status> {
    let c = k.threads[replier as usize].reply_to;
    k.threads[replier as usize].reply_to = NONE;
    if c == NONE || k.threads[c as usize].state != State::BlockedReply {
        return Err(Status::NoReplyPending);
    }
    if k.threads[c as usize].exception.label != 0 {
        return exception_reply(k, replier, c, msg);
    }
    let m = Message { badge: 0, ..*msg };
    deliver(k, replier, c, &m);
    sched::make_ready(k, c);
    Ok(())
}

/// The reply to an exception message: resume with the handler's registers,
/// map and resume, or leave the thread stopped.
fn exception_reply(k: &mut Kernel, replier: u16, c: u16, msg: &Message) -> Result<(), Status> {
    let label = (msg.tag >> bilby_abi::MESSAGE_TAG_LABEL_SHIFT) as u32;
    k.threads[c as usize].exception.label = 0;
    k.counters.ipc_messages += 1;
    let result = match ReplyLabel::try_from(label) {
        Ok(ReplyLabel::Resume) => {
            let base = utcb_phys(k, replier)? + UTCB_EXCEPTION + EXCEPTION_REGS;
            let mut w = [0u64; 20];
            for (i, v) in w.iter_mut().enumerate() {
                *v = arch::phys::read_u64(base + i as u64 * 8);
            }
            objects::set_registers(&mut k.threads[c as usize].frame, &words_to_regs(&w))
        }
        Ok(ReplyLabel::MapAndResume) => {
            let from = k.threads[replier as usize].task;
            let to = k.threads[c as usize].task;
            let [source, destination, pages, rights] = msg.words;
            super::syscalls::map_pages(k, from, to, source, destination, pages, rights, false)
        }
        Err(_) => {
            k.threads[c as usize].state = State::Inactive;
            return Ok(());
        }
    };
    match result {
        Ok(()) => {
            sched::make_ready(k, c);
            Ok(())
        }
        Err(e) => {
            k.threads[c as usize].state = State::Inactive;
            Err(e)
        }
    }
}

/// Reports an exception of the current thread `t` to `port` (its handler
/// or pager) as a call; with no port, stops it and says so on the console.
pub fn raise(k: &mut Kernel, t: u16, e: Exception, port: Option<super::Port>) {
    let Some(port) = port.filter(|p| k.endpoints[p.endpoint as usize].alive) else {
        let th = &k.threads[t as usize];
        crate::kernel::console::kprintln!(
            "thread {} (task {}) stopped: {} vector {} at rip {} (fault address {}, error {}) and no handler",
            crate::kernel::console::Dec(u64::from(t)),
            crate::kernel::console::Dec(u64::from(th.task)),
            kind_name(e.label),
            crate::kernel::console::Dec(u64::from(e.vector)),
            crate::kernel::console::Hex(th.frame.regs.rip),
            crate::kernel::console::Hex(e.fault_address),
            crate::kernel::console::Hex(e.error_code),
        );
        objects::detach(k, t, false);
        return;
    };
    k.threads[t as usize].exception = e;
    send(k, t, port.endpoint, port.badge, true);
}

fn kind_name(label: u32) -> &'static str {
    match ExceptionKind::try_from(label) {
        Ok(ExceptionKind::Syscall) => "syscall",
        Ok(ExceptionKind::PageFault) => "page fault",
        Ok(ExceptionKind::CpuException) => "CPU exception",
        _ => "exception",
    }
}

/// A pending interrupt or timer message for `ep`, taken.
fn take_notification(k: &mut Kernel, ep: u16) -> Option<Message> {
    for i in 0..k.irqs.len() {
        let irq = &mut k.irqs[i];
        if irq.pending && irq.port.is_some_and(|p| p.endpoint == ep) {
            irq.pending = false;
            return Some(irq_message(i as u64, irq.port.map_or(0, |p| p.badge)));
        }
    }
    let tm = &mut k.timer;
    if tm.pending && tm.port.is_some_and(|p| p.endpoint == ep) {
        tm.pending = false;
        let badge = tm.port.map_or(0, |p| p.badge);
        return Some(timer_message(k.ticks * k.tick_ns, badge));
    }
    None
}

fn irq_message(irq: u64, badge: u64) -> Message {
    Message {
        tag: MessageTag {
            label: ExceptionKind::Interrupt as u32,
            words: 1,
        }
        .encode(),
        words: [irq, 0, 0, 0],
        badge,
    }
}

fn timer_message(now_ns: u64, badge: u64) -> Message {
    Message {
        tag: MessageTag {
            label: ExceptionKind::Timer as u32,
            words: 1,
        }
        .encode(),
        words: [now_ns, 0, 0, 0],
        badge,
    }
}

/// Delivers a kernel notification to a receiver waiting on `port`, or
/// returns false (the caller keeps it pending).
fn notify(k: &mut Kernel, port: super::Port, msg: &Message) -> bool {
    match k.endpoints[port.endpoint as usize]
        .receivers
        .pop_front(&mut k.links)
    {
        Some(r) => {
            deliver(k, NONE, r, msg);
            k.threads[r as usize].reply_to = NONE;
            sched::make_ready(k, r);
            true
        }
        None => false,
    }
}

/// IRQ `irq` arrived (masked at the PIC until `IrqAck`).
pub fn irq_arrived(k: &mut Kernel, irq: usize) {
    if let Some(port) = k.irqs[irq].port {
        if !notify(k, port, &irq_message(irq as u64, port.badge)) {
            k.irqs[irq].pending = true;
        }
    }
}

/// The user timer fired.
pub fn timer_fired(k: &mut Kernel) {
    if let Some(port) = k.timer.port {
        let msg = timer_message(k.ticks * k.tick_ns, port.badge);
        if !notify(k, port, &msg) {
            k.timer.pending = true;
        }
    }
}
