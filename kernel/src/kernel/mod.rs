//! The kernel proper, above the arch layer: safe Rust only.

pub mod console;
pub mod trap;

use crate::arch;
use bilby_kernel::pvh;
use console::{kprintln, Dec, Hex};

/// Everything the kernel knows, in one place (there is one CPU).
#[derive(Debug)]
pub struct Kernel {
    /// Whether boot has finished.
    pub booted: bool,
}

impl Kernel {
    /// The state before boot.
    pub const fn new() -> Kernel {
        Kernel { booted: false }
    }
}

/// Boots the kernel: called once by the arch layer on the kernel stack.
pub fn boot(k: &mut Kernel, start_info_pa: u64) -> ! {
    kprintln!(
        "Bilby microkernel, ABI {}.{}",
        Dec(bilby_abi::BILBY_ABI_MAJOR.into()),
        Dec(bilby_abi::BILBY_ABI_MINOR.into())
    );
    let features = arch::cpu::init();
    kprintln!("cpu: {features:?}");
    let si = match pvh::parse_start_info(arch::phys::slice(
        start_info_pa,
        pvh::START_INFO_SIZE as u64,
    )) {
        Ok(si) => si,
        Err(e) => panic!("bad PVH start info at {}: {e:?}", Hex(start_info_pa)),
    };
    for i in 0..u64::from(si.memmap_entries) {
        let mut b = [0u8; pvh::MEMMAP_ENTRY_SIZE];
        arch::phys::read_bytes(si.memmap_paddr + i * pvh::MEMMAP_ENTRY_SIZE as u64, &mut b);
        let e = pvh::parse_memory_entry(&b);
        kprintln!(
            "memory: {}..{} type {}",
            Hex(e.addr),
            Hex(e.addr + e.size),
            Dec(e.kind.into())
        );
    }
    for i in 0..u64::from(si.nr_modules) {
        let mut b = [0u8; pvh::MODLIST_ENTRY_SIZE];
        arch::phys::read_bytes(
            si.modlist_paddr + i * pvh::MODLIST_ENTRY_SIZE as u64,
            &mut b,
        );
        let m = pvh::parse_module(&b);
        kprintln!("module: {} size {}", Hex(m.paddr), Dec(m.size));
    }
    k.booted = true;
    kprintln!("boot complete");
    arch::io::debug_exit(0)
}
