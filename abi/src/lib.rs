//! # The Bilby ABI
//!
//! This crate is the single source of truth for everything that crosses the
//! boundary between the Bilby kernel and user code: hypercall numbers, status
//! codes, the per-thread message buffer (UTCB), exception and page-fault
//! messages, the boot-info page and the guest ELF note. The C header
//! `include/bilby/abi.h` is generated from it by cbindgen and must never be
//! edited by hand; `cargo xtask headers` regenerates it and a test fails on
//! any drift.
//!
//! It must never depend on another crate, on a build configuration or on
//! declaration order: every number is written out.
//!
//! ## Versioning
//!
//! [`BILBY_ABI_MAJOR`].[`BILBY_ABI_MINOR`]. Adding an item bumps the minor
//! version; changing or removing an existing one bumps the major version.
//! `cargo xtask abi-check` enforces this against the committed baseline in
//! `abi/baseline/`. The version travels in the [`Hypercall::AbiVersion`]
//! result, in every [`Utcb`] and [`BootInfo`], and in the [`AbiNote`] ELF note
//! that every guest image built with the headers carries. The kernel refuses
//! a guest whose major version differs from its own.
//!
//! ## Registers (x86_64)
//!
//! A hypercall is the `syscall` instruction executed by a thread in
//! [`ThreadMode::Native`]. The register order mirrors Linux's system calls:
//!
//! | register | on entry            | on return                     |
//! |----------|---------------------|-------------------------------|
//! | `rax`    | [`Hypercall`] number | [`Status`] (0 = success)     |
//! | `rdi`    | argument 0          | result 0                      |
//! | `rsi`    | argument 1          | result 1                      |
//! | `rdx`    | argument 2          | result 2                      |
//! | `r10`    | argument 3          | result 3                      |
//! | `r8`     | argument 4          | result 4                      |
//! | `r9`     | argument 5          | result 5                      |
//! | `rcx`    | —                   | clobbered (user `rip`, by the CPU) |
//! | `r11`    | —                   | clobbered (user `rflags`, by the CPU) |
//! | `rsp`    | user stack          | unchanged: the kernel never writes it |
//!
//! All other registers, including the SSE state, are preserved. Argument
//! registers a hypercall does not return through are preserved as well.
//!
//! A thread in [`ThreadMode::Virtualized`] cannot issue hypercalls: each of
//! its `syscall` instructions becomes an exception IPC (label
//! [`ExceptionKind::Syscall`]) to its handler, whatever the registers hold.
//! The mode is a property of the thread, not of a number in a register.
//!
//! ## IPC
//!
//! Messages travel through endpoints. A message is a [`MessageTag`] (label
//! and word count) plus up to [`UTCB_MESSAGE_WORDS`] words; words 0–3 travel
//! in `rdx`, `r10`, `r8`, `r9` (the register-only fast path), words 4 and up
//! in the sender's [`Utcb::mr`], copied to the receiver's. The kernel never
//! reads or writes `mr[0..4]`: those words travel only in registers. The
//! receiver also gets the badge of the capability the sender used, in `rdi`.
//! Labels at or above [`KERNEL_LABEL_BASE`] belong to the kernel: `IpcCall`
//! and `IpcSend` refuse them with [`Status::InvalidArgument`], so a receiver
//! can trust them; replies may use them ([`ReplyLabel`]).
//!
//! ## Exception IPC
//!
//! A syscall of a virtualized thread, or a CPU exception of any thread, makes
//! the kernel stop the thread and *call* its handler endpoint: the tag label
//! is the [`ExceptionKind`], the badge is the one configured with the
//! handler, and the whole [`ExceptionMessage`] lands in the receiver's
//! [`Utcb::exception`]. The handler answers with `IpcReplyRecv` (or
//! `IpcReply`): a reply labelled [`ReplyLabel::Resume`] writes
//! [`Utcb::exception`]`.regs` of the replier back into the thread and
//! resumes it; any other label leaves it stopped. Page faults go to the
//! thread's pager in the same way with label [`ExceptionKind::PageFault`]
//! and a [`PageFaultMessage`] in words 0–3; the pager may answer
//! [`ReplyLabel::MapAndResume`] with a [`MapItem`] in words 0–3. A
//! `Syscall` message has 0 words (everything is in [`Utcb::exception`]); a
//! `PageFault` message has its 4 words and the [`ExceptionMessage`] as well.
//! The kernel checks a Resume frame before the thread runs again (a
//! non-canonical or kernel `rip`, for one, is refused with
//! [`Status::InvalidAddress`] and the thread stays stopped).
//!
//! ## Threads the kernel starts
//!
//! The root task and every boot module are loaded by the kernel. Their first
//! thread starts with `rip` = the ELF entry, `rsp` =
//! [`BootModule::stack_pointer`] (16-byte aligned), `rsi` = the thread's UTCB
//! address and `rdi` = the [`BootInfo`] address for the root task (0 for
//! modules, whose threads wait stopped until the root task resumes them).
//! Every module gets an image capability, loadable or not;
//! [`BootModule::status`] says why one got no task.
//!
//! ## Devices (since 1.1)
//!
//! A driver in user space reaches its device through capabilities that the
//! holder of the control capability issues; an issued capability has the
//! rights of the one it was issued from, so a copy without
//! [`CAP_RIGHT_COPY`] cannot issue a copyable one.
//!
//! - **I/O ports**: [`Hypercall::IoPortsIssue`] gives a [`CapKind::IoPorts`]
//!   capability for a range of ports, from the control capability (any
//!   range) or from a wider I/O-port capability (a part of its range).
//!   The ports the kernel drives are never issued: the PIC pair (0x20–0x21,
//!   0xA0–0xA1), the PIT (0x40–0x43) and its gate (0x61), QEMU's
//!   `isa-debug-exit` (0xF4–0xF7) and the COM1 console (0x3F8–0x3FF).
//!   [`Hypercall::IoPortRead`] and [`Hypercall::IoPortWrite`] access 1, 2
//!   or 4 bytes, every one of which must lie in the range.
//! - **Device memory**: [`Hypercall::DeviceMemoryIssue`] gives a Memory
//!   capability over MMIO that lies in no RAM the firmware reports and
//!   spares the interrupt controllers' pages. [`Hypercall::MemoryMap`]
//!   maps it uncached and never executable, and mappings derived from it
//!   stay uncached. The kernel never reads or writes device memory for a
//!   user: a buffer or UTCB there is refused with [`Status::InvalidAddress`].
//! - **Interrupts**: the boot info's IRQ capabilities;
//!   [`Hypercall::IrqAttach`] delivers a line as IPC, [`Hypercall::IrqAck`]
//!   unmasks it again.
//!
//! The kernel keeps no IOMMU: a device may still do what its registers
//! allow (DMA over any memory, a machine reset), so issuing one is a
//! decision of trust by the holder of the control capability.
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod model;

