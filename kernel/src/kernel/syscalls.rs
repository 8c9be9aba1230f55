//! The hypercall dispatcher and the operations behind it.
//!
//! Every argument comes from user space and is checked here; an unknown
//! number or a bad argument is a status in `rax`, never a panic. IPC
//! operations may block the caller: their results are written when the
//! message arrives.

use super::console::{kprintln, Dec};
use super::ipc::{self, Message};
use super::memory::{self, PoolKind};
use super::{cspace, objects, sched, Kernel, Port, State};
use crate::arch;
use bilby_abi::{
    CapKind, Hypercall, MessageTag, Status, ThreadConfigItem, ThreadMode, CAP_NULL, CAP_RIGHTS_ALL,
    CAP_RIGHT_COPY, CAP_RIGHT_USE, EXREGS_READ, EXREGS_WRITE, KERNEL_LABEL_BASE, MAX_PRIORITY,
    PAGE_SIZE, REGISTER_MESSAGE_WORDS, RIGHTS_ALL, RIGHT_EXECUTE, RIGHT_READ, TIMER_PERIODIC,
    UTCB_MESSAGE_WORDS,
};
use bilby_kernel::cap::Cap;
use bilby_kernel::device;
use bilby_kernel::ioports::{self, PortRange};
use bilby_kernel::queue::NONE;

const USE: u64 = CAP_RIGHT_USE;
/// Most pages one map, grant or unmap hypercall may name.
pub const MAX_PAGES_PER_CALL: u64 = 1 << 16;

/// What a hypercall did with the caller.
enum Outcome {
    /// Success, no results.
    Done,
    /// Success with results for rdi, rsi, rdx, r10, r8, r9 (first n).
    Results(usize, [u64; 6]),
    /// The caller blocked, stopped or died: its registers are written
    /// later, or not at all.
    Blocked,
}

/// Runs the hypercall the current thread `t` issued.
pub fn dispatch(k: &mut Kernel, t: u16) {
    k.counters.hypercalls += 1;
    let r = &k.threads[t as usize].frame.regs;
    let a = [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9];
    let outcome = match u32::try_from(r.rax)
        .map_err(|_| Status::InvalidHypercall)
        .and_then(Hypercall::try_from)
    {
        Ok(h) => run(k, t, h, &a),
        Err(e) => Err(e),
    };
    let regs = &mut k.threads[t as usize].frame.regs;
    match outcome {
        Ok(Outcome::Done) => regs.rax = Status::Ok as u64,
        Ok(Outcome::Results(n, v)) => {
            regs.rax = Status::Ok as u64;
            let out = [
                &mut regs.rdi,
                &mut regs.rsi,
                &mut regs.rdx,
                &mut regs.r10,
                &mut regs.r8,
                &mut regs.r9,
            ];
            for (dst, src) in out.into_iter().zip(v).take(n) {
                *dst = src;
            }
        }
        Ok(Outcome::Blocked) => {}
        Err(e) => regs.rax = e as u64,
    }
}

fn task_of(k: &Kernel, t: u16) -> u16 {
    k.threads[t as usize].task
}

