//! Port I/O devices: the COM1 serial console, the `isa-debug-exit` device,
//! the legacy PIC pair and the PIT; and the accesses user drivers make
//! through I/O-port capabilities, which never name those ports.

use bilby_kernel::ioports::{COM1, DEBUG_EXIT, PIC1, PIC2, PIT, PIT_GATE};
use core::arch::asm;

fn outb(port: u16, value: u8) {
    // SAFETY: callers in this module pass only the fixed ports of the
    // devices above, whose writes cannot affect memory safety.
    unsafe { asm!("out dx, al", in("dx") port, in("al") value, options(nostack, nomem)) };
}

fn inb(port: u16) -> u8 {
    let v: u8;
    // SAFETY: as for outb; reads of these ports have no side effect on memory.
    unsafe { asm!("in al, dx", in("dx") port, out("al") v, options(nostack, nomem)) };
    v
}

/// Reads `width` bytes (1, 2 or 4) from a port a user driver holds an
/// I/O-port capability for (every byte checked against the capability by
/// `bilby_kernel::ioports::access`; `ioports::issue` kept the kernel's own
/// ports out of every such capability).
pub fn user_port_read(port: u16, width: u8) -> u32 {
    let v: u32;
    // SAFETY: an `in`/`out` instruction itself reads and writes no memory;
    // the caller checked the port against the capability, which never names
    // a port of the kernel's own devices. What a device does in turn (DMA,
    // reset) is the power its capability grants: only the holder of the
    // control capability issues them. Each form zero-extends into eax.
    unsafe {
        match width {
            1 => {
                asm!("xor eax, eax", "in al, dx", in("dx") port, out("eax") v, options(nostack, nomem))
            }
            2 => {
                asm!("xor eax, eax", "in ax, dx", in("dx") port, out("eax") v, options(nostack, nomem))
            }
            _ => asm!("in eax, dx", in("dx") port, out("eax") v, options(nostack, nomem)),
        }
    }
    v
}

/// Writes the low `width` bytes (1, 2 or 4) of `value` to a user driver's
/// port (checked as for [`user_port_read`]).
pub fn user_port_write(port: u16, width: u8, value: u32) {
    // SAFETY: as for user_port_read.
    unsafe {
        match width {
            1 => asm!("out dx, al", in("dx") port, in("al") value as u8, options(nostack, nomem)),
            2 => asm!("out dx, ax", in("dx") port, in("ax") value as u16, options(nostack, nomem)),
            _ => asm!("out dx, eax", in("dx") port, in("eax") value, options(nostack, nomem)),
        }
    }
}

/// 115200 baud, 8N1, FIFO on, no interrupts.
pub fn serial_init() {
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x80);
    outb(COM1, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);
    outb(COM1 + 2, 0xC7);
    outb(COM1 + 4, 0x03);
}

/// Writes bytes to COM1, turning `\n` into `\r\n`.
pub fn serial_write(bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            serial_put(b'\r');
        }
        serial_put(b);
    }
}

fn serial_put(b: u8) {
    while inb(COM1 + 5) & 0x20 == 0 {}
    outb(COM1, b);
}

/// Stops QEMU through `isa-debug-exit` (iobase 0xf4): QEMU exits with
/// status `(code << 1) | 1`. Without the device, halts forever.
pub fn debug_exit(code: u32) -> ! {
    // SAFETY: port 0xf4 is the debug-exit device or nothing.
    unsafe { asm!("out dx, eax", in("dx") DEBUG_EXIT, in("eax") code, options(nostack, nomem)) };
    loop {
        // SAFETY: halting with interrupts disabled stops this CPU for good.
        unsafe { asm!("cli; hlt", options(nostack, nomem)) };
    }
}

/// The vector of IRQ 0 after remapping the PICs.
pub const IRQ_BASE: u8 = 32;
/// Number of legacy IRQ lines.
pub const IRQ_LINES: u8 = 16;

/// Remaps the PICs to vectors 32–47, all lines masked.
pub fn pic_init() {
    outb(PIC1, 0x11);
    outb(PIC2, 0x11);
    outb(PIC1 + 1, IRQ_BASE);
    outb(PIC2 + 1, IRQ_BASE + 8);
    outb(PIC1 + 1, 4);
    outb(PIC2 + 1, 2);
    outb(PIC1 + 1, 1);
    outb(PIC2 + 1, 1);
    outb(PIC1 + 1, 0xFB); // all masked but the cascade
    outb(PIC2 + 1, 0xFF);
}

/// Masks or unmasks one IRQ line.
pub fn pic_set_mask(irq: u8, masked: bool) {
    let (port, bit) = if irq < 8 {
        (PIC1 + 1, irq)
    } else {
        (PIC2 + 1, irq - 8)
    };
    let m = inb(port);
    outb(
        port,
        if masked {
            m | (1 << bit)
        } else {
            m & !(1 << bit)
        },
    );
}

/// Acknowledges an IRQ at the PIC(s).
pub fn pic_eoi(irq: u8) {
    if irq >= 8 {
        outb(PIC2, 0x20);
    }
    outb(PIC1, 0x20);
}

/// Whether the PIC reports `irq` as really in service (spurious IRQ 7/15 test).
pub fn pic_in_service(irq: u8) -> bool {
    let (port, bit) = if irq < 8 {
        (PIC1, irq)
    } else {
        (PIC2, irq - 8)
    };
    outb(port, 0x0B);
    inb(port) & (1 << bit) != 0
}

/// The PIT's input clock in Hz.
pub const PIT_HZ: u64 = 1_193_182;

/// Programs PIT channel 0 as a periodic rate generator with `divisor`.
pub fn pit_periodic(divisor: u16) {
    outb(PIT + 3, 0x34);
    outb(PIT, divisor as u8);
    outb(PIT, (divisor >> 8) as u8);
}

/// Programs PIT channel 2 for a one-shot count and returns a closure-free
/// busy wait: waits until `count` PIT ticks have elapsed (for TSC calibration).
pub fn pit_wait(count: u16) {
    // Gate channel 2 on, speaker off.
    let p = inb(PIT_GATE);
    outb(PIT_GATE, (p & !0x02) | 0x01);
    outb(PIT + 3, 0xB0); // channel 2, lobyte/hibyte, mode 0
    outb(PIT + 2, count as u8);
    outb(PIT + 2, (count >> 8) as u8);
    while inb(PIT_GATE) & 0x20 == 0 {}
}