use core::mem::{align_of, offset_of, size_of};

/// Major version of the ABI: a change to any existing item bumps it.
pub const BILBY_ABI_MAJOR: u32 = 1;
/// Minor version of the ABI: each addition bumps it.
pub const BILBY_ABI_MINOR: u32 = 1;
/// Bit position of the major version in a version word (since 1.1).
pub const ABI_VERSION_MAJOR_SHIFT: u32 = 16;
/// Mask of the minor version in a version word (since 1.1).
pub const ABI_VERSION_MINOR_MASK: u32 = 0xFFFF;
/// The version word stored in shared structures: `major << 16 | minor`.
pub const BILBY_ABI_VERSION: u32 = (BILBY_ABI_MAJOR << ABI_VERSION_MAJOR_SHIFT) | BILBY_ABI_MINOR;

/// Packs a major and a minor version into a version word (since 1.1).
pub const fn abi_version(major: u32, minor: u32) -> u32 {
    (major << ABI_VERSION_MAJOR_SHIFT) | (minor & ABI_VERSION_MINOR_MASK)
}

/// The major version of a version word (since 1.1).
pub const fn abi_version_major(version: u32) -> u32 {
    version >> ABI_VERSION_MAJOR_SHIFT
}

/// The minor version of a version word (since 1.1).
pub const fn abi_version_minor(version: u32) -> u32 {
    version & ABI_VERSION_MINOR_MASK
}

/// Size of a page, the unit of every mapping.
pub const PAGE_SIZE: u64 = 4096;
/// Number of slots in every task's capability space.
pub const CAP_SPACE_SLOTS: u32 = 4096;
/// The slot that never holds a capability; passing it means "none".
pub const CAP_NULL: u32 = 0;
/// Number of message words in the UTCB.
pub const UTCB_MESSAGE_WORDS: u32 = 64;
/// Number of message words that travel in registers.
pub const REGISTER_MESSAGE_WORDS: u32 = 4;
/// Size of the UTCB area each thread needs (one page).
pub const UTCB_SIZE: u64 = 4096;
/// Lowest user virtual address the kernel lets a task map.
pub const USER_SPACE_START: u64 = 0x0000_0000_0001_0000;
/// One past the highest user virtual address (the canonical lower half).
pub const USER_SPACE_END: u64 = 0x0000_8000_0000_0000;
/// Labels at or above this value are generated by the kernel (all labels
/// stay below 2^31 so that C enums of them are portable).
pub const KERNEL_LABEL_BASE: u32 = 0x7FFF_0000;
/// Bit position of the label in a [`MessageTag`] word.
pub const MESSAGE_TAG_LABEL_SHIFT: u32 = 32;
/// Mask of the word count in a [`MessageTag`] word.
pub const MESSAGE_TAG_WORDS_MASK: u64 = 0xFF;

/// Device memory must lie below this physical address (64 GiB, the
/// smallest physical address width of x86_64 CPUs) (since 1.1).
pub const DEVICE_MEMORY_LIMIT: u64 = 0x0000_0010_0000_0000;
/// The local APIC's page, never issued as device memory (since 1.1).
pub const LOCAL_APIC_BASE: u64 = 0xFEE0_0000;
/// The I/O APIC's page, never issued as device memory (since 1.1).
pub const IO_APIC_BASE: u64 = 0xFEC0_0000;

/// Mapping right: the page may be read.
pub const RIGHT_READ: u64 = 1;
/// Mapping right: the page may be written.
pub const RIGHT_WRITE: u64 = 2;
/// Mapping right: code on the page may be executed.
pub const RIGHT_EXECUTE: u64 = 4;
/// All mapping rights.
pub const RIGHTS_ALL: u64 = RIGHT_READ | RIGHT_WRITE | RIGHT_EXECUTE;

/// Capability right: the holder may use the object (send, map, configure).
pub const CAP_RIGHT_USE: u64 = 1;
/// Capability right: the holder may copy the capability on.
pub const CAP_RIGHT_COPY: u64 = 2;
/// All capability rights.
pub const CAP_RIGHTS_ALL: u64 = CAP_RIGHT_USE | CAP_RIGHT_COPY;

