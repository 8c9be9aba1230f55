//! A root task in Rust: checks the ABI version, reads its boot info, gets
//! the documented errors for bad capabilities, reads the switch counters
//! around a null hypercall, and shuts down. Everything goes through the
//! `bilby-hypercalls` wrappers, whose numbers come from `bilby-abi`.
#![no_std]
#![no_main]

use bilby_hypercalls as hc;
use hc::abi::{BootInfo, Status, BILBY_ABI_MAJOR, BILBY_ABI_MINOR, BOOT_INFO_MAGIC};

// The ABI note every guest image carries (what bilby/hypercalls.h emits for C).
#[repr(C)]
struct AbiNoteSection {
    namesz: u32,
    descsz: u32,
    kind: u32,
    name: [u8; 8],
    desc: hc::abi::AbiNote,
}

#[used]
#[link_section = ".note.bilby.abi"]
static ABI_NOTE: AbiNoteSection = AbiNoteSection {
    namesz: 6,
    descsz: 8,
    kind: hc::abi::ABI_NOTE_TYPE,
    name: *b"Bilby\0\0\0",
    desc: hc::abi::AbiNote {
        major: BILBY_ABI_MAJOR,
        minor: BILBY_ABI_MINOR,
    },
};

core::arch::global_asm!(
    ".section .text.start, \"ax\"",
    ".global _start",
    "_start:",
    "    and rsp, -16",
    "    call {main}",
    "    ud2",
    main = sym rust_main,
);

struct Console(u32);

impl core::fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        hc::debug_write(self.0, s.as_bytes()).map_err(|_| core::fmt::Error)
    }
}

fn check(control: u32, ok: bool, what: &str) {
    if !ok {
        use core::fmt::Write;
        let _ = writeln!(Console(control), "rust: FAIL: {what}");
        let _ = hc::debug_shutdown(control, 1);
    }
}

extern "C" fn rust_main(boot_info: *const BootInfo) -> ! {
    // SAFETY: the kernel maps the boot-info page read-only at this address
    // for the root task's whole life.
    let bi = unsafe { &*boot_info };
    let control = bi.control_cap;
    let mut out = Console(control);
    use core::fmt::Write;
    check(control, bi.magic == BOOT_INFO_MAGIC, "boot info magic");
    let (major, minor) = hc::abi_version().unwrap_or((0, 0));
    check(control, major == BILBY_ABI_MAJOR, "ABI major");
    let _ = writeln!(out, "rust: root task in Rust, kernel ABI {major}.{minor}");
    check(
        control,
        hc::thread_resume(0) == Err(Status::InvalidCapability),
        "slot 0 refused",
    );
    check(
        control,
        hc::thread_resume(control) == Err(Status::WrongCapabilityKind),
        "wrong kind refused",
    );
    let a = hc::counters_read(control);
    let nop = hc::nop();
    let b = hc::counters_read(control);
    let (Ok(a), Ok(b)) = (a, b) else {
        check(control, false, "counters_read");
        stop();
    };
    check(control, nop.is_ok(), "nop");
    let modes = (b.user_to_kernel - a.user_to_kernel) + (b.kernel_to_user - a.kernel_to_user);
    let _ = writeln!(
        out,
        "rust: wrappers work: errors map to Status, counters read ({modes} mode switches around a nop)"
    );
    let _ = hc::debug_shutdown(control, 0);
    stop();
}

/// Gives the CPU away for good (after a shutdown that did not happen).
fn stop() -> ! {
    loop {
        let _ = hc::yield_now();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    stop();
}

/// The memory functions the compiler may call (the host target leaves them
/// to libc, which a guest does not have).
#[no_mangle]
unsafe extern "C" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the C contract of memcpy.
        unsafe { d.add(i).write_volatile(s.add(i).read_volatile()) };
    }
    d
}

#[no_mangle]
unsafe extern "C" fn memmove(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
    if (d as usize) <= (s as usize) {
        // SAFETY: forward copy is correct when d is below s.
        unsafe { memcpy(d, s, n) }
    } else {
        for i in (0..n).rev() {
            // SAFETY: the C contract of memmove.
            unsafe { d.add(i).write_volatile(s.add(i).read_volatile()) };
        }
        d
    }
}

#[no_mangle]
unsafe extern "C" fn memset(d: *mut u8, c: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the C contract of memset.
        unsafe { d.add(i).write_volatile(c as u8) };
    }
    d
}

#[no_mangle]
unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: the C contract of memcmp.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

#[no_mangle]
unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// `core` refers to the unwinding personality; with panic = "abort" it is
/// never called.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