fn run(k: &mut Kernel, t: u16, h: Hypercall, a: &[u64; 6]) -> Result<Outcome, Status> {
    let task = task_of(k, t);
    match h {
        Hypercall::Nop => Ok(Outcome::Done),
        Hypercall::AbiVersion => Ok(Outcome::Results(
            2,
            [
                u64::from(bilby_abi::BILBY_ABI_MAJOR),
                u64::from(bilby_abi::BILBY_ABI_MINOR),
                0,
                0,
                0,
                0,
            ],
        )),
        Hypercall::DebugPutc => {
            cspace::get(k, task, a[0], CapKind::Control, USE)?;
            let b = u8::try_from(a[1]).map_err(|_| Status::InvalidArgument)?;
            arch::io::serial_write(&[b]);
            Ok(Outcome::Done)
        }
        Hypercall::DebugWrite => {
            cspace::get(k, task, a[0], CapKind::Control, USE)?;
            debug_write(k, task, a[1], a[2])?;
            Ok(Outcome::Done)
        }
        Hypercall::DebugShutdown => {
            cspace::get(k, task, a[0], CapKind::Control, USE)?;
            let code = u32::try_from(a[1])
                .ok()
                .filter(|c| *c <= 0x7f)
                .ok_or(Status::InvalidArgument)?;
            super::invariants::check(k);
            kprintln!(
                "kernel invariants checked {} times, all held",
                Dec(k.invariant_checks + 1)
            );
            kprintln!(
                "shutdown requested by thread {} with exit code {}",
                Dec(u64::from(t)),
                Dec(u64::from(code))
            );
            arch::io::debug_exit(code)
        }
        Hypercall::IpcCall | Hypercall::IpcSend => {
            let ep = cspace::get(k, task, a[0], CapKind::Endpoint, USE)?;
            check_tag(k, t, a[1], false)?;
            ipc::send(k, t, ep.object as u16, ep.badge, h == Hypercall::IpcCall);
            Ok(Outcome::Blocked)
        }
        Hypercall::IpcRecv => {
            let ep = cspace::get(k, task, a[0], CapKind::Endpoint, USE)?;
            ipc::receive(k, t, ep.object as u16);
            Ok(Outcome::Blocked)
        }
        Hypercall::IpcReply => {
            check_tag(k, t, a[1], true)?;
            let msg = Message {
                tag: a[1],
                words: [a[2], a[3], a[4], a[5]],
                badge: 0,
            };
            ipc::reply(k, t, &msg)?;
            Ok(Outcome::Done)
        }
        Hypercall::IpcReplyRecv => {
            let ep = cspace::get(k, task, a[0], CapKind::Endpoint, USE)?;
            if k.threads[t as usize].reply_to != NONE {
                check_tag(k, t, a[1], true)?;
            }
            let msg = Message {
                tag: a[1],
                words: [a[2], a[3], a[4], a[5]],
                badge: 0,
            };
            ipc::reply_receive(k, t, &msg, ep.object as u16)?;
            Ok(Outcome::Blocked)
        }
        Hypercall::EndpointCreate => {
            // Endpoints live in a kernel table, but only a pool of free
            // memory authorizes one, as for every other object.
            let mem = cspace::get(k, task, a[0], CapKind::Memory, USE)?;
            free_pool(k, mem)?;
            cspace::check_empty(k, task, a[1])?;
            let e = objects::create_endpoint(k)?;
            insert_or(k, task, a[1], CapKind::Endpoint, u32::from(e), |k| {
                k.endpoints[e as usize].alive = false
            })?;
            Ok(Outcome::Done)
        }
        Hypercall::ThreadCreate => {
            let mem = cspace::get(k, task, a[0], CapKind::Memory, USE)?;
            let target = cspace::get(k, task, a[1], CapKind::Task, USE)?;
            cspace::check_empty(k, task, a[2])?;
            let pool = free_pool(k, mem)?;
            let th = objects::create_thread(k, pool, target.object as u16, a[3])?;
            insert_or(k, task, a[2], CapKind::Thread, u32::from(th), |k| {
                objects::destroy_thread(k, th)
            })?;
            Ok(Outcome::Done)
        }
        Hypercall::ThreadConfigure => {
            let th = cspace::get(k, task, a[0], CapKind::Thread, USE)?.object as u16;
            let item = u32::try_from(a[1])
                .map_err(|_| Status::InvalidArgument)
                .and_then(ThreadConfigItem::try_from)?;
            match item {
                ThreadConfigItem::Handler | ThreadConfigItem::Pager => {
                    let port = if a[2] == u64::from(CAP_NULL) {
                        None
                    } else {
                        let ep = cspace::get(k, task, a[2], CapKind::Endpoint, USE)?;
                        Some(Port {
                            endpoint: ep.object as u16,
                            badge: a[3],
                        })
                    };
                    if item == ThreadConfigItem::Handler {
                        k.threads[th as usize].handler = port;
                    } else {
                        k.threads[th as usize].pager = port;
                    }
                }
                ThreadConfigItem::Priority => {
                    if a[2] > u64::from(MAX_PRIORITY) {
                        return Err(Status::InvalidArgument);
                    }
                    set_priority(k, th, a[2] as u8);
                }
                ThreadConfigItem::Mode => {
                    let mode = u32::try_from(a[2])
                        .map_err(|_| Status::InvalidArgument)
                        .and_then(ThreadMode::try_from)?;
                    k.threads[th as usize].mode = mode;
                }
            }
            Ok(Outcome::Done)
        }
        Hypercall::ThreadExchangeRegisters => {
            let th = cspace::get(k, task, a[0], CapKind::Thread, USE)?.object as u16;
            let flags = a[2];
            if flags & !(EXREGS_READ | EXREGS_WRITE) != 0 {
                return Err(Status::InvalidArgument);
            }
            if k.threads[th as usize].state != State::Inactive {
                return Err(Status::InvalidState);
            }
            let root = k.tasks[task as usize].root;
            let mut new = [0u8; 160];
            if flags & EXREGS_WRITE != 0 {
                memory::copy_from_user(root, a[1], &mut new)?;
            }
            if flags & EXREGS_READ != 0 {
                let words = ipc::regs_to_words(&k.threads[th as usize].frame.regs);
                let mut out = [0u8; 160];
                for (i, w) in words.iter().enumerate() {
                    out[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
                }
                memory::copy_to_user(root, a[1], &out)?;
            }
            if flags & EXREGS_WRITE != 0 {
                let mut w = [0u64; 20];
                for (i, v) in w.iter_mut().enumerate() {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&new[i * 8..i * 8 + 8]);
                    *v = u64::from_le_bytes(b);
                }
                objects::set_registers(&mut k.threads[th as usize].frame, &ipc::words_to_regs(&w))?;
            }
            Ok(Outcome::Done)
        }
        Hypercall::ThreadResume => {
            let th = cspace::get(k, task, a[0], CapKind::Thread, USE)?.object as u16;
            if k.threads[th as usize].state != State::Inactive {
                return Err(Status::InvalidState);
            }
            if let Ok(u) = ipc::utcb_phys(k, th) {
                arch::phys::write_u64(u, u64::from(bilby_abi::BILBY_ABI_VERSION));
            }
            sched::make_ready(k, th);
            Ok(Outcome::Done)
        }
        Hypercall::ThreadSuspend => {
            let th = cspace::get(k, task, a[0], CapKind::Thread, USE)?.object as u16;
            objects::detach(k, th, false);
            Ok(if th == t {
                Outcome::Blocked
            } else {
                Outcome::Done
            })
        }
        Hypercall::TaskCreate => {
            let mem = cspace::get(k, task, a[0], CapKind::Memory, USE)?;
            cspace::check_empty(k, task, a[1])?;
            let pool = free_pool(k, mem)?;
            let new = objects::create_task(k, pool)?;
            insert_or(k, task, a[1], CapKind::Task, u32::from(new), |k| {
                objects::destroy_task(k, new)
            })?;
            Ok(Outcome::Done)
        }
        Hypercall::TaskDestroy => {
            let target = cspace::get(k, task, a[0], CapKind::Task, USE)?.object as u16;
            objects::destroy_task(k, target);
            Ok(if target == task {
                Outcome::Blocked
            } else {
                Outcome::Done
            })
        }
        Hypercall::MemoryMap => {
            let mem = cspace::get(k, task, a[0], CapKind::Memory, USE)?;
            let target = cspace::get(k, task, a[1], CapKind::Task, USE)?.object as u16;
            memory_map(k, mem, target, a[2], a[3], a[4], a[5])?;
            Ok(Outcome::Done)
        }
        Hypercall::MapPages | Hypercall::GrantPages => {
            let target = cspace::get(k, task, a[0], CapKind::Task, USE)?.object as u16;
            map_pages(
                k,
                task,
                target,
                a[1],
                a[2],
                a[3],
                a[4],
                h == Hypercall::GrantPages,
            )?;
            Ok(Outcome::Done)
        }
        Hypercall::UnmapPages => {
            let target = cspace::get(k, task, a[0], CapKind::Task, USE)?.object as u16;
            unmap_pages(k, target, a[1], a[2])?;
            Ok(Outcome::Done)
        }
        Hypercall::IrqAttach => {
            let irq = cspace::get(k, task, a[0], CapKind::Irq, USE)?.object as usize;
            let ep = cspace::get(k, task, a[1], CapKind::Endpoint, USE)?;
            if irq == 0 || irq == 2 || irq >= super::IRQ_LINES {
                return Err(Status::InvalidArgument);
            }
            k.irqs[irq].port = Some(Port {
                endpoint: ep.object as u16,
                badge: a[2],
            });
            k.irqs[irq].pending = false;
            arch::io::pic_set_mask(irq as u8, false);
            Ok(Outcome::Done)
        }
        Hypercall::IrqAck => {
            let irq = cspace::get(k, task, a[0], CapKind::Irq, USE)?.object as usize;
            if k.irqs.get(irq).and_then(|i| i.port).is_none() {
                return Err(Status::InvalidState);
            }
            arch::io::pic_set_mask(irq as u8, false);
            Ok(Outcome::Done)
        }
        Hypercall::TimerSet => {
            cspace::get(k, task, a[0], CapKind::Control, USE)?;
            let now = k.ticks * k.tick_ns;
            if a[2] == 0 {
                k.timer.port = None;
                k.timer.pending = false;
                return Ok(Outcome::Results(1, [now, 0, 0, 0, 0, 0]));
            }
            let ep = cspace::get(k, task, a[1], CapKind::Endpoint, USE)?;
            if a[3] & !TIMER_PERIODIC != 0 {
                return Err(Status::InvalidArgument);
            }
            let period = (a[2] / k.tick_ns.max(1)).max(1);
            k.timer.port = Some(Port {
                endpoint: ep.object as u16,
                badge: a[4],
            });
            k.timer.period_ticks = period;
            k.timer.next_tick = k.ticks + period;
            k.timer.periodic = a[3] & TIMER_PERIODIC != 0;
            k.timer.pending = false;
            Ok(Outcome::Results(1, [now, 0, 0, 0, 0, 0]))
        }
        Hypercall::CountersRead => {
            cspace::get(k, task, a[0], CapKind::Control, USE)?;
            let c = k.counters;
            Ok(Outcome::Results(
                6,
                [
                    c.user_to_kernel,
                    c.kernel_to_user,
                    c.address_space_switches,
                    c.exception_ipcs,
                    c.ipc_messages,
                    c.hypercalls,
                ],
            ))
        }
        Hypercall::Yield => {
            sched::rotate(k);
            k.threads[t as usize].frame.regs.rax = Status::Ok as u64;
            Ok(Outcome::Done)
        }
        Hypercall::CapCopy => {
            let src = cspace::lookup(k, task, a[0])?;
            let dest = cspace::get(k, task, a[1], CapKind::Task, USE)?.object as u16;
            if src.rights & CAP_RIGHT_COPY as u8 == 0 {
                return Err(Status::InsufficientRights);
            }
            if a[3] & !CAP_RIGHTS_ALL != 0 {
                return Err(Status::InvalidArgument);
            }
            let badge = match a[4] {
                0 => src.badge,
                b if src.badge == 0 && src.kind == CapKind::Endpoint => b,
                _ => return Err(Status::InvalidArgument),
            };
            let c = Cap {
                rights: src.rights & a[3] as u8,
                badge,
                ..src
            };
            cspace::insert(k, dest, a[2], c)?;
            Ok(Outcome::Done)
        }
        Hypercall::CapDelete => {
            let target = cspace::get(k, task, a[0], CapKind::Task, USE)?.object as u16;
            cspace::delete(k, target, a[1])?;
            Ok(Outcome::Done)
        }
        Hypercall::IoPortsIssue => {
            let src = cspace::lookup(k, task, a[0])?;
            let source = match src.kind {
                CapKind::Control => PortRange::ALL,
                CapKind::IoPorts => PortRange::decode(src.object),
                _ => return Err(Status::WrongCapabilityKind),
            };
            if src.rights & USE as u8 == 0 {
                return Err(Status::InsufficientRights);
            }
            let range = ioports::issue(source, a[1], a[2])?;
            // The source's rights, so that a capability copied without the
            // copy right cannot issue one that has it.
            let c = Cap {
                kind: CapKind::IoPorts,
                rights: src.rights,
                object: range.encode(),
                badge: 0,
            };
            cspace::insert(k, task, a[3], c)?;
            Ok(Outcome::Done)
        }
        Hypercall::DeviceMemoryIssue => {
            let control = cspace::get(k, task, a[0], CapKind::Control, USE)?;
            if k.firmware_ram.dropped > 0 {
                return Err(Status::NotSupported);
            }
            let (base, end) = device::check(a[1], a[2], k.firmware_ram.as_slice())?;
            cspace::check_empty(k, task, a[3])?;
            // One pool per distinct range: issuing the same range again
            // shares it, so repeated requests cannot use up the table.
            let existing = k.pools.iter().position(|p| {
                p.alive && p.kind == PoolKind::Device && p.base == base && p.end == end
            });
            let (pool, added) = match existing {
                Some(i) => (i as u16, false),
                None => (
                    memory::add_pool(k, PoolKind::Device, base, end).ok_or(Status::OutOfMemory)?,
                    true,
                ),
            };
            // With the control capability's rights, as for IoPortsIssue.
            let c = Cap {
                kind: CapKind::Memory,
                rights: control.rights,
                object: u32::from(pool),
                badge: 0,
            };
            cspace::insert(k, task, a[3], c).inspect_err(|_| {
                if added {
                    k.pools[pool as usize].alive = false;
                }
            })?;
            Ok(Outcome::Done)
        }
        Hypercall::IoPortRead => {
            let c = cspace::get(k, task, a[0], CapKind::IoPorts, USE)?;
            let (port, width) = ioports::access(PortRange::decode(c.object), a[1], a[2])?;
            let v = arch::io::user_port_read(port, width);
            Ok(Outcome::Results(1, [u64::from(v), 0, 0, 0, 0, 0]))
        }
        Hypercall::IoPortWrite => {
            let c = cspace::get(k, task, a[0], CapKind::IoPorts, USE)?;
            let (port, width) = ioports::access(PortRange::decode(c.object), a[1], a[2])?;
            arch::io::user_port_write(port, width, a[3] as u32);
            Ok(Outcome::Done)
        }
    }
}