/// `ThreadExchangeRegisters` flag: copy the thread's registers out.
pub const EXREGS_READ: u64 = 1;
/// `ThreadExchangeRegisters` flag: write the thread's registers from the buffer.
pub const EXREGS_WRITE: u64 = 2;

/// `TimerSet` flag: fire every period rather than once.
pub const TIMER_PERIODIC: u64 = 1;

/// Page-fault error bit: the page was present (a protection fault).
pub const FAULT_PRESENT: u64 = 1;
/// Page-fault error bit: the access was a write.
pub const FAULT_WRITE: u64 = 2;
/// Page-fault error bit: the access came from user mode.
pub const FAULT_USER: u64 = 4;
/// Page-fault error bit: the access was an instruction fetch.
pub const FAULT_INSTRUCTION: u64 = 16;

/// ELF note name of the ABI note (without its terminating NUL).
pub const ABI_NOTE_NAME: &str = "Bilby";
/// ELF note type of the ABI note.
pub const ABI_NOTE_TYPE: u32 = 1;
/// Section the ABI note is placed in.
pub const ABI_NOTE_SECTION: &str = ".note.bilby.abi";
/// Magic word at the start of [`BootInfo`] ("BILBYBI1" read little-endian).
pub const BOOT_INFO_MAGIC: u64 = 0x3149_4259_424C_4942;
/// Maximum number of memory regions in [`BootInfo`].
pub const BOOT_MAX_MEMORY_REGIONS: u32 = 32;
/// Maximum number of modules in [`BootInfo`].
pub const BOOT_MAX_MODULES: u32 = 16;
/// Length of a module name in [`BootModule`], NUL padded.
pub const BOOT_MODULE_NAME_LEN: u32 = 32;

/// Hypercall numbers, in `rax`.
///
/// The argument list of each is given as `rdi, rsi, rdx, r10, r8, r9`;
/// results after the status in `rax` likewise.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hypercall {
    /// Does nothing and returns [`Status::Ok`]: the null hypercall.
    Nop = 0,
    /// Results: major, minor of the kernel's ABI.
    AbiVersion = 1,
    /// Args: control cap, byte. Writes one byte to the kernel console.
    DebugPutc = 2,
    /// Args: control cap, user pointer, length. Writes bytes to the console.
    DebugWrite = 3,
    /// Args: control cap, exit code (0–127; QEMU's `isa-debug-exit` makes
    /// it `(code << 1) | 1`). Stops the machine.
    DebugShutdown = 4,
    /// Args: endpoint cap, tag, words 0–3. Sends and waits for the reply.
    /// Results: badge, reply tag, words 0–3.
    IpcCall = 5,
    /// Args: endpoint cap, tag, words 0–3. Replies to the pending caller
    /// (if any) and waits on the endpoint. Results: badge, tag, words 0–3.
    IpcReplyRecv = 6,
    /// Args: endpoint cap, tag, words 0–3. Sends without waiting for a reply.
    IpcSend = 7,
    /// Args: endpoint cap. Waits for a message. Results: badge, tag, words 0–3.
    IpcRecv = 8,
    /// Args: tag, words 0–3 (in rsi, rdx, r10, r8, r9; rdi unused).
    /// Replies to the pending caller without waiting.
    IpcReply = 9,
    /// Args: memory cap, destination slot. Creates an endpoint. The memory
    /// capability must name free memory, as for every object; since 1.1 a
    /// module's image (or device memory) is refused with
    /// [`Status::InvalidArgument`].
    EndpointCreate = 10,
    /// Args: memory cap, task cap, destination slot, UTCB address in that
    /// task. Creates a stopped thread.
    ThreadCreate = 11,
    /// Args: thread cap, [`ThreadConfigItem`], value, value 2.
    ThreadConfigure = 12,
    /// Args: thread cap, user pointer to [`UserRegisters`], flags
    /// ([`EXREGS_READ`], [`EXREGS_WRITE`]). The thread must be stopped.
    ThreadExchangeRegisters = 13,
    /// Args: thread cap. Starts or resumes a stopped thread.
    ThreadResume = 14,
    /// Args: thread cap. Stops a thread.
    ThreadSuspend = 15,
    /// Args: memory cap, destination slot. Creates a task (address space
    /// and capability space).
    TaskCreate = 16,
    /// Args: task cap. Destroys the task, its threads and its mappings.
    TaskDestroy = 17,
    /// Args: memory cap, task cap, virtual address, pages, rights, offset.
    /// Maps frames of a memory capability: fresh zeroed frames from a pool,
    /// or the frames at `offset` pages into a module image or (since 1.1)
    /// device memory, the latter uncached and never executable
    /// ([`Status::InvalidArgument`] for [`RIGHT_EXECUTE`]).
    MemoryMap = 18,
    /// Args: task cap, source address (caller's space), destination
    /// address, pages, rights. Shares pages; the result derives from the source.
    MapPages = 19,
    /// Args: task cap, virtual address, pages. Removes the mappings and,
    /// recursively, every mapping derived from them.
    UnmapPages = 20,
    /// Args: as [`Hypercall::MapPages`]. Moves pages: the source loses them.
    GrantPages = 21,
    /// Args: IRQ cap, endpoint cap, badge. Delivers the interrupt as a
    /// message labelled [`ExceptionKind::Interrupt`].
    IrqAttach = 22,
    /// Args: IRQ cap. Unmasks the interrupt after it was handled.
    IrqAck = 23,
    /// Args: control cap, endpoint cap, period in ns (0 stops), flags,
    /// badge. Delivers ticks as messages labelled [`ExceptionKind::Timer`].
    /// Results: the current time in ns since boot.
    TimerSet = 24,
    /// Args: control cap. Results: the per-CPU [`Counters`] in order,
    /// as counted up to and including this hypercall's own entry.
    CountersRead = 25,
    /// Gives the rest of the time slice to the next ready thread.
    Yield = 26,
    /// Args: source slot, destination task cap, destination slot, rights
    /// mask, badge (0 keeps the source's).
    CapCopy = 27,
    /// Args: task cap, slot. Empties the slot.
    CapDelete = 28,
    /// Args: control or I/O-port cap, first port, count, destination slot.
    /// Issues an I/O-port capability, with the source's rights, for ports
    /// `first..first + count`, which must lie inside the source's range
    /// (all ports for the control capability) and include none of the
    /// kernel's own ports (since 1.1). Errors: [`Status::InvalidArgument`]
    /// for an empty range or one past port 0xFFFF;
    /// [`Status::InsufficientRights`] for one outside the source's range or
    /// touching a kernel port.
    IoPortsIssue = 29,
    /// Args: I/O-port cap, port, width in bytes (1, 2 or 4). Results: the
    /// value read. Every byte accessed must lie in the cap's range (since 1.1).
    /// Errors: [`Status::InvalidArgument`] for another width or a byte past
    /// port 0xFFFF; [`Status::InsufficientRights`] for a byte outside the range.
    IoPortRead = 30,
    /// Args: I/O-port cap, port, width in bytes (1, 2 or 4), value. Writes
    /// the low `width` bytes of the value (since 1.1). Errors as for
    /// [`Hypercall::IoPortRead`].
    IoPortWrite = 31,
    /// Args: control cap, physical address, pages, destination slot. Issues
    /// a Memory capability, with the control
    /// capability's rights, over device memory: page aligned, below
    /// [`DEVICE_MEMORY_LIMIT`], overlapping no RAM the firmware reports and
    /// neither interrupt controller's page ([`LOCAL_APIC_BASE`],
    /// [`IO_APIC_BASE`]). `MemoryMap` maps its frames (offset in pages)
    /// uncached and never executable (since 1.1). Errors:
    /// [`Status::Unaligned`], [`Status::InvalidArgument`] for 0 pages,
    /// [`Status::InvalidAddress`] for a range refused above,
    /// [`Status::OutOfMemory`] when the kernel's pool table is full,
    /// [`Status::NotSupported`] if the firmware reported more RAM ranges
    /// than the kernel remembers.
    DeviceMemoryIssue = 32,
}

