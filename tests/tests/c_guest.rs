//! C guests against the headers: the objects compiled by build.rs (C11 and
//! C++17, `-Wall -Wextra -Werror -pedantic`) must carry exactly the ABI
//! note, and every hypercall stub must assemble to the documented register
//! convention: number in rax; arguments in rdi, rsi, rdx, r10, r8, r9;
//! results read back from the same registers; rsp never written.

use bilby_abi::{Hypercall, ReplyLabel, ThreadConfigItem, ThreadMode};
use iced_x86::{
    Decoder, DecoderOptions, Instruction, InstructionInfoFactory, Mnemonic, OpAccess, OpKind,
    Register,
};
use object::{Object, ObjectComdat, ObjectSection, ObjectSymbol};
use std::collections::HashMap;

fn read(env: &str) -> Vec<u8> {
    std::fs::read(env).unwrap_or_else(|e| panic!("reading {env}: {e}"))
}

fn c_object() -> Vec<u8> {
    read(env!("BILBY_C_GUEST_OBJ"))
}

/// Parses the ELF notes of a section: (name, type, descriptor).
fn notes(data: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    let u32_at = |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().unwrap());
    let align4 = |n: usize| (n + 3) & !3;
    while at + 12 <= data.len() {
        let namesz = u32_at(at) as usize;
        let descsz = u32_at(at + 4) as usize;
        let ty = u32_at(at + 8);
        let name_start = at + 12;
        let name = &data[name_start..name_start + namesz];
        let desc_start = name_start + align4(namesz);
        let desc = data[desc_start..desc_start + descsz].to_vec();
        let name = String::from_utf8(name.strip_suffix(&[0]).unwrap_or(name).to_vec()).unwrap();
        out.push((name, ty, desc));
        at = desc_start + align4(descsz);
    }
    out
}

fn check_note(bytes: &[u8]) {
    let obj = object::File::parse(bytes).unwrap();
    let section = obj
        .section_by_name(bilby_abi::ABI_NOTE_SECTION)
        .expect("the object has the ABI note section");
    let found = notes(section.data().unwrap());
    assert_eq!(found.len(), 1, "exactly one note: {found:?}");
    let (name, ty, desc) = &found[0];
    assert_eq!(name, bilby_abi::ABI_NOTE_NAME);
    assert_eq!(*ty, bilby_abi::ABI_NOTE_TYPE);
    assert_eq!(desc.len(), core::mem::size_of::<bilby_abi::AbiNote>());
    let major = u32::from_le_bytes(desc[0..4].try_into().unwrap());
    let minor = u32::from_le_bytes(desc[4..8].try_into().unwrap());
    assert_eq!(
        (major, minor),
        (bilby_abi::BILBY_ABI_MAJOR, bilby_abi::BILBY_ABI_MINOR)
    );
    // A COMDAT group, so linking many objects leaves one note in the image.
    let in_group = obj
        .comdats()
        .any(|g| g.sections().any(|s| s == section.index()));
    assert!(in_group, "the note section is in a COMDAT group");
}

#[test]
fn c_and_cxx_objects_carry_the_abi_note() {
    check_note(&c_object());
    check_note(&read(env!("BILBY_CXX_GUEST_OBJ")));
}

/// The machine code of a function in a relocatable object.
fn function_code(bytes: &[u8], name: &str) -> Vec<u8> {
    let obj = object::File::parse(bytes).unwrap();
    let sym = obj
        .symbols()
        .find(|s| s.name() == Ok(name))
        .unwrap_or_else(|| panic!("no symbol {name}"));
    let section = obj.section_by_index(sym.section_index().unwrap()).unwrap();
    let data = section.data().unwrap();
    let start = sym.address() as usize;
    data[start..start + sym.size() as usize].to_vec()
}

/// What the registers hold at the `syscall` instruction, as far as
/// constant moves tell, plus every instruction after it.
struct Trace {
    at_syscall: HashMap<Register, u64>,
    after: Vec<Instruction>,
}

fn trace(code: &[u8], name: &str) -> Trace {
    let mut info = InstructionInfoFactory::new();
    let mut known: HashMap<Register, u64> = HashMap::new();
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut at_syscall = None;
    let mut after = Vec::new();
    for ins in &mut decoder {
        if at_syscall.is_some() {
            after.push(ins);
            continue;
        }
        if ins.mnemonic() == Mnemonic::Syscall {
            at_syscall = Some(known.clone());
            continue;
        }
        let written: Vec<Register> = info
            .info(&ins)
            .used_registers()
            .iter()
            .filter(|u| {
                matches!(
                    u.access(),
                    OpAccess::Write | OpAccess::ReadWrite | OpAccess::CondWrite
                )
            })
            .map(|u| u.register().full_register())
            .collect();
        // The compiler may save a callee-saved register around the stub
        // (push/pop); nothing else may move the stack pointer, and no
        // argument may travel through the stack.
        assert!(
            !written.contains(&Register::RSP)
                || matches!(ins.mnemonic(), Mnemonic::Push | Mnemonic::Pop),
            "{name}: moves rsp before the hypercall: {ins}"
        );
        let value = match (ins.mnemonic(), ins.op1_kind()) {
            (Mnemonic::Mov, OpKind::Immediate8to64 | OpKind::Immediate32to64)
            | (Mnemonic::Mov, OpKind::Immediate32 | OpKind::Immediate64) => Some(ins.immediate(1)),
            (Mnemonic::Xor, OpKind::Register) if ins.op0_register() == ins.op1_register() => {
                Some(0)
            }
            _ => None,
        };
        for r in written {
            known.remove(&r);
        }
        if let Some(v) = value {
            known.insert(ins.op0_register().full_register(), v);
        }
    }
    Trace {
        at_syscall: at_syscall.unwrap_or_else(|| panic!("{name}: no syscall instruction")),
        after,
    }
}