fn insert_or(
    k: &mut Kernel,
    task: u16,
    slot: u64,
    kind: CapKind,
    object: u32,
    undo: impl FnOnce(&mut Kernel),
) -> Result<(), Status> {
    let c = Cap {
        kind,
        rights: CAP_RIGHTS_ALL as u8,
        object,
        badge: 0,
    };
    cspace::insert(k, task, slot, c).inspect_err(|_| undo(k))
}

fn free_pool(k: &Kernel, mem: Cap) -> Result<u16, Status> {
    let pool = mem.object as u16;
    match k.pools.get(pool as usize) {
        Some(p) if p.alive && p.kind == PoolKind::Free => Ok(pool),
        _ => Err(Status::InvalidArgument),
    }
}

fn set_priority(k: &mut Kernel, th: u16, prio: u8) {
    if k.threads[th as usize].state == State::Ready {
        sched::unready(k, th);
        k.threads[th as usize].priority = prio;
        sched::make_ready(k, th);
    } else {
        k.threads[th as usize].priority = prio;
    }
}

/// Checks a tag a thread sends: reserved bits clear, word count in range,
/// UTCB mapped if words beyond the registers are used; kernel labels only
/// in replies.
fn check_tag(k: &mut Kernel, t: u16, raw: u64, reply: bool) -> Result<(), Status> {
    let tag = MessageTag::decode(raw)?;
    if !reply && tag.label >= KERNEL_LABEL_BASE {
        return Err(Status::InvalidArgument);
    }
    if u32::from(tag.words) > UTCB_MESSAGE_WORDS {
        return Err(Status::InvalidArgument);
    }
    if u32::from(tag.words) > REGISTER_MESSAGE_WORDS {
        ipc::utcb_phys(k, t)?;
    }
    Ok(())
}