impl Hypercall {
    /// Every hypercall, in number order.
    ///
    /// cbindgen:ignore
    pub const ALL: [Hypercall; 33] = [
        Hypercall::Nop,
        Hypercall::AbiVersion,
        Hypercall::DebugPutc,
        Hypercall::DebugWrite,
        Hypercall::DebugShutdown,
        Hypercall::IpcCall,
        Hypercall::IpcReplyRecv,
        Hypercall::IpcSend,
        Hypercall::IpcRecv,
        Hypercall::IpcReply,
        Hypercall::EndpointCreate,
        Hypercall::ThreadCreate,
        Hypercall::ThreadConfigure,
        Hypercall::ThreadExchangeRegisters,
        Hypercall::ThreadResume,
        Hypercall::ThreadSuspend,
        Hypercall::TaskCreate,
        Hypercall::TaskDestroy,
        Hypercall::MemoryMap,
        Hypercall::MapPages,
        Hypercall::UnmapPages,
        Hypercall::GrantPages,
        Hypercall::IrqAttach,
        Hypercall::IrqAck,
        Hypercall::TimerSet,
        Hypercall::CountersRead,
        Hypercall::Yield,
        Hypercall::CapCopy,
        Hypercall::CapDelete,
        Hypercall::IoPortsIssue,
        Hypercall::IoPortRead,
        Hypercall::IoPortWrite,
        Hypercall::DeviceMemoryIssue,
    ];
}

impl TryFrom<u32> for Hypercall {
    type Error = Status;
    fn try_from(n: u32) -> Result<Self, Status> {
        Ok(match n {
            0 => Hypercall::Nop,
            1 => Hypercall::AbiVersion,
            2 => Hypercall::DebugPutc,
            3 => Hypercall::DebugWrite,
            4 => Hypercall::DebugShutdown,
            5 => Hypercall::IpcCall,
            6 => Hypercall::IpcReplyRecv,
            7 => Hypercall::IpcSend,
            8 => Hypercall::IpcRecv,
            9 => Hypercall::IpcReply,
            10 => Hypercall::EndpointCreate,
            11 => Hypercall::ThreadCreate,
            12 => Hypercall::ThreadConfigure,
            13 => Hypercall::ThreadExchangeRegisters,
            14 => Hypercall::ThreadResume,
            15 => Hypercall::ThreadSuspend,
            16 => Hypercall::TaskCreate,
            17 => Hypercall::TaskDestroy,
            18 => Hypercall::MemoryMap,
            19 => Hypercall::MapPages,
            20 => Hypercall::UnmapPages,
            21 => Hypercall::GrantPages,
            22 => Hypercall::IrqAttach,
            23 => Hypercall::IrqAck,
            24 => Hypercall::TimerSet,
            25 => Hypercall::CountersRead,
            26 => Hypercall::Yield,
            27 => Hypercall::CapCopy,
            28 => Hypercall::CapDelete,
            29 => Hypercall::IoPortsIssue,
            30 => Hypercall::IoPortRead,
            31 => Hypercall::IoPortWrite,
            32 => Hypercall::DeviceMemoryIssue,
            _ => return Err(Status::InvalidHypercall),
        })
    }
}