const ARGS: [Register; 6] = [
    Register::RDI,
    Register::RSI,
    Register::RDX,
    Register::R10,
    Register::R8,
    Register::R9,
];

/// Checks number and arguments; `None` means "not a compile-time constant".
fn expect(probe: &str, h: Hypercall, args: [Option<u64>; 6]) {
    let code = function_code(&c_object(), probe);
    let t = trace(&code, probe);
    assert_eq!(
        t.at_syscall.get(&Register::RAX),
        Some(&(h as u64)),
        "{probe}: rax holds the number of {h:?}"
    );
    for (reg, want) in ARGS.iter().zip(args) {
        if let Some(want) = want {
            assert_eq!(
                t.at_syscall.get(reg),
                Some(&want),
                "{probe}: {reg:?} at the syscall"
            );
        }
    }
}

fn tag(label: u32, words: u64) -> u64 {
    bilby_abi::MessageTag {
        label,
        words: words as u8,
    }
    .encode()
}

#[test]
fn every_stub_puts_number_and_arguments_in_the_documented_registers() {
    use Hypercall as H;
    let s = |v: u64| Some(v);
    expect("probe_nop", H::Nop, [None; 6]);
    expect("probe_abi_version", H::AbiVersion, [None; 6]);
    expect(
        "probe_debug_putc",
        H::DebugPutc,
        [s(0x101), s(b'x' as u64), None, None, None, None],
    );
    expect(
        "probe_debug_write",
        H::DebugWrite,
        [s(0x102), s(0x7000), s(0x33), None, None, None],
    );
    expect(
        "probe_debug_shutdown",
        H::DebugShutdown,
        [s(0x103), s(0x44), None, None, None, None],
    );
    expect(
        "probe_ipc_call",
        H::IpcCall,
        [
            s(0x116),
            s(tag(0x1234, 4)),
            s(0x11),
            s(0x22),
            s(0x33),
            s(0x44),
        ],
    );
    expect(
        "probe_ipc_reply_recv",
        H::IpcReplyRecv,
        [
            s(0x117),
            s(tag(ReplyLabel::Resume as u32, 0)),
            s(0x55),
            s(0x66),
            s(0x77),
            s(0x88),
        ],
    );
    expect(
        "probe_ipc_send",
        H::IpcSend,
        [s(0x118), s(tag(7, 1)), s(0x99), s(0), s(0), s(0)],
    );
    expect(
        "probe_ipc_recv",
        H::IpcRecv,
        [s(0x119), None, None, None, None, None],
    );
    expect(
        "probe_ipc_reply",
        H::IpcReply,
        [None, s(tag(8, 2)), s(0xaa), s(0xbb), s(0), s(0)],
    );
    expect(
        "probe_endpoint_create",
        H::EndpointCreate,
        [s(0x104), s(0x205), None, None, None, None],
    );
    expect(
        "probe_thread_create",
        H::ThreadCreate,
        [s(0x105), s(0x206), s(0x307), s(0x408000), None, None],
    );
    expect(
        "probe_thread_configure",
        H::ThreadConfigure,
        [
            s(0x106),
            s(ThreadConfigItem::Mode as u64),
            s(ThreadMode::Virtualized as u64),
            s(0x77),
            None,
            None,
        ],
    );
    expect(
        "probe_thread_exchange_registers",
        H::ThreadExchangeRegisters,
        [
            s(0x107),
            s(0x9000),
            s(bilby_abi::EXREGS_WRITE),
            None,
            None,
            None,
        ],
    );
    expect(
        "probe_thread_resume",
        H::ThreadResume,
        [s(0x108), None, None, None, None, None],
    );
    expect(
        "probe_thread_suspend",
        H::ThreadSuspend,
        [s(0x109), None, None, None, None, None],
    );
    expect(
        "probe_task_create",
        H::TaskCreate,
        [s(0x10a), s(0x20b), None, None, None, None],
    );
    expect(
        "probe_task_destroy",
        H::TaskDestroy,
        [s(0x10b), None, None, None, None, None],
    );
    expect(
        "probe_memory_map",
        H::MemoryMap,
        [
            s(0x10c),
            s(0x20d),
            s(0x400000),
            s(0x10),
            s(bilby_abi::RIGHTS_ALL),
            s(5),
        ],
    );
    expect(
        "probe_map_pages",
        H::MapPages,
        [
            s(0x10d),
            s(0x500000),
            s(0x600000),
            s(0x11),
            s(bilby_abi::RIGHT_READ),
            None,
        ],
    );
    expect(
        "probe_unmap_pages",
        H::UnmapPages,
        [s(0x10e), s(0x700000), s(0x12), None, None, None],
    );
    expect(
        "probe_grant_pages",
        H::GrantPages,
        [
            s(0x10f),
            s(0x800000),
            s(0x900000),
            s(0x13),
            s(bilby_abi::RIGHT_WRITE),
            None,
        ],
    );
    expect(
        "probe_irq_attach",
        H::IrqAttach,
        [s(0x110), s(0x211), s(0x3333), None, None, None],
    );
    expect(
        "probe_irq_ack",
        H::IrqAck,
        [s(0x111), None, None, None, None, None],
    );
    expect(
        "probe_timer_set",
        H::TimerSet,
        [
            s(0x112),
            s(0x213),
            s(1_000_000),
            s(bilby_abi::TIMER_PERIODIC),
            s(0x4444),
            None,
        ],
    );
    expect(
        "probe_counters_read",
        H::CountersRead,
        [s(0x11a), None, None, None, None, None],
    );
    expect("probe_yield", H::Yield, [None; 6]);
    expect(
        "probe_cap_copy",
        H::CapCopy,
        [
            s(0x114),
            s(0x215),
            s(0x316),
            s(bilby_abi::CAP_RIGHT_USE),
            s(0x5555),
            None,
        ],
    );
    expect(
        "probe_cap_delete",
        H::CapDelete,
        [s(0x115), s(0x216), None, None, None, None],
    );
    expect(
        "probe_io_ports_issue",
        H::IoPortsIssue,
        [s(0x11b), s(0x2170), s(0x21c), s(0x31d), None, None],
    );
    expect(
        "probe_io_port_read",
        H::IoPortRead,
        [s(0x11c), s(0x2070), s(2), None, None, None],
    );
    expect(
        "probe_io_port_write",
        H::IoPortWrite,
        [s(0x11d), s(0x2071), s(4), s(0x4cafe), None, None],
    );
    expect(
        "probe_device_memory_issue",
        H::DeviceMemoryIssue,
        [s(0x11e), s(0xfed0_0000), s(0x21f), s(0x320), None, None],
    );
}