fn debug_write(k: &Kernel, task: u16, ptr: u64, len: u64) -> Result<(), Status> {
    if len > 1 << 20 {
        return Err(Status::InvalidArgument);
    }
    let root = k.tasks[task as usize].root;
    // Check the whole buffer first, so a bad one prints nothing.
    let mut va = ptr & !(PAGE_SIZE - 1);
    let end = ptr.checked_add(len).ok_or(Status::InvalidAddress)?;
    while va < end {
        memory::user_phys(root, va, RIGHT_READ)?;
        va += PAGE_SIZE;
    }
    let mut buf = [0u8; 256];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(buf.len() as u64) as usize;
        memory::copy_from_user(root, ptr + done, &mut buf[..n])?;
        arch::io::serial_write(&buf[..n]);
        done += n as u64;
    }
    Ok(())
}

fn check_rights(rights: u64) -> Result<(), Status> {
    if rights & !RIGHTS_ALL != 0 || rights & RIGHT_READ == 0 {
        return Err(Status::InvalidArgument);
    }
    Ok(())
}

fn check_pages(vaddr: u64, pages: u64) -> Result<(), Status> {
    if pages == 0 || pages > MAX_PAGES_PER_CALL {
        return Err(Status::InvalidArgument);
    }
    memory::user_range_ok(vaddr, pages)
}