/// Status codes, returned in `rax`. Zero is success; the numbers are stable.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// The number in `rax` names no hypercall.
    InvalidHypercall = 1,
    /// The slot is out of range or empty.
    InvalidCapability = 2,
    /// The capability names an object of the wrong kind.
    WrongCapabilityKind = 3,
    /// The capability lacks a right the operation needs.
    InsufficientRights = 4,
    /// An argument is out of its range or meaningless.
    InvalidArgument = 5,
    /// An address is outside user space or not mapped as needed, or a
    /// physical address the operation may not name.
    InvalidAddress = 6,
    /// An address or size is not aligned as required.
    Unaligned = 7,
    /// The memory capability cannot pay for the request.
    OutOfMemory = 8,
    /// The destination slot or address is already in use.
    Occupied = 9,
    /// The thread is not in a state that allows the operation.
    InvalidState = 10,
    /// There is no caller to reply to.
    NoReplyPending = 11,
    /// The peer was destroyed while the operation was pending.
    PeerGone = 12,
    /// The operation is valid but not supported by this kernel.
    NotSupported = 13,
    /// The guest's ABI major version differs from the kernel's.
    IncompatibleAbi = 14,
}

impl Status {
    /// Every status, in number order.
    ///
    /// cbindgen:ignore
    pub const ALL: [Status; 15] = [
        Status::Ok,
        Status::InvalidHypercall,
        Status::InvalidCapability,
        Status::WrongCapabilityKind,
        Status::InsufficientRights,
        Status::InvalidArgument,
        Status::InvalidAddress,
        Status::Unaligned,
        Status::OutOfMemory,
        Status::Occupied,
        Status::InvalidState,
        Status::NoReplyPending,
        Status::PeerGone,
        Status::NotSupported,
        Status::IncompatibleAbi,
    ];
}

impl TryFrom<u32> for Status {
    type Error = u32;
    fn try_from(n: u32) -> Result<Self, u32> {
        Ok(match n {
            0 => Status::Ok,
            1 => Status::InvalidHypercall,
            2 => Status::InvalidCapability,
            3 => Status::WrongCapabilityKind,
            4 => Status::InsufficientRights,
            5 => Status::InvalidArgument,
            6 => Status::InvalidAddress,
            7 => Status::Unaligned,
            8 => Status::OutOfMemory,
            9 => Status::Occupied,
            10 => Status::InvalidState,
            11 => Status::NoReplyPending,
            12 => Status::PeerGone,
            13 => Status::NotSupported,
            14 => Status::IncompatibleAbi,
            other => return Err(other),
        })
    }
}

/// Kinds of kernel object a capability can name.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CapKind {
    /// An empty slot.
    Null = 0,
    /// A task: an address space and a capability space.
    Task = 1,
    /// A thread.
    Thread = 2,
    /// An IPC endpoint.
    Endpoint = 3,
    /// Physical memory: a pool of free frames, or a boot module's image.
    Memory = 4,
    /// An interrupt line.
    Irq = 5,
    /// Kernel control: console, shutdown, counters, timer.
    Control = 6,
    /// A range of I/O ports a user-level driver may read and write
    /// (since 1.1).
    IoPorts = 7,
}

impl TryFrom<u32> for CapKind {
    type Error = Status;
    fn try_from(n: u32) -> Result<Self, Status> {
        Ok(match n {
            0 => CapKind::Null,
            1 => CapKind::Task,
            2 => CapKind::Thread,
            3 => CapKind::Endpoint,
            4 => CapKind::Memory,
            5 => CapKind::Irq,
            6 => CapKind::Control,
            7 => CapKind::IoPorts,
            _ => return Err(Status::InvalidArgument),
        })
    }
}

/// How a thread's `syscall` instructions are treated.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreadMode {
    /// `syscall` is a hypercall.
    Native = 0,
    /// `syscall` is an exception IPC to the handler; no hypercall is possible.
    Virtualized = 1,
}

impl TryFrom<u32> for ThreadMode {
    type Error = Status;
    fn try_from(n: u32) -> Result<Self, Status> {
        Ok(match n {
            0 => ThreadMode::Native,
            1 => ThreadMode::Virtualized,
            _ => return Err(Status::InvalidArgument),
        })
    }
}

/// What `ThreadConfigure` sets; its value arguments follow in `rdx`, `r10`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreadConfigItem {
    /// Value: endpoint cap for exception IPC (or [`CAP_NULL`]); value 2: badge.
    Handler = 1,
    /// Value: endpoint cap for page-fault IPC (or [`CAP_NULL`]); value 2: badge.
    Pager = 2,
    /// Value: priority, 0 (lowest) to [`MAX_PRIORITY`].
    Priority = 3,
    /// Value: a [`ThreadMode`].
    Mode = 4,
}

/// Highest thread priority.
pub const MAX_PRIORITY: u32 = 255;

impl TryFrom<u32> for ThreadConfigItem {
    type Error = Status;
    fn try_from(n: u32) -> Result<Self, Status> {
        Ok(match n {
            1 => ThreadConfigItem::Handler,
            2 => ThreadConfigItem::Pager,
            3 => ThreadConfigItem::Priority,
            4 => ThreadConfigItem::Mode,
            _ => return Err(Status::InvalidArgument),
        })
    }
}

