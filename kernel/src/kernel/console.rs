//! The kernel console on COM1: formatted output, the panic and fault
//! reports, and the exit codes QEMU sees.

use crate::arch;
use core::fmt::{self, Write};

use bilby_kernel::exit::KERNEL_PANIC as EXIT_KERNEL_PANIC;

/// A `fmt::Write` sink for the serial port.
#[derive(Debug)]
pub struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        arch::io::serial_write(s.as_bytes());
        Ok(())
    }
}

/// A number printed in decimal by the kernel's own code: the precompiled
/// `core` formats integers with SSE instructions, which the kernel must not
/// run (see xtask's kernel build flags), so kernel messages never format
/// integers through `core`.
#[derive(Clone, Copy, Debug)]
pub struct Dec(pub u64);

/// A number printed as `0x…` hexadecimal by the kernel's own code (see [`Dec`]).
#[derive(Clone, Copy, Debug)]
pub struct Hex(pub u64);

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut v = self.0;
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        f.write_str(core::str::from_utf8(&buf[i..]).unwrap_or("?"))
    }
}

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 18];
        let mut i = buf.len();
        let mut v = self.0;
        loop {
            i -= 1;
            let d = (v & 0xf) as u8;
            buf[i] = if d < 10 { b'0' + d } else { b'a' + d - 10 };
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        i -= 2;
        buf[i] = b'0';
        buf[i + 1] = b'x';
        f.write_str(core::str::from_utf8(&buf[i..]).unwrap_or("?"))
    }
}

/// Prints a line to the kernel console, prefixed with `bilby: `.
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::kernel::console::Console, "bilby: {}", format_args!($($arg)*));
    }};
}
pub(crate) use kprintln;

/// Reports a kernel panic and stops the machine.
pub fn panic(info: &core::panic::PanicInfo) -> ! {
    match info.location() {
        Some(l) => kprintln!(
            "KERNEL PANIC at {}:{}: {}",
            l.file(),
            Dec(u64::from(l.line())),
            info.message()
        ),
        None => kprintln!("KERNEL PANIC: {}", info.message()),
    }
    arch::io::debug_exit(EXIT_KERNEL_PANIC)
}

/// Reports a CPU exception taken in kernel mode and stops the machine.
pub fn kernel_fault(vector: u64, error: u64, rip: u64, rsp: u64, cr2: u64) -> ! {
    kprintln!(
        "KERNEL PANIC: exception {} in kernel mode, error {}, rip {}, rsp {}, cr2 {}",
        Dec(vector),
        Hex(error),
        Hex(rip),
        Hex(rsp),
        Hex(cr2)
    );
    arch::io::debug_exit(EXIT_KERNEL_PANIC)
}