fn range_free(k: &Kernel, task: u16, vaddr: u64, pages: u64) -> Result<(), Status> {
    let root = k.tasks[task as usize].root;
    for i in 0..pages {
        if memory::lookup(root, vaddr + i * PAGE_SIZE).is_some() {
            return Err(Status::Occupied);
        }
    }
    Ok(())
}

fn memory_map(
    k: &mut Kernel,
    mem: Cap,
    task: u16,
    vaddr: u64,
    pages: u64,
    rights: u64,
    offset: u64,
) -> Result<(), Status> {
    check_rights(rights)?;
    check_pages(vaddr, pages)?;
    let pool = mem.object as u16;
    let p = *k.pools.get(pool as usize).ok_or(Status::InvalidArgument)?;
    if !p.alive {
        return Err(Status::InvalidArgument);
    }
    range_free(k, task, vaddr, pages)?;
    let root = k.tasks[task as usize].root;
    let table_pool = k.tasks[task as usize].pool;
    let in_range = match p.kind {
        PoolKind::Free => offset == 0,
        PoolKind::Module | PoolKind::Device => offset
            .checked_add(pages)
            .is_some_and(|e| e <= (p.end - p.base) / PAGE_SIZE),
    };
    if !in_range {
        return Err(Status::InvalidArgument);
    }
    // Device memory is never executable, and always uncached.
    let rights = match p.kind {
        PoolKind::Device if rights & RIGHT_EXECUTE != 0 => return Err(Status::InvalidArgument),
        PoolKind::Device => rights | memory::MAP_UNCACHED,
        _ => rights,
    };
    if p.kind == PoolKind::Free && p.available < pages {
        return Err(Status::OutOfMemory);
    }
    for i in 0..pages {
        // Fresh frames from a free pool; a module's image in place.
        let frame = match p.kind {
            PoolKind::Free => memory::alloc_frame(k, pool)?,
            PoolKind::Module | PoolKind::Device => p.base + (offset + i) * PAGE_SIZE,
        };
        let va = vaddr + i * PAGE_SIZE;
        // free_frame leaves module and device frames alone.
        map_recorded(k, root, table_pool, task, va, frame, rights, None)
            .inspect_err(|_| memory::free_frame(k, frame))?;
    }
    Ok(())
}