/// Labels of messages the kernel generates (in the tag's label field).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExceptionKind {
    /// A virtualized thread executed `syscall`.
    Syscall = 0x7FFF_0001,
    /// A page fault, sent to the pager.
    PageFault = 0x7FFF_0002,
    /// Any other CPU exception (divide error, invalid opcode, general
    /// protection, …); the vector is in the message.
    CpuException = 0x7FFF_0003,
    /// An interrupt attached with `IrqAttach` (a send; no reply expected).
    Interrupt = 0x7FFF_0004,
    /// A timer tick set with `TimerSet` (a send; no reply expected).
    Timer = 0x7FFF_0005,
}

impl TryFrom<u32> for ExceptionKind {
    type Error = Status;
    fn try_from(n: u32) -> Result<Self, Status> {
        Ok(match n {
            0x7FFF_0001 => ExceptionKind::Syscall,
            0x7FFF_0002 => ExceptionKind::PageFault,
            0x7FFF_0003 => ExceptionKind::CpuException,
            0x7FFF_0004 => ExceptionKind::Interrupt,
            0x7FFF_0005 => ExceptionKind::Timer,
            _ => return Err(Status::InvalidArgument),
        })
    }
}

/// Labels of replies to exception IPC that the kernel acts on.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplyLabel {
    /// Write the replier's `Utcb::exception.regs` back and resume the thread.
    Resume = 0x7FFF_0101,
    /// Map the [`MapItem`] in words 0–3 from the replier's space into the
    /// faulting task, then resume the thread with its registers unchanged.
    MapAndResume = 0x7FFF_0102,
}

impl TryFrom<u32> for ReplyLabel {
    type Error = Status;
    fn try_from(n: u32) -> Result<Self, Status> {
        Ok(match n {
            0x7FFF_0101 => ReplyLabel::Resume,
            0x7FFF_0102 => ReplyLabel::MapAndResume,
            _ => return Err(Status::InvalidArgument),
        })
    }
}

/// CPU exception vectors the kernel reports (the `vector` field).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vector {
    /// #DE
    DivideError = 0,
    /// #DB
    Debug = 1,
    /// #BP (`int3`)
    Breakpoint = 3,
    /// #OF
    Overflow = 4,
    /// #BR
    BoundRange = 5,
    /// #UD
    InvalidOpcode = 6,
    /// #NM
    DeviceNotAvailable = 7,
    /// #SS
    StackSegment = 12,
    /// #GP
    GeneralProtection = 13,
    /// #PF
    PageFault = 14,
    /// #MF
    X87Floating = 16,
    /// #AC
    AlignmentCheck = 17,
    /// #XM
    SimdFloating = 19,
    /// Not a CPU vector: the `syscall` instruction of a virtualized thread.
    Syscall = 256,
}

/// The x86_64 user register frame, as exception IPC carries it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserRegisters {
    /// rax: for a Linux system call, its number; on resume, its result.
    pub rax: u64,
    /// rbx
    pub rbx: u64,
    /// rcx: after `syscall`, the CPU's copy of `rip`.
    pub rcx: u64,
    /// rdx: Linux system-call argument 2.
    pub rdx: u64,
    /// rsi: Linux system-call argument 1.
    pub rsi: u64,
    /// rdi: Linux system-call argument 0.
    pub rdi: u64,
    /// rbp
    pub rbp: u64,
    /// r8: Linux system-call argument 4.
    pub r8: u64,
    /// r9: Linux system-call argument 5.
    pub r9: u64,
    /// r10: Linux system-call argument 3.
    pub r10: u64,
    /// r11: after `syscall`, the CPU's copy of `rflags`.
    pub r11: u64,
    /// r12
    pub r12: u64,
    /// r13
    pub r13: u64,
    /// r14
    pub r14: u64,
    /// r15
    pub r15: u64,
    /// rip: for a syscall, the address after the `syscall` instruction.
    pub rip: u64,
    /// rsp
    pub rsp: u64,
    /// rflags (the kernel keeps IF set and IOPL 0 whatever is written).
    pub rflags: u64,
    /// fs base
    pub fs_base: u64,
    /// gs base
    pub gs_base: u64,
}

/// The whole exception message, written into the handler's [`Utcb::exception`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExceptionMessage {
    /// An [`ExceptionKind`].
    pub label: u32,
    /// A [`Vector`] (`Vector::Syscall` for a syscall).
    pub vector: u32,
    /// The CPU's error code, or 0.
    pub error_code: u64,
    /// For a page fault, the faulting address (cr2); otherwise 0.
    pub fault_address: u64,
    /// The thread's registers at the exception.
    pub regs: UserRegisters,
}

/// The page-fault message, in message words 0–3.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageFaultMessage {
    /// The faulting address.
    pub fault_address: u64,
    /// The CPU's error code ([`FAULT_WRITE`], …).
    pub error_code: u64,
    /// The faulting instruction.
    pub rip: u64,
    /// The stack pointer at the fault.
    pub rsp: u64,
}

/// The map item of a [`ReplyLabel::MapAndResume`] reply, in words 0–3.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapItem {
    /// Page-aligned source address in the replier's address space.
    pub source: u64,
    /// Page-aligned destination address in the faulting task.
    pub destination: u64,
    /// Number of pages.
    pub pages: u64,
    /// Rights ([`RIGHT_READ`], …), at most those of the source.
    pub rights: u64,
}

