//! Synchronous IPC over endpoints, and exception IPC on top of it.
//!
//! A message is a tag and four words in registers (`rsi`; `rdx`, `r10`,
//! `r8`, `r9`), plus words 4 and up copied between the UTCBs. A sender
//! blocked in an endpoint's queue keeps its message in its saved frame.
//! A call leaves the caller waiting for the reply and switches straight to
//! the receiver. Exception IPC is a call the kernel makes on a thread's
//! behalf: the whole register frame goes into the receiver's UTCB, and the
//! reply's label says whether the thread resumes.
//!
//! The common cases have fast paths (`fast_call`, `fast_reply_recv`,
//! `fast_syscall_exception`) that check every condition first and change
//! nothing unless they can finish; anything unusual takes the general path.
//! Neither ever trusts a register: every capability, tag and frame is
//! checked on both.

use super::console::{kprintln, Dec, Hex};
use super::{objects, sched, Exception, Kernel, State};
use crate::arch;
use bilby_abi::{
    CapKind, ExceptionKind, MessageTag, ReplyLabel, Status, UserRegisters, Utcb, Vector,
    CAP_RIGHT_USE, KERNEL_LABEL_BASE, MESSAGE_TAG_LABEL_SHIFT, MESSAGE_TAG_WORDS_MASK,
    REGISTER_MESSAGE_WORDS, RIGHT_READ, RIGHT_WRITE, UTCB_MESSAGE_WORDS,
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
/// Message words in registers; the UTCB carries the rest.
const REGISTER_WORDS: u64 = REGISTER_MESSAGE_WORDS as u64;
/// A tag's reserved bits, between the word count and the label (as in
/// `MessageTag::decode`).
const MESSAGE_TAG_RESERVED: u64 = 0xFFFF_FF00;
/// Where the UTCB's message words beyond the registers start.
const UTCB_MR_BEYOND_REGISTERS: u64 = UTCB_MR + 8 * REGISTER_WORDS;
const UTCB_EXCEPTION: u64 = offset_of!(Utcb, exception) as u64;
const EXCEPTION_REGS: u64 = offset_of!(bilby_abi::ExceptionMessage, regs) as u64;

/// The exception a virtualized thread's `syscall` raises.
pub const SYSCALL_EXCEPTION: Exception = Exception {
    label: ExceptionKind::Syscall as u32,
    vector: Vector::Syscall as u32,
    error_code: 0,
    fault_address: 0,
};

/// The physical address of a thread's UTCB (it must be mapped writable),
/// cached until the next unmap anywhere.
#[inline(always)]
pub fn utcb_phys(k: &mut Kernel, t: u16) -> Result<u64, Status> {
    match cached_utcb(k, t) {
        Some(pa) => Ok(pa),
        None => utcb_phys_fill(k, t),
    }
}

/// A thread's UTCB address from the cache, if it is current: the cache
/// holds one more than the unmap generation it was filled in, so a thread
/// whose cache was never filled (0) never matches.
#[inline(always)]
fn cached_utcb(k: &Kernel, t: u16) -> Option<u64> {
    let th = &k.threads[t as usize];
    (th.utcb_generation == k.unmap_generation.wrapping_add(1)).then_some(th.utcb_pa)
}

/// The cache miss of [`utcb_phys`]: a page-table walk. The frame must be
/// one the kernel reaches through the direct map
/// ([`arch::phys::reachable_frame`]); copies between cached UTCBs rely on
/// it ([`arch::phys::copy_page_words`] masks instead of testing again).
#[cold]
#[inline(never)]
fn utcb_phys_fill(k: &mut Kernel, t: u16) -> Result<u64, Status> {
    let generation = k.unmap_generation;
    let th = &k.threads[t as usize];
    let root = k.tasks[th.task as usize].root;
    let pa = super::memory::user_phys(root, th.utcb, RIGHT_READ | RIGHT_WRITE)?;
    if !arch::phys::reachable_frame(pa) {
        return Err(Status::InvalidAddress);
    }
    let th = &mut k.threads[t as usize];
    th.utcb_pa = pa;
    th.utcb_generation = generation.wrapping_add(1);
    Ok(pa)
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
    if from != NONE {
        let exception = k.threads[from as usize].exception;
        if exception.label != 0 {
            if let Ok(dst) = utcb_phys(k, to) {
                write_exception(k, from, dst, &exception);
            }
            k.counters.exception_ipcs += 1;
        } else if has_long_words(msg.tag) {
            // An unmapped UTCB loses the words beyond the registers.
            copy_long_words(k, from, to, msg.tag);
        }
    }
    let r = &mut k.threads[to as usize].frame.regs;
    set_message_registers(r, msg.badge, msg.tag, msg.words);
    k.counters.ipc_messages += 1;
}

/// The receiver's side of a message: status Ok, badge, tag and words 0–3.
#[inline(always)]
fn set_message_registers(r: &mut UserRegisters, badge: u64, tag: u64, words: [u64; 4]) {
    r.rax = Status::Ok as u64;
    r.rdi = badge;
    r.rsi = tag;
    [r.rdx, r.r10, r.r8, r.r9] = words;
}

/// Writes exception `e` of thread `from` (head and register frame) into
/// the exception message of the UTCB at `utcb` (a frame from
/// [`utcb_phys`]).
#[inline(always)]
fn write_exception(k: &Kernel, from: u16, utcb: u64, e: &Exception) {
    let head = [
        u64::from(e.label) | (u64::from(e.vector) << 32),
        e.error_code,
        e.fault_address,
    ];
    const _: () = assert!(EXCEPTION_REGS == 24);
    arch::phys::write_page_message(
        utcb,
        UTCB_EXCEPTION,
        &head,
        &k.threads[from as usize].frame.regs,
    );
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

/// Thread `replier` replies with `msg` to the caller it owes a reply; the
/// caller becomes ready.
pub fn reply(k: &mut Kernel, replier: u16, msg: &Message) -> Result<(), Status> {
    let c = reply_to_caller(k, replier, msg)?;
    if c != NONE {
        sched::make_ready(k, c);
    }
    Ok(())
}

/// Replies and then receives on `ep` (the server loop's one hypercall):
/// when the replier blocks, the caller runs next directly, without a trip
/// through the ready queue.
pub fn reply_receive(k: &mut Kernel, replier: u16, msg: &Message, ep: u16) -> Result<(), Status> {
    let c = if k.threads[replier as usize].reply_to != NONE {
        reply_to_caller(k, replier, msg)?
    } else {
        NONE
    };
    receive(k, replier, ep);
    if c != NONE {
        if k.current == NONE && !outranked(k, c) {
            k.threads[c as usize].state = State::Running;
            k.current = c;
        } else {
            sched::make_ready(k, c);
        }
    }
    Ok(())
}

/// Delivers the reply; returns the caller to wake, or NONE if it stays
/// stopped (an exception reply that does not resume it).
fn reply_to_caller(k: &mut Kernel, replier: u16, msg: &Message) -> Result<u16, Status> {
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
    Ok(c)
}

/// The reply to an exception message: resume with the handler's registers,
/// map and resume, or leave the thread stopped.
fn exception_reply(k: &mut Kernel, replier: u16, c: u16, msg: &Message) -> Result<u16, Status> {
    let label = (msg.tag >> MESSAGE_TAG_LABEL_SHIFT) as u32;
    k.threads[c as usize].exception.label = 0;
    k.counters.ipc_messages += 1;
    let result = match ReplyLabel::try_from(label) {
        Ok(ReplyLabel::Resume) => {
            let base = utcb_phys(k, replier)? + UTCB_EXCEPTION + EXCEPTION_REGS;
            objects::load_registers(&mut k.threads[c as usize].frame, base)
        }
        Ok(ReplyLabel::MapAndResume) => {
            let from = k.threads[replier as usize].task;
            let to = k.threads[c as usize].task;
            let [source, destination, pages, rights] = msg.words;
            super::syscalls::map_pages(k, from, to, source, destination, pages, rights, false)
        }
        Err(_) => {
            k.threads[c as usize].state = State::Inactive;
            return Ok(NONE);
        }
    };
    match result {
        Ok(()) => Ok(c),
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
        kprintln!(
            "thread {} (task {}) stopped: {} vector {} at rip {} (fault address {}, error {}) and no handler",
            Dec(u64::from(t)),
            Dec(u64::from(th.task)),
            kind_name(e.label),
            Dec(u64::from(e.vector)),
            Hex(th.frame.regs.rip),
            Hex(e.fault_address),
            Hex(e.error_code),
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
    if !k.notifications_pending {
        return None;
    }
    k.notifications_pending = k.irqs.iter().any(|i| i.pending) || k.timer.pending;
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
            k.notifications_pending = true;
        }
    }
}

/// The user timer fired.
pub fn timer_fired(k: &mut Kernel) {
    if let Some(port) = k.timer.port {
        let msg = timer_message(k.ticks * k.tick_ns, port.badge);
        if !notify(k, port, &msg) {
            k.timer.pending = true;
            k.notifications_pending = true;
        }
    }
}

// The fast paths of a `syscall` (in the style of seL4's fastpath, called
// by `trap::syscall`): an `IpcCall` to a waiting receiver, an
// `IpcReplyRecv` that replies to a waiting caller and blocks, and a
// virtualized thread's `syscall` to a waiting handler. Each checks
// everything the general path checks first and returns false, having
// changed nothing, when anything is unusual (a cache to fill, a queue to
// wait in, a scheduling decision to make); the general path then handles
// the `syscall` (one exception: a Resume reply whose frame is refused
// leaves the caller's frame zeroed, and the general path refuses it the
// same way). On success the next thread is `current`, activated, and
// outranked by no ready thread. They call no functions, except to load
// non-zero segment bases (out of line), and so save few registers.

// Thread indices are checked with `get`, which also refuses NONE.
const _: () = assert!(super::MAX_THREADS < NONE as usize);

/// `IpcCall` by the current thread `t` with a receiver waiting on the
/// endpoint: the message goes straight into the receiver's registers (and
/// UTCB), the caller waits for the reply and the receiver runs. (A `u8`
/// names any of the 256 threads without another index check.)
#[inline(always)]
pub fn fast_call(k: &mut Kernel, t: u8) -> bool {
    let th = &k.threads[usize::from(t)];
    let tag = th.frame.regs.rsi;
    if !plain_register_tag(tag) {
        return false;
    }
    let Some((ep, badge)) = endpoint_cap(k, th.task, th.frame.regs.rdi) else {
        return false;
    };
    // A call may not use a kernel label (a reply may).
    if tag >= u64::from(KERNEL_LABEL_BASE) << MESSAGE_TAG_LABEL_SHIFT {
        return false;
    }
    let rcv = k.endpoints[ep].receivers.head;
    let Some(rth) = k.threads.get(usize::from(rcv)) else {
        return false;
    };
    if outranks(k, rth.priority) || !fast_utcbs_cached(k, t.into(), rcv, tag) {
        return false;
    }
    k.endpoints[ep].receivers.pop_head(&mut k.links, rcv);
    let r = &k.threads[usize::from(t)].frame.regs;
    let words = [r.rdx, r.r10, r.r8, r.r9];
    let rr = &mut k.threads[usize::from(rcv)];
    set_message_registers(&mut rr.frame.regs, badge, tag, words);
    rr.reply_to = t.into();
    rr.state = State::Running;
    // `send_badge` and `send_is_call` only matter while queued to send.
    k.threads[usize::from(t)].state = State::BlockedReply;
    k.counters.hypercalls += 1;
    fast_finish(k, rcv);
    fast_copy_long_words(k, t.into(), rcv, tag);
    true
}

/// `IpcReplyRecv` by the current thread `t` with a caller waiting for the
/// reply (a register or UTCB message, or a Resume reply to an exception)
/// and nothing queued to receive: the replier blocks on the endpoint and
/// the caller runs.
#[inline(always)]
pub fn fast_reply_recv(k: &mut Kernel, t: u8) -> bool {
    let th = &k.threads[usize::from(t)];
    let c = th.reply_to;
    let Some(cth) = k.threads.get(usize::from(c)) else {
        return false;
    };
    let tag = th.frame.regs.rsi;
    if !plain_register_tag(tag) {
        return false;
    }
    let Some((ep, _)) = endpoint_cap(k, th.task, th.frame.regs.rdi) else {
        return false;
    };
    if !k.endpoints[ep].senders.is_empty()
        || k.notifications_pending
        || cth.state != State::BlockedReply
        || outranks(k, cth.priority)
    {
        return false;
    }
    let exception = cth.exception.label != 0;
    if exception {
        if tag >> MESSAGE_TAG_LABEL_SHIFT != ReplyLabel::Resume as u64 {
            return false;
        }
        let Some(u) = cached_utcb(k, t.into()) else {
            return false;
        };
        let base = u + UTCB_EXCEPTION + EXCEPTION_REGS;
        // A refused frame is refused again on the general path.
        if objects::load_registers(&mut k.threads[usize::from(c)].frame, base).is_err() {
            return false;
        }
        k.threads[usize::from(c)].exception.label = 0;
    } else {
        if !fast_utcbs_cached(k, t.into(), c, tag) {
            return false;
        }
        let r = &k.threads[usize::from(t)].frame.regs;
        let words = [r.rdx, r.r10, r.r8, r.r9];
        set_message_registers(&mut k.threads[usize::from(c)].frame.regs, 0, tag, words);
    }
    let th = &mut k.threads[usize::from(t)];
    th.reply_to = NONE;
    th.state = State::BlockedRecv(ep as u16);
    k.endpoints[ep].receivers.push_back(&mut k.links, t.into());
    k.threads[usize::from(c)].state = State::Running;
    k.counters.hypercalls += 1;
    fast_finish(k, c);
    if !exception {
        fast_copy_long_words(k, t.into(), c, tag);
    }
    true
}

/// A virtualized thread's `syscall` (the current thread `t`) with its
/// handler waiting on the endpoint: the exception message goes straight
/// into the handler's UTCB and the handler runs.
#[inline(always)]
pub fn fast_syscall_exception(k: &mut Kernel, t: u8) -> bool {
    let Some(port) = k.threads[usize::from(t)].handler else {
        return false;
    };
    let Some(ep) = k.endpoints.get(usize::from(port.endpoint)) else {
        return false;
    };
    let rcv = ep.receivers.head;
    let Some(rth) = k.threads.get(usize::from(rcv)) else {
        return false;
    };
    if !ep.alive || outranks(k, rth.priority) {
        return false;
    }
    let Some(u) = cached_utcb(k, rcv) else {
        return false;
    };
    write_exception(k, t.into(), u, &SYSCALL_EXCEPTION);
    k.threads[usize::from(t)].exception = SYSCALL_EXCEPTION;
    k.endpoints[usize::from(port.endpoint)]
        .receivers
        .pop_head(&mut k.links, rcv);
    let tag = MessageTag {
        label: SYSCALL_EXCEPTION.label,
        words: 0,
    }
    .encode();
    let rr = &mut k.threads[usize::from(rcv)];
    set_message_registers(&mut rr.frame.regs, port.badge, tag, [0; 4]);
    rr.reply_to = t.into();
    rr.state = State::Running;
    k.threads[usize::from(t)].state = State::BlockedReply;
    k.counters.exception_ipcs += 1;
    fast_finish(k, rcv);
    true
}

/// The end of every fast path: one message, one entry and one exit, and
/// thread `next` runs.
#[inline(always)]
fn fast_finish(k: &mut Kernel, next: u16) {
    k.counters.ipc_messages += 1;
    k.counters.user_to_kernel += 1;
    k.counters.kernel_to_user += 1;
    sched::switch_to(k, next);
}

/// The endpoint that capability `slot` of `task` names, if it is one and
/// carries the use right: its index and the capability's badge.
#[inline(always)]
fn endpoint_cap(k: &Kernel, task: u16, slot: u64) -> Option<(usize, u64)> {
    super::cspace::get_indexed::<{ super::MAX_ENDPOINTS }>(
        k,
        task,
        slot,
        CapKind::Endpoint,
        CAP_RIGHT_USE,
    )
}

/// Whether a ready thread has a higher priority than `priority` (a thread
/// of that priority then cannot simply run next).
#[inline(always)]
fn outranks(k: &Kernel, priority: u8) -> bool {
    k.ready.highest().is_some_and(|p| p > priority)
}

/// Whether a ready thread has a higher priority than thread `t`.
#[inline(always)]
fn outranked(k: &Kernel, t: u16) -> bool {
    outranks(k, k.threads[t as usize].priority)
}

/// A tag with no reserved bits and at most the UTCB's words (what
/// `MessageTag::decode` accepts, without building the tag): the reserved
/// bits and the word count fill the low half, so that half must be at most
/// the word limit.
#[inline(always)]
fn plain_register_tag(tag: u64) -> bool {
    const _: () = assert!(
        MESSAGE_TAG_RESERVED | MESSAGE_TAG_WORDS_MASK == 0xFFFF_FFFF
            && MESSAGE_TAG_RESERVED & MESSAGE_TAG_WORDS_MASK == 0
            && MESSAGE_TAG_LABEL_SHIFT == 32
            && UTCB_MESSAGE_WORDS <= MESSAGE_TAG_WORDS_MASK as u32
    );
    tag as u32 <= UTCB_MESSAGE_WORDS
}

/// Whether a message has words beyond the registers (in the UTCB).
#[inline(always)]
fn has_long_words(tag: u64) -> bool {
    tag & MESSAGE_TAG_WORDS_MASK > REGISTER_WORDS
}

/// For a message with words beyond the registers, copies them from the
/// sender's UTCB to the receiver's; nothing if either is not mapped.
fn copy_long_words(k: &mut Kernel, from: u16, to: u16, tag: u64) {
    if let (Ok(src), Ok(dst)) = (utcb_phys(k, from), utcb_phys(k, to)) {
        copy_utcb_words(dst, src, tag);
    }
}

/// The fast paths' [`copy_long_words`], in two steps. First, while still
/// checking: whether the UTCB addresses of sender `from` and receiver `to`
/// are cached if the message has words beyond the registers (the general
/// path fills them).
#[inline(always)]
fn fast_utcbs_cached(k: &Kernel, from: u16, to: u16, tag: u64) -> bool {
    !has_long_words(tag) || (cached_utcb(k, from).is_some() && cached_utcb(k, to).is_some())
}

/// Second, once everything else is done (the copy's `rep movsq` takes
/// registers the rest would need, and nothing is kept in registers for
/// it): the copy itself, between the addresses found cached in the first.
#[inline(always)]
fn fast_copy_long_words(k: &Kernel, from: u16, to: u16, tag: u64) {
    if has_long_words(tag) {
        let src = k.threads[usize::from(from)].utcb_pa;
        let dst = k.threads[usize::from(to)].utcb_pa;
        copy_utcb_words(dst, src, tag);
    }
}

/// Copies the words of a message with tag `tag` (at most the UTCB's)
/// beyond the registers from the UTCB at `src` to the one at `dst`.
#[inline(always)]
fn copy_utcb_words(dst: u64, src: u64, tag: u64) {
    // Only for a tag with words beyond the registers; a count that wrapped
    // would fail the page bound of the copy.
    let words = (tag & MESSAGE_TAG_WORDS_MASK).wrapping_sub(REGISTER_WORDS);
    arch::phys::copy_page_words(dst, src, UTCB_MR_BEYOND_REGISTERS, words);
}
