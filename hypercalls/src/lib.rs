//! Hypercall wrappers for Rust code running on Bilby.
//!
//! Each wrapper is one `syscall` instruction whose number is a `const`
//! operand taken from [`bilby_abi::Hypercall`], so no number is typed twice
//! (the C stubs in `include/bilby/hypercalls.h` use the generated constants
//! in the same way). Register convention: number in `rax`; arguments in
//! `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`; status in `rax`, results in the
//! argument registers; `rcx` and `r11` clobbered; `rsp` untouched.
//!
//! This crate must never hold policy: it only moves values into registers.
//! It compiles on any target, but the wrappers exist only on x86_64.
#![no_std]
#![deny(missing_docs)]

pub use bilby_abi as abi;
use bilby_abi::{Counters, Hypercall, MessageTag, Status, UserRegisters};

/// Status and the six result registers of one hypercall.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Raw {
    /// `rax`: a [`Status`] number.
    pub status: u64,
    /// `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9` after the call.
    pub regs: [u64; 6],
}

impl Raw {
    /// The status as a `Result`; unknown numbers become `InvalidArgument`.
    pub fn result(&self) -> Result<(), Status> {
        let Ok(n) = u32::try_from(self.status) else {
            return Err(Status::InvalidArgument);
        };
        match Status::try_from(n) {
            Ok(Status::Ok) => Ok(()),
            Ok(s) => Err(s),
            Err(_) => Err(Status::InvalidArgument),
        }
    }
}

/// A register-only message: tag, badge (on receive) and words 0–3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// The tag (label and word count).
    pub tag: MessageTag,
    /// The badge of the capability the sender used (filled on receive).
    pub badge: u64,
    /// Message words 0–3.
    pub words: [u64; 4],
}

#[cfg(target_arch = "x86_64")]
mod arch {
    use super::Raw;

