//! A machine-readable model of the whole ABI: every constant, every enum
//! value and every structure's size, alignment and field offsets, computed
//! by the compiler from the definitions in this crate.
//!
//! Three consumers rely on it: the header generator (which prefixes the C
//! names and emits `_Static_assert`s from it), the bindgen round-trip test
//! (which checks every item of the generated header against it, and that
//! nothing in the header is missing from it) and the baseline check (which
//! compares it with the snapshot of the last released ABI). Adding an item
//! to the ABI means adding it here; the round-trip test fails otherwise.

use crate::*;
use core::mem::{align_of, offset_of, size_of};

/// A named integer constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Constant {
    /// The Rust name (the C name is `BILBY_` followed by it, unless it
    /// already starts with `BILBY_`).
    pub name: &'static str,
    /// Its value.
    pub value: u64,
}

/// An enumeration and its explicit values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enumeration {
    /// The Rust type name (C: `Bilby` + name).
    pub name: &'static str,
    /// Variant names and their values.
    pub variants: &'static [(&'static str, u64)],
}

/// One field of a structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The field name (identical in Rust and C).
    pub name: &'static str,
    /// Offset in bytes.
    pub offset: usize,
    /// Size in bytes.
    pub size: usize,
}

/// A `#[repr(C)]` structure's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Structure {
    /// The Rust type name (C: `Bilby` + name).
    pub name: &'static str,
    /// Size in bytes.
    pub size: usize,
    /// Alignment in bytes.
    pub align: usize,
    /// Fields in declaration order.
    pub fields: &'static [Field],
}

/// Size of the type a field projection points to.
const fn field_size<T, U>(_: fn(&T) -> &U) -> usize {
    size_of::<U>()
}

macro_rules! constants {
    ($($c:ident),* $(,)?) => {
        &[$(Constant { name: stringify!($c), value: $c as u64 }),*]
    };
}

macro_rules! enumeration {
    ($e:ident { $($v:ident),* $(,)? }) => {
        Enumeration {
            name: stringify!($e),
            variants: &[$((stringify!($v), $e::$v as u64)),*],
        }
    };
}

macro_rules! structure {
    ($s:ident { $($f:ident),* $(,)? }) => {
        Structure {
            name: stringify!($s),
            size: size_of::<$s>(),
            align: align_of::<$s>(),
            fields: &[$(Field {
                name: stringify!($f),
                offset: offset_of!($s, $f),
                size: field_size(|s: &$s| &s.$f),
            }),*],
        }
    };
}

/// Every integer constant of the ABI.
pub const CONSTANTS: &[Constant] = constants![
    BILBY_ABI_MAJOR,
    BILBY_ABI_MINOR,
    BILBY_ABI_VERSION,
    ABI_VERSION_MAJOR_SHIFT,
    ABI_VERSION_MINOR_MASK,
    PAGE_SIZE,
    CAP_SPACE_SLOTS,
    CAP_NULL,
    UTCB_MESSAGE_WORDS,
    REGISTER_MESSAGE_WORDS,
    UTCB_SIZE,
    USER_SPACE_START,
    USER_SPACE_END,
    KERNEL_LABEL_BASE,
    MESSAGE_TAG_LABEL_SHIFT,
    MESSAGE_TAG_WORDS_MASK,
    DEVICE_MEMORY_LIMIT,
    LOCAL_APIC_BASE,
    IO_APIC_BASE,
    RIGHT_READ,
    RIGHT_WRITE,
    RIGHT_EXECUTE,
    RIGHTS_ALL,
    CAP_RIGHT_USE,
    CAP_RIGHT_COPY,
    CAP_RIGHTS_ALL,
    EXREGS_READ,
    EXREGS_WRITE,
    TIMER_PERIODIC,
    FAULT_PRESENT,
    FAULT_WRITE,
    FAULT_USER,
    FAULT_INSTRUCTION,
    ABI_NOTE_TYPE,
    BOOT_INFO_MAGIC,
    BOOT_MAX_MEMORY_REGIONS,
    BOOT_MAX_MODULES,
    BOOT_MODULE_NAME_LEN,
    MAX_PRIORITY,
];

/// String constants of the ABI (name, value).
pub const STRINGS: &[(&str, &str)] = &[
    ("ABI_NOTE_NAME", ABI_NOTE_NAME),
    ("ABI_NOTE_SECTION", ABI_NOTE_SECTION),
];