/// Maps one page and records it in the mapping database.
#[allow(clippy::too_many_arguments)] // reason: one page mapping has this many facts
pub fn map_recorded(
    k: &mut Kernel,
    root: u64,
    table_pool: u16,
    task: u16,
    vaddr: u64,
    frame: u64,
    rights: u64,
    parent: Option<u16>,
) -> Result<(), Status> {
    memory::map_page(k, root, table_pool, vaddr, frame, rights)?;
    if k.mapdb.insert(task, vaddr, frame, parent).is_err() {
        memory::unmap_page(k, root, vaddr);
        return Err(Status::OutOfMemory);
    }
    Ok(())
}

/// Maps (or grants) pages from task `from` at `source` to task `to` at
/// `destination`, with at most the source's rights.
#[allow(clippy::too_many_arguments)] // reason: the hypercall's arguments, plus the two tasks
pub fn map_pages(
    k: &mut Kernel,
    from: u16,
    to: u16,
    source: u64,
    destination: u64,
    pages: u64,
    rights: u64,
    grant: bool,
) -> Result<(), Status> {
    check_rights(rights)?;
    check_pages(source, pages)?;
    check_pages(destination, pages)?;
    if from == to && source.abs_diff(destination) < pages * PAGE_SIZE {
        return Err(Status::InvalidArgument);
    }
    let src_root = k.tasks[from as usize].root;
    for i in 0..pages {
        let leaf =
            memory::lookup(src_root, source + i * PAGE_SIZE).ok_or(Status::InvalidAddress)?;
        if leaf.rights & rights != rights {
            return Err(Status::InsufficientRights);
        }
        k.mapdb
            .find(from, source + i * PAGE_SIZE)
            .ok_or(Status::InvalidAddress)?;
    }
    range_free(k, to, destination, pages)?;
    let dst_root = k.tasks[to as usize].root;
    let table_pool = k.tasks[to as usize].pool;
    for i in 0..pages {
        let (s, d) = (source + i * PAGE_SIZE, destination + i * PAGE_SIZE);
        let leaf = memory::lookup(src_root, s).ok_or(Status::InvalidAddress)?;
        let node = k.mapdb.find(from, s).ok_or(Status::InvalidAddress)?;
        // A derived mapping of device memory stays uncached.
        let rights = rights | (leaf.rights & memory::MAP_UNCACHED);
        if grant {
            k.unmap_generation += 1;
            memory::map_page(k, dst_root, table_pool, d, leaf.frame, rights)?;
            memory::unmap_page(k, src_root, s);
            k.tlb_stale[from as usize] = true;
            k.mapdb.relocate(node, to, d);
        } else {
            map_recorded(
                k,
                dst_root,
                table_pool,
                to,
                d,
                leaf.frame,
                rights,
                Some(node),
            )?;
        }
    }
    Ok(())
}