    /// Issues hypercall `N` with six arguments.
    #[inline(always)]
    pub fn hypercall<const N: u32>(args: [u64; 6]) -> Raw {
        let (status, rdi, rsi, rdx, r10, r8, r9): (u64, u64, u64, u64, u64, u64, u64);
        // SAFETY: `syscall` enters the Bilby kernel, which saves and restores
        // every register but rax, the argument registers listed here, rcx and
        // r11, leaves rsp alone, and only touches memory the arguments name;
        // hence the `memory` clobber that the default options imply.
        unsafe {
            core::arch::asm!(
                "mov eax, {nr}",
                "syscall",
                nr = const N,
                lateout("rax") status,
                inlateout("rdi") args[0] => rdi,
                inlateout("rsi") args[1] => rsi,
                inlateout("rdx") args[2] => rdx,
                inlateout("r10") args[3] => r10,
                inlateout("r8") args[4] => r8,
                inlateout("r9") args[5] => r9,
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack),
            );
        }
        Raw {
            status,
            regs: [rdi, rsi, rdx, r10, r8, r9],
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub use arch::hypercall;

#[cfg(target_arch = "x86_64")]
fn ipc_result(r: Raw) -> Result<Message, Status> {
    r.result()?;
    Ok(Message {
        badge: r.regs[0],
        tag: MessageTag::decode(r.regs[1])?,
        words: [r.regs[2], r.regs[3], r.regs[4], r.regs[5]],
    })
}

#[cfg(target_arch = "x86_64")]
mod wrappers {
    use super::*;

    /// The null hypercall.
    pub fn nop() -> Result<(), Status> {
        hypercall::<{ Hypercall::Nop as u32 }>([0; 6]).result()
    }
    /// The kernel's ABI version (major, minor).
    pub fn abi_version() -> Result<(u32, u32), Status> {
        let r = hypercall::<{ Hypercall::AbiVersion as u32 }>([0; 6]);
        r.result().map(|()| (r.regs[0] as u32, r.regs[1] as u32))
    }
    /// Writes one byte to the kernel console.
    pub fn debug_putc(control: u32, byte: u8) -> Result<(), Status> {
        hypercall::<{ Hypercall::DebugPutc as u32 }>([control.into(), byte.into(), 0, 0, 0, 0])
            .result()
    }
    /// Writes bytes to the kernel console.
    pub fn debug_write(control: u32, bytes: &[u8]) -> Result<(), Status> {
        let a = [
            control.into(),
            bytes.as_ptr() as u64,
            bytes.len() as u64,
            0,
            0,
            0,
        ];
        hypercall::<{ Hypercall::DebugWrite as u32 }>(a).result()
    }
    /// Stops the machine with an exit code.
    pub fn debug_shutdown(control: u32, code: u64) -> Result<(), Status> {
        hypercall::<{ Hypercall::DebugShutdown as u32 }>([control.into(), code, 0, 0, 0, 0])
            .result()
    }
    /// The argument registers of a message hypercall.
    fn message_args(endpoint: u32, m: &Message) -> [u64; 6] {
        let w = m.words;
        [endpoint.into(), m.tag.encode(), w[0], w[1], w[2], w[3]]
    }
    /// Sends `m` and waits for the reply.
    pub fn ipc_call(endpoint: u32, m: &Message) -> Result<Message, Status> {
        ipc_result(hypercall::<{ Hypercall::IpcCall as u32 }>(message_args(
            endpoint, m,
        )))
    }
    /// Replies with `m` to the pending caller and waits on `endpoint`.
    pub fn ipc_reply_recv(endpoint: u32, m: &Message) -> Result<Message, Status> {
        ipc_result(hypercall::<{ Hypercall::IpcReplyRecv as u32 }>(
            message_args(endpoint, m),
        ))
    }
    /// Sends `m` without waiting for a reply.
    pub fn ipc_send(endpoint: u32, m: &Message) -> Result<(), Status> {
        hypercall::<{ Hypercall::IpcSend as u32 }>(message_args(endpoint, m)).result()
    }
    /// Waits for a message on `endpoint`.
    pub fn ipc_recv(endpoint: u32) -> Result<Message, Status> {
        ipc_result(hypercall::<{ Hypercall::IpcRecv as u32 }>([
            endpoint.into(),
            0,
            0,
            0,
            0,
            0,
        ]))
    }
    /// Replies with `m` to the pending caller.
    pub fn ipc_reply(m: &Message) -> Result<(), Status> {
        hypercall::<{ Hypercall::IpcReply as u32 }>(message_args(0, m)).result()
    }
    /// Creates an endpoint paid for by `memory` in `dest_slot`.
    pub fn endpoint_create(memory: u32, dest_slot: u32) -> Result<(), Status> {
        hypercall::<{ Hypercall::EndpointCreate as u32 }>([
            memory.into(),
            dest_slot.into(),
            0,
            0,
            0,
            0,
        ])
        .result()
    }
    /// Creates a stopped thread in `task`.
    pub fn thread_create(memory: u32, task: u32, dest_slot: u32, utcb: u64) -> Result<(), Status> {
        let a = [memory.into(), task.into(), dest_slot.into(), utcb, 0, 0];
        hypercall::<{ Hypercall::ThreadCreate as u32 }>(a).result()
    }
    /// Sets one configuration item of a thread.
    pub fn thread_configure(
        thread: u32,
        item: bilby_abi::ThreadConfigItem,
        value: u64,
        value2: u64,
    ) -> Result<(), Status> {
        let a = [thread.into(), item as u64, value, value2, 0, 0];
        hypercall::<{ Hypercall::ThreadConfigure as u32 }>(a).result()
    }
    /// Reads and/or writes a stopped thread's registers.
    pub fn thread_exchange_registers(
        thread: u32,
        regs: &mut UserRegisters,
        flags: u64,
    ) -> Result<(), Status> {
        let a = [
            thread.into(),
            regs as *mut UserRegisters as u64,
            flags,
            0,
            0,
            0,
        ];
        hypercall::<{ Hypercall::ThreadExchangeRegisters as u32 }>(a).result()
    }
    /// Starts or resumes a stopped thread.
    pub fn thread_resume(thread: u32) -> Result<(), Status> {
        hypercall::<{ Hypercall::ThreadResume as u32 }>([thread.into(), 0, 0, 0, 0, 0]).result()
    }
    /// Stops a thread.
    pub fn thread_suspend(thread: u32) -> Result<(), Status> {
        hypercall::<{ Hypercall::ThreadSuspend as u32 }>([thread.into(), 0, 0, 0, 0, 0]).result()
    }
    /// Creates a task paid for by `memory` in `dest_slot`.
    pub fn task_create(memory: u32, dest_slot: u32) -> Result<(), Status> {
        hypercall::<{ Hypercall::TaskCreate as u32 }>([memory.into(), dest_slot.into(), 0, 0, 0, 0])
            .result()
    }
    /// Destroys a task.
    pub fn task_destroy(task: u32) -> Result<(), Status> {
        hypercall::<{ Hypercall::TaskDestroy as u32 }>([task.into(), 0, 0, 0, 0, 0]).result()
    }
    /// Maps frames of a memory capability into `task`.
    pub fn memory_map(
        memory: u32,
        task: u32,
        vaddr: u64,
        pages: u64,
        rights: u64,
        offset: u64,
    ) -> Result<(), Status> {
        let a = [memory.into(), task.into(), vaddr, pages, rights, offset];
        hypercall::<{ Hypercall::MemoryMap as u32 }>(a).result()
    }
    /// Shares pages of the caller with `task`.
    pub fn map_pages(task: u32, src: u64, dst: u64, pages: u64, rights: u64) -> Result<(), Status> {
        hypercall::<{ Hypercall::MapPages as u32 }>([task.into(), src, dst, pages, rights, 0])
            .result()
    }
    /// Unmaps pages of `task`, recursively.
    pub fn unmap_pages(task: u32, vaddr: u64, pages: u64) -> Result<(), Status> {
        hypercall::<{ Hypercall::UnmapPages as u32 }>([task.into(), vaddr, pages, 0, 0, 0]).result()
    }
    /// Moves pages of the caller to `task`.
    pub fn grant_pages(
        task: u32,
        src: u64,
        dst: u64,
        pages: u64,
        rights: u64,
    ) -> Result<(), Status> {
        hypercall::<{ Hypercall::GrantPages as u32 }>([task.into(), src, dst, pages, rights, 0])
            .result()
    }
    /// Delivers an interrupt to `endpoint` with `badge`.
    pub fn irq_attach(irq: u32, endpoint: u32, badge: u64) -> Result<(), Status> {
        hypercall::<{ Hypercall::IrqAttach as u32 }>([irq.into(), endpoint.into(), badge, 0, 0, 0])
            .result()
    }
    /// Unmasks a handled interrupt.
    pub fn irq_ack(irq: u32) -> Result<(), Status> {
        hypercall::<{ Hypercall::IrqAck as u32 }>([irq.into(), 0, 0, 0, 0, 0]).result()
    }
    /// Sets the timer; returns the current time in ns.
    pub fn timer_set(
        control: u32,
        endpoint: u32,
        period_ns: u64,
        flags: u64,
        badge: u64,
    ) -> Result<u64, Status> {
        let a = [control.into(), endpoint.into(), period_ns, flags, badge, 0];
        let r = hypercall::<{ Hypercall::TimerSet as u32 }>(a);
        r.result().map(|()| r.regs[0])
    }
    /// Reads this CPU's counters.
    pub fn counters_read(control: u32) -> Result<Counters, Status> {
        let r = hypercall::<{ Hypercall::CountersRead as u32 }>([control.into(), 0, 0, 0, 0, 0]);
        r.result().map(|()| Counters {
            user_to_kernel: r.regs[0],
            kernel_to_user: r.regs[1],
            address_space_switches: r.regs[2],
            exception_ipcs: r.regs[3],
            ipc_messages: r.regs[4],
            hypercalls: r.regs[5],
        })
    }
    /// Gives up the rest of the time slice.
    pub fn yield_now() -> Result<(), Status> {
        hypercall::<{ Hypercall::Yield as u32 }>([0; 6]).result()
    }
    /// Copies a capability, possibly with fewer rights and a badge.
    pub fn cap_copy(
        src: u32,
        dest_task: u32,
        dest_slot: u32,
        rights: u64,
        badge: u64,
    ) -> Result<(), Status> {
        let a = [
            src.into(),
            dest_task.into(),
            dest_slot.into(),
            rights,
            badge,
            0,
        ];
        hypercall::<{ Hypercall::CapCopy as u32 }>(a).result()
    }
    /// Empties a capability slot.
    pub fn cap_delete(task: u32, slot: u32) -> Result<(), Status> {
        hypercall::<{ Hypercall::CapDelete as u32 }>([task.into(), slot.into(), 0, 0, 0, 0])
            .result()
    }
    /// Issues an I/O-port capability for `count` ports from `first`, from
    /// the control capability or a wider I/O-port capability (ABI 1.1).
    pub fn io_ports_issue(
        source: u32,
        first: u16,
        count: u32,
        dest_slot: u32,
    ) -> Result<(), Status> {
        let a = [
            source.into(),
            first.into(),
            count.into(),
            dest_slot.into(),
            0,
            0,
        ];
        hypercall::<{ Hypercall::IoPortsIssue as u32 }>(a).result()
    }
    /// Reads `width` bytes (1, 2 or 4) from an I/O port (ABI 1.1).
    pub fn io_port_read(ports: u32, port: u16, width: u32) -> Result<u32, Status> {
        let a = [ports.into(), port.into(), width.into(), 0, 0, 0];
        let r = hypercall::<{ Hypercall::IoPortRead as u32 }>(a);
        r.result().map(|()| r.regs[0] as u32)
    }
    /// Writes the low `width` bytes (1, 2 or 4) of `value` to an I/O port
    /// (ABI 1.1).
    pub fn io_port_write(ports: u32, port: u16, width: u32, value: u32) -> Result<(), Status> {
        let a = [ports.into(), port.into(), width.into(), value.into(), 0, 0];
        hypercall::<{ Hypercall::IoPortWrite as u32 }>(a).result()
    }
    /// Issues a Memory capability over device memory (MMIO) at physical
    /// address `phys`, `pages` long (ABI 1.1).
    pub fn device_memory_issue(
        control: u32,
        phys: u64,
        pages: u64,
        dest_slot: u32,
    ) -> Result<(), Status> {
        let a = [control.into(), phys, pages, dest_slot.into(), 0, 0];
        hypercall::<{ Hypercall::DeviceMemoryIssue as u32 }>(a).result()
    }
}

#[cfg(target_arch = "x86_64")]
pub use wrappers::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_results_map_status_numbers() {
        let ok = Raw::default();
        assert_eq!(ok.result(), Ok(()));
        let bad = Raw {
            status: Status::InvalidCapability as u64,
            regs: [0; 6],
        };
        assert_eq!(bad.result(), Err(Status::InvalidCapability));
        let unknown = Raw {
            status: 1 << 40,
            regs: [0; 6],
        };
        assert_eq!(unknown.result(), Err(Status::InvalidArgument));
    }
}