/// Kernel event counters of one CPU, returned by `CountersRead`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Mode switches from user to kernel.
    pub user_to_kernel: u64,
    /// Mode switches from kernel to user.
    pub kernel_to_user: u64,
    /// Address-space switches (page-table base loads).
    pub address_space_switches: u64,
    /// Exception IPCs delivered.
    pub exception_ipcs: u64,
    /// IPC messages delivered (exception IPCs included).
    pub ipc_messages: u64,
    /// Hypercalls executed.
    pub hypercalls: u64,
}

/// The user thread control block: one page per thread, at the address given
/// to `ThreadCreate`, holding the message words beyond the registers.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Utcb {
    /// [`BILBY_ABI_VERSION`], written by the kernel.
    pub version: u32,
    /// Reserved; zero.
    pub flags: u32,
    /// The thread's own thread capability slot, or [`CAP_NULL`].
    pub self_thread: u64,
    /// Message words; words 0–3 mirror `rdx`, `r10`, `r8`, `r9`.
    pub mr: [u64; 64],
    /// The last exception message received; the frame a Resume reply writes back.
    pub exception: ExceptionMessage,
}

/// Kinds of physical memory region in [`BootInfo`].
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryKind {
    /// Free memory; its capability is a pool.
    Free = 1,
    /// A boot module's image; its capability maps the image's frames.
    Module = 2,
    /// Reserved by firmware or devices; no capability.
    Reserved = 3,
    /// Used by the kernel; no capability.
    Kernel = 4,
}

/// One physical memory region.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryRegion {
    /// Physical base address.
    pub base: u64,
    /// Size in bytes.
    pub size: u64,
    /// A [`MemoryKind`].
    pub kind: u32,
    /// The root task's memory capability slot for it, or [`CAP_NULL`].
    pub cap: u32,
}

/// A boot module that the kernel loaded as a task with a stopped thread.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BootModule {
    /// NUL-padded name (the file name given to the loader).
    pub name: [u8; 32],
    /// Slot of the module's task capability, or [`CAP_NULL`] if refused.
    pub task_cap: u32,
    /// Slot of its (stopped) main thread's capability, or [`CAP_NULL`].
    pub thread_cap: u32,
    /// Slot of a memory capability for the raw image.
    pub image_cap: u32,
    /// A [`Status`]: `Ok`, or why the module was refused.
    pub status: u32,
    /// The image's size in bytes.
    pub image_size: u64,
    /// Entry point.
    pub entry: u64,
    /// Initial stack pointer the kernel set up.
    pub stack_pointer: u64,
    /// The module's UTCB address.
    pub utcb: u64,
    /// The ABI version from the module's ELF note (`major << 16 | minor`).
    pub abi_version: u32,
    /// Reserved; zero.
    pub reserved: u32,
}

/// The boot-info page the kernel maps read-only into the root task; its
/// address is in the root thread's `rdi` at start.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BootInfo {
    /// [`BOOT_INFO_MAGIC`].
    pub magic: u64,
    /// [`BILBY_ABI_VERSION`].
    pub version: u32,
    /// `size_of::<BootInfo>()`.
    pub size: u32,
    /// Slot of the root task's own task capability.
    pub self_task: u32,
    /// Slot of the root task's own thread capability.
    pub self_thread: u32,
    /// Slot of the control capability.
    pub control_cap: u32,
    /// Slot of the first IRQ capability (IRQ n is at `irq_cap_base + n`).
    pub irq_cap_base: u32,
    /// Number of IRQ capabilities.
    pub irq_count: u32,
    /// First empty slot of the root's capability space.
    pub first_free_slot: u32,
    /// Number of valid entries in `memory`.
    pub memory_region_count: u32,
    /// Number of valid entries in `modules`.
    pub module_count: u32,
    /// Frequency of the time source in Hz (0 if unknown).
    pub tsc_hz: u64,
    /// The root task's UTCB address.
    pub utcb: u64,
    /// Physical memory.
    pub memory: [MemoryRegion; 32],
    /// Boot modules beyond the root task.
    pub modules: [BootModule; 16],
}

/// The descriptor of the ABI ELF note (name [`ABI_NOTE_NAME`], type
/// [`ABI_NOTE_TYPE`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AbiNote {
    /// The major version the image was built against.
    pub major: u32,
    /// The minor version the image was built against.
    pub minor: u32,
}

/// A message tag: label and word count, packed in one register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageTag {
    /// The label (user labels are below [`KERNEL_LABEL_BASE`]).
    pub label: u32,
    /// Number of message words, at most [`UTCB_MESSAGE_WORDS`].
    pub words: u8,
}

impl MessageTag {
    /// Packs the tag into its register form.
    pub const fn encode(self) -> u64 {
        ((self.label as u64) << MESSAGE_TAG_LABEL_SHIFT) | self.words as u64
    }
    /// Unpacks a tag; the reserved bits must be zero.
    pub const fn decode(raw: u64) -> Result<MessageTag, Status> {
        let words = raw & MESSAGE_TAG_WORDS_MASK;
        let reserved = raw & 0xFFFF_FF00;
        if reserved != 0 || words > UTCB_MESSAGE_WORDS as u64 {
            return Err(Status::InvalidArgument);
        }
        Ok(MessageTag {
            label: (raw >> MESSAGE_TAG_LABEL_SHIFT) as u32,
            words: words as u8,
        })
    }
}

/// Whether a guest built against `version` may run on this ABI.
pub const fn compatible(version: u32) -> bool {
    abi_version_major(version) == BILBY_ABI_MAJOR
}