/// Unmaps pages of `task` and every mapping derived from them; frames of
/// root mappings go back to their pools.
pub fn unmap_pages(k: &mut Kernel, task: u16, vaddr: u64, pages: u64) -> Result<(), Status> {
    check_pages(vaddr, pages)?;
    for i in 0..pages {
        if let Some(node) = k.mapdb.find(task, vaddr + i * PAGE_SIZE) {
            remove_mapping_tree(k, node);
        }
    }
    Ok(())
}

fn remove_mapping_tree(k: &mut Kernel, node: u16) {
    let is_root = k.mapdb.parent(node).is_none();
    let frame = k.mapdb.get(node).frame;
    k.unmap_generation += 1;
    let tasks = &k.tasks;
    let stale = &mut k.tlb_stale;
    let loaded = k.loaded_root;
    k.mapdb.remove_subtree(node, |n| {
        memory::unmap_leaf(tasks[n.task as usize].root, n.vaddr, loaded);
        stale[n.task as usize] = true;
    });
    if is_root {
        memory::free_frame(k, frame);
    }
}

/// Unmaps everything a task has mapped (it is being destroyed), in one
/// walk over the mapping database.
pub fn unmap_all(k: &mut Kernel, task: u16) {
    let mut n = 0;
    while let Some(next) = k.mapdb.next_of(task, n) {
        remove_mapping_tree(k, next);
        n = next;
    }
}