/// Every enumeration of the ABI.
pub const ENUMERATIONS: &[Enumeration] = &[
    enumeration!(Hypercall {
        Nop,
        AbiVersion,
        DebugPutc,
        DebugWrite,
        DebugShutdown,
        IpcCall,
        IpcReplyRecv,
        IpcSend,
        IpcRecv,
        IpcReply,
        EndpointCreate,
        ThreadCreate,
        ThreadConfigure,
        ThreadExchangeRegisters,
        ThreadResume,
        ThreadSuspend,
        TaskCreate,
        TaskDestroy,
        MemoryMap,
        MapPages,
        UnmapPages,
        GrantPages,
        IrqAttach,
        IrqAck,
        TimerSet,
        CountersRead,
        Yield,
        CapCopy,
        CapDelete,
        IoPortsIssue,
        IoPortRead,
        IoPortWrite,
        DeviceMemoryIssue,
    }),
    enumeration!(Status {
        Ok,
        InvalidHypercall,
        InvalidCapability,
        WrongCapabilityKind,
        InsufficientRights,
        InvalidArgument,
        InvalidAddress,
        Unaligned,
        OutOfMemory,
        Occupied,
        InvalidState,
        NoReplyPending,
        PeerGone,
        NotSupported,
        IncompatibleAbi,
    }),
    enumeration!(CapKind {
        Null,
        Task,
        Thread,
        Endpoint,
        Memory,
        Irq,
        Control,
        IoPorts,
    }),
    enumeration!(ThreadMode {
        Native,
        Virtualized
    }),
    enumeration!(ThreadConfigItem {
        Handler,
        Pager,
        Priority,
        Mode
    }),
    enumeration!(ExceptionKind {
        Syscall,
        PageFault,
        CpuException,
        Interrupt,
        Timer,
    }),
    enumeration!(ReplyLabel {
        Resume,
        MapAndResume
    }),
    enumeration!(Vector {
        DivideError,
        Debug,
        Breakpoint,
        Overflow,
        BoundRange,
        InvalidOpcode,
        DeviceNotAvailable,
        StackSegment,
        GeneralProtection,
        PageFault,
        X87Floating,
        AlignmentCheck,
        SimdFloating,
        Syscall,
    }),
    enumeration!(MemoryKind {
        Free,
        Module,
        Reserved,
        Kernel
    }),
];

/// Every structure of the ABI.
pub const STRUCTURES: &[Structure] = &[
    structure!(UserRegisters {
        rax,
        rbx,
        rcx,
        rdx,
        rsi,
        rdi,
        rbp,
        r8,
        r9,
        r10,
        r11,
        r12,
        r13,
        r14,
        r15,
        rip,
        rsp,
        rflags,
        fs_base,
        gs_base,
    }),
    structure!(ExceptionMessage {
        label,
        vector,
        error_code,
        fault_address,
        regs
    }),
    structure!(PageFaultMessage {
        fault_address,
        error_code,
        rip,
        rsp
    }),
    structure!(MapItem {
        source,
        destination,
        pages,
        rights
    }),
    structure!(Counters {
        user_to_kernel,
        kernel_to_user,
        address_space_switches,
        exception_ipcs,
        ipc_messages,
        hypercalls,
    }),
    structure!(Utcb {
        version,
        flags,
        self_thread,
        mr,
        exception
    }),
    structure!(MemoryRegion {
        base,
        size,
        kind,
        cap
    }),
    structure!(BootModule {
        name,
        task_cap,
        thread_cap,
        image_cap,
        status,
        image_size,
        entry,
        stack_pointer,
        utcb,
        abi_version,
        reserved,
    }),
    structure!(BootInfo {
        magic,
        version,
        size,
        self_task,
        self_thread,
        control_cap,
        irq_cap_base,
        irq_count,
        first_free_slot,
        memory_region_count,
        module_count,
        tsc_hz,
        utcb,
        memory,
        modules,
    }),
    structure!(AbiNote { major, minor }),
];

/// How a Rust name becomes a C name; formatting it writes the C name.
#[derive(Clone, Copy, Debug)]
pub enum CName<'a> {
    /// A constant: `BILBY_` + name unless already prefixed.
    Constant(&'a str),
    /// A type: `Bilby` + name.
    Type(&'a str),
    /// An enum variant: `BILBY_` + SCREAMING(enum) + `_` + SCREAMING(variant).
    Variant(&'a str, &'a str),
}

fn write_screaming(f: &mut core::fmt::Formatter<'_>, camel: &str) -> core::fmt::Result {
    let bytes = camel.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let upper = b.is_ascii_uppercase();
        let boundary = i > 0
            && upper
            && (bytes[i - 1].is_ascii_lowercase()
                || bytes[i - 1].is_ascii_digit()
                || bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase)
                    && bytes[i - 1].is_ascii_uppercase());
        if boundary {
            f.write_str("_")?;
        }
        core::fmt::Write::write_char(f, b.to_ascii_uppercase() as char)?;
    }
    Ok(())
}

impl core::fmt::Display for CName<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            CName::Constant(n) if n.starts_with("BILBY_") => f.write_str(n),
            CName::Constant(n) => write!(f, "BILBY_{n}"),
            CName::Type(n) => write!(f, "Bilby{n}"),
            CName::Variant(e, v) => {
                f.write_str("BILBY_")?;
                write_screaming(f, e)?;
                f.write_str("_")?;
                write_screaming(f, v)
            }
        }
    }
}