#[test]
fn every_hypercall_has_a_probed_stub() {
    let obj_bytes = c_object();
    let obj = object::File::parse(&*obj_bytes).unwrap();
    for (name, _) in bilby_abi::model::ENUMERATIONS
        .iter()
        .find(|e| e.name == "Hypercall")
        .unwrap()
        .variants
    {
        let c_name = bilby_abi::model::CName::Variant("Hypercall", name).to_string();
        let snake = c_name
            .strip_prefix("BILBY_HYPERCALL_")
            .unwrap()
            .to_ascii_lowercase();
        let probe = format!("probe_{snake}");
        assert!(
            obj.symbols().any(|s| s.name() == Ok(probe.as_str())),
            "hypercalls.h stub for {name} is not probed ({probe})"
        );
    }
}

#[test]
fn results_are_read_back_from_the_documented_registers() {
    // bilby_counters_read returns the six Counters fields from rdi, rsi,
    // rdx, r10, r8, r9 in order; each probe returns one field, so the value
    // moved into rax after the syscall must come from that register.
    let fields = &bilby_abi::model::STRUCTURES
        .iter()
        .find(|s| s.name == "Counters")
        .unwrap()
        .fields;
    assert_eq!(fields.len(), ARGS.len());
    for (field, reg) in fields.iter().zip(ARGS) {
        assert_result_from(&format!("probe_result_{}", field.name), reg);
    }
    // bilby_io_port_read's value is result 0 (ABI 1.1); its probe returns it.
    assert_result_from("probe_io_port_read", Register::RDI);
}

/// Asserts that the first instruction after the probe's `syscall` that
/// writes rax is a `mov` from `reg`: the probe returns the result `reg` held.
fn assert_result_from(probe: &str, reg: Register) {
    let code = function_code(&c_object(), probe);
    let t = trace(&code, probe);
    let to_rax = t
        .after
        .iter()
        .find(|i| {
            i.op_count() > 0
                && i.op0_kind() == OpKind::Register
                && i.op0_register().full_register() == Register::RAX
        })
        .unwrap_or_else(|| panic!("{probe}: nothing moves a result into rax"));
    assert_eq!(to_rax.mnemonic(), Mnemonic::Mov, "{probe}: {to_rax}");
    assert_eq!(
        to_rax.op1_register().full_register(),
        reg,
        "{probe}: {to_rax}"
    );
}