// Layout, checked at compile time; the generated header checks the same in C.
const _: () = {
    assert!(size_of::<UserRegisters>() == 160);
    assert!(align_of::<UserRegisters>() == 8);
    assert!(offset_of!(UserRegisters, rax) == 0);
    assert!(offset_of!(UserRegisters, rdi) == 40);
    assert!(offset_of!(UserRegisters, r10) == 72);
    assert!(offset_of!(UserRegisters, rip) == 120);
    assert!(offset_of!(UserRegisters, rsp) == 128);
    assert!(offset_of!(UserRegisters, rflags) == 136);
    assert!(offset_of!(UserRegisters, fs_base) == 144);
    assert!(offset_of!(UserRegisters, gs_base) == 152);
    assert!(size_of::<ExceptionMessage>() == 184);
    assert!(offset_of!(ExceptionMessage, label) == 0);
    assert!(offset_of!(ExceptionMessage, vector) == 4);
    assert!(offset_of!(ExceptionMessage, error_code) == 8);
    assert!(offset_of!(ExceptionMessage, fault_address) == 16);
    assert!(offset_of!(ExceptionMessage, regs) == 24);
    assert!(size_of::<PageFaultMessage>() == 32);
    assert!(size_of::<MapItem>() == 32);
    assert!(size_of::<Counters>() == 48);
    assert!(offset_of!(Utcb, version) == 0);
    assert!(offset_of!(Utcb, flags) == 4);
    assert!(offset_of!(Utcb, self_thread) == 8);
    assert!(offset_of!(Utcb, mr) == 16);
    assert!(offset_of!(Utcb, exception) == 16 + 64 * 8);
    assert!(size_of::<Utcb>() == 16 + 64 * 8 + 184);
    assert!(size_of::<Utcb>() as u64 <= UTCB_SIZE);
    assert!(UTCB_MESSAGE_WORDS == 64);
    assert!(size_of::<MemoryRegion>() == 24);
    assert!(size_of::<BootModule>() == 88);
    assert!(offset_of!(BootModule, task_cap) == 32);
    assert!(offset_of!(BootModule, image_size) == 48);
    assert!(offset_of!(BootModule, abi_version) == 80);
    assert!(offset_of!(BootInfo, version) == 8);
    assert!(offset_of!(BootInfo, memory_region_count) == 40);
    assert!(offset_of!(BootInfo, tsc_hz) == 48);
    assert!(offset_of!(BootInfo, utcb) == 56);
    assert!(offset_of!(BootInfo, memory) == 64);
    assert!(offset_of!(BootInfo, modules) == 64 + 32 * 24);
    assert!(size_of::<BootInfo>() == 64 + 32 * 24 + 16 * 88);
    assert!(size_of::<BootInfo>() as u64 <= PAGE_SIZE);
    assert!(BOOT_MAX_MEMORY_REGIONS == 32);
    assert!(BOOT_MAX_MODULES == 16);
    assert!(BOOT_MODULE_NAME_LEN == 32);
    assert!(size_of::<AbiNote>() == 8);
    assert!(Hypercall::ALL.len() == Hypercall::DeviceMemoryIssue as usize + 1);
    assert!(Status::ALL.len() == Status::IncompatibleAbi as usize + 1);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypercall_numbers_round_trip() {
        for (i, h) in Hypercall::ALL.iter().enumerate() {
            assert_eq!(*h as u32, i as u32);
            assert_eq!(Hypercall::try_from(i as u32), Ok(*h));
        }
        assert_eq!(
            Hypercall::try_from(Hypercall::ALL.len() as u32),
            Err(Status::InvalidHypercall)
        );
        assert_eq!(Hypercall::try_from(u32::MAX), Err(Status::InvalidHypercall));
    }

    #[test]
    fn status_numbers_round_trip() {
        for (i, s) in Status::ALL.iter().enumerate() {
            assert_eq!(*s as u32, i as u32);
            assert_eq!(Status::try_from(i as u32), Ok(*s));
        }
        assert_eq!(Status::try_from(99), Err(99));
    }

    #[test]
    fn tags_round_trip_and_reject_reserved_bits() {
        let t = MessageTag {
            label: 0x7FFF_0101,
            words: 64,
        };
        assert_eq!(MessageTag::decode(t.encode()), Ok(t));
        assert_eq!(MessageTag::decode(65), Err(Status::InvalidArgument));
        assert_eq!(MessageTag::decode(0x100), Err(Status::InvalidArgument));
    }

    #[test]
    fn other_enums_reject_unknown_values() {
        assert_eq!(ThreadMode::try_from(1), Ok(ThreadMode::Virtualized));
        assert!(ThreadMode::try_from(2).is_err());
        assert!(ThreadConfigItem::try_from(0).is_err());
        assert_eq!(
            ExceptionKind::try_from(0x7FFF_0001),
            Ok(ExceptionKind::Syscall)
        );
        assert!(ReplyLabel::try_from(0).is_err());
        assert_eq!(CapKind::try_from(7), Ok(CapKind::IoPorts));
        assert!(CapKind::try_from(8).is_err());
    }

    #[test]
    fn version_compatibility_is_by_major() {
        assert!(compatible(BILBY_ABI_VERSION));
        assert!(compatible(abi_version(BILBY_ABI_MAJOR, 0xFFFF)));
        assert!(!compatible(abi_version(BILBY_ABI_MAJOR + 1, 0)));
        assert_eq!(abi_version_major(abi_version(3, 7)), 3);
        assert_eq!(abi_version_minor(abi_version(3, 7)), 7);
    }
}
