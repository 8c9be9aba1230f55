//! Boot: the memory map, the pools, the timer, and the root task and boot
//! modules loaded from the boot bundle (QEMU's one PVH module), with the
//! boot-info page and the root's capabilities.
//!
//! The root task gets every capability: its own task and thread, the
//! control capability, the IRQ lines, a Memory capability per free region
//! and, per module, the module's task, its stopped thread and its image.

use super::console::{kprintln, Dec, Hex};
use super::memory::{self, PoolKind};
use super::{cspace, objects, sched, Kernel};
use crate::arch;
use bilby_abi::{
    abi_version_major, abi_version_minor, BootInfo, BootModule, CapKind, MemoryKind, MemoryRegion,
    Status, BOOT_INFO_MAGIC, BOOT_MAX_MEMORY_REGIONS, BOOT_MAX_MODULES, CAP_RIGHTS_ALL, PAGE_SIZE,
    RIGHT_READ, RIGHT_WRITE,
};
use bilby_kernel::cap::Cap;
use bilby_kernel::elf::{self, ElfError};
use bilby_kernel::exit::BAD_ROOT as EXIT_BAD_ROOT;
use bilby_kernel::frames::Ranges;
use bilby_kernel::{bundle, device, pvh};
use core::mem::{offset_of, size_of};

/// Top of the initial stack of every loaded image.
pub const STACK_TOP: u64 = 0x0000_7fff_fff0_0000;
/// Pages of the initial stack.
pub const STACK_PAGES: u64 = 16;
/// The UTCB of every loaded image's first thread.
pub const UTCB_VADDR: u64 = 0x0000_7fff_fffe_0000;
/// Where the root task finds its boot-info page (also in `rdi` at start).
pub const BOOT_INFO_VADDR: u64 = 0x0000_7fff_ffff_0000;
/// Timer interrupt rate.
pub const TICK_HZ: u64 = 100;

/// Root capability space layout.
pub const SLOT_SELF_TASK: u32 = 1;
/// The root thread's own capability.
pub const SLOT_SELF_THREAD: u32 = 2;
/// The control capability.
pub const SLOT_CONTROL: u32 = 3;
/// IRQ n is at `SLOT_IRQ_BASE + n`.
pub const SLOT_IRQ_BASE: u32 = 4;

const MAX_RANGES: usize = 32;

/// Boots: called once on the kernel stack.
pub fn boot(k: &mut Kernel, start_info_pa: u64) -> ! {
    kprintln!(
        "Bilby microkernel, ABI {}.{}",
        Dec(bilby_abi::BILBY_ABI_MAJOR.into()),
        Dec(bilby_abi::BILBY_ABI_MINOR.into())
    );
    k.features = arch::cpu::init();
    let f = k.features;
    kprintln!(
        "cpu: nx {} smep {} smap {} pcid {}",
        Dec(u64::from(f.nx)),
        Dec(u64::from(f.smep)),
        Dec(u64::from(f.smap)),
        Dec(u64::from(f.pcid))
    );
    let si = match pvh::parse_start_info(arch::phys::slice(
        start_info_pa,
        pvh::START_INFO_SIZE as u64,
    )) {
        Ok(si) => si,
        Err(pvh::StartInfoError::BadMagic(m)) => panic!(
            "bad PVH start info at {}: magic {}",
            Hex(start_info_pa),
            Hex(u64::from(m))
        ),
        Err(e) => panic!("bad PVH start info at {}: {e:?}", Hex(start_info_pa)),
    };
    let bundle_range = (si.nr_modules > 0).then(|| {
        let mut b = [0u8; pvh::MODLIST_ENTRY_SIZE];
        arch::phys::read_bytes(si.modlist_paddr, &mut b);
        let m = pvh::parse_module(&b);
        (m.paddr, m.size)
    });

    // Free RAM: above 1 MiB, minus the kernel image and the bundle.
    let (kstart, kend) = arch::kernel_image_range();
    let mut reserved = [(kstart, kend), (0, 0)];
    if let Some((b, len)) = bundle_range {
        reserved[1] = (
            b & !(PAGE_SIZE - 1),
            (b + len + PAGE_SIZE - 1) & !(PAGE_SIZE - 1),
        );
    }
    let mut ranges = Ranges::<MAX_RANGES>::new();
    for i in 0..u64::from(si.memmap_entries) {
        let mut b = [0u8; pvh::MEMMAP_ENTRY_SIZE];
        arch::phys::read_bytes(si.memmap_paddr + i * pvh::MEMMAP_ENTRY_SIZE as u64, &mut b);
        let e = pvh::parse_memory_entry(&b);
        if e.kind == pvh::MEMMAP_RAM {
            // Whole pages already: add_ram keeps the range as it is.
            let (start, end) = device::ram_pages(e.addr, e.size);
            k.firmware_ram.add_ram(start, end, 0, &[]);
            let end = e
                .addr
                .saturating_add(e.size)
                .min(arch::phys::DIRECT_MAP_SIZE);
            ranges.add_ram(e.addr, end, 0x10_0000, &reserved);
        }
    }
    for &(s, e) in ranges.as_slice() {
        if memory::add_pool(k, PoolKind::Free, s, e).is_none() {
            break;
        }
    }
    kprintln!(
        "memory: {} KiB free above 1 MiB in {} regions",
        Dec(ranges.total() / 1024),
        Dec(ranges.as_slice().len() as u64)
    );

    arch::io::pic_init();
    let divisor = arch::io::PIT_HZ / TICK_HZ;
    arch::io::pit_periodic(divisor as u16);
    k.tick_ns = divisor * 1_000_000_000 / arch::io::PIT_HZ;
    arch::io::pic_set_mask(0, false);

    let Some((bpa, blen)) = bundle_range else {
        kprintln!("no boot bundle (no -initrd): nothing to run");
        kprintln!("boot complete");
        arch::io::debug_exit(0);
    };
    let data = arch::phys::slice(bpa, blen);
    let mut files = [None; 1 + BOOT_MAX_MODULES as usize];
    let mut nfiles = 0;
    for f in bundle::files(data) {
        match f {
            Ok(f) if nfiles < files.len() => {
                files[nfiles] = Some(f);
                nfiles += 1;
            }
            Ok(f) => kprintln!(
                "boot bundle: too many modules, {} ignored",
                core::str::from_utf8(f.name).unwrap_or("?")
            ),
            Err(e) => {
                let (what, at) = match e {
                    bundle::BundleError::BadHeader(at) => ("bad header", at),
                    bundle::BundleError::BadField(at) => ("bad header field", at),
                    bundle::BundleError::Truncated(at) => ("truncated entry", at),
                };
                kprintln!(
                    "boot bundle is malformed: {} at byte {}",
                    what,
                    Dec(at as u64)
                );
                arch::io::debug_exit(EXIT_BAD_ROOT);
            }
        }
    }
    let Some(root_file) = files[0] else {
        kprintln!("boot bundle is empty: no root task");
        arch::io::debug_exit(EXIT_BAD_ROOT);
    };
    let pool = largest_pool(k);
    // Parse from a page-aligned copy: the bundle only aligns files to 4 bytes.
    let Some((copy, pages)) = copy_aligned(k, pool, root_file.data) else {
        kprintln!("no memory for the root task's image");
        arch::io::debug_exit(EXIT_BAD_ROOT);
    };
    let loaded = load(
        k,
        pool,
        arch::phys::slice(copy, root_file.data.len() as u64),
        2,
    );
    for i in 0..pages {
        memory::free_frame(k, copy + i * PAGE_SIZE);
    }
    let (root_task, root_thread, root_image) = match loaded {
        Ok(v) => v,
        Err(e) => {
            report_refusal(root_file.name, &e);
            kprintln!("cannot start without a root task");
            arch::io::debug_exit(EXIT_BAD_ROOT);
        }
    };
    kprintln!(
        "root task {} loaded: entry {}, ABI {}.{}",
        core::str::from_utf8(root_file.name).unwrap_or("?"),
        Hex(root_image.entry),
        Dec(u64::from(abi_version_major(root_image.abi_version))),
        Dec(u64::from(abi_version_minor(root_image.abi_version)))
    );

    let mut info = BootInfoBuilder::new();
    let give = |k: &mut Kernel, slot: u32, kind: CapKind, object: u32| {
        let c = Cap {
            kind,
            rights: CAP_RIGHTS_ALL as u8,
            object,
            badge: 0,
        };
        if let Err(e) = cspace::insert(k, root_task, u64::from(slot), c) {
            panic!("root capability {}: {e:?}", Dec(u64::from(slot)));
        }
    };
    give(k, SLOT_SELF_TASK, CapKind::Task, u32::from(root_task));
    give(k, SLOT_SELF_THREAD, CapKind::Thread, u32::from(root_thread));
    give(k, SLOT_CONTROL, CapKind::Control, 0);
    for irq in 0..super::IRQ_LINES as u32 {
        give(k, SLOT_IRQ_BASE + irq, CapKind::Irq, irq);
    }
    let mut next_slot = SLOT_IRQ_BASE + super::IRQ_LINES as u32;
    info.region(kstart, kend - kstart, MemoryKind::Kernel, 0);
    if let Some((b, len)) = bundle_range {
        info.region(b, len, MemoryKind::Reserved, 0);
    }

    // Modules: each a task with a stopped thread, and its image.
    let mut modules = 0;
    for f in files[1..nfiles].iter().flatten() {
        let mut m = BootModule::default();
        let n = f.name.len().min(m.name.len() - 1);
        m.name[..n].copy_from_slice(&f.name[..n]);
        m.image_size = f.data.len() as u64;
        // The raw image, loadable or not (a personality may load it itself),
        // in page-aligned frames the loader also parses it from.
        let image = copy_image(k, pool, f.data);
        let data = match image {
            Some(p) => arch::phys::slice(k.pools[p as usize].base, f.data.len() as u64),
            None => f.data,
        };
        if let Some(p) = image {
            m.image_cap = next_slot;
            give(k, next_slot, CapKind::Memory, u32::from(p));
            let pl = k.pools[p as usize];
            info.region(pl.base, pl.end - pl.base, MemoryKind::Module, next_slot);
            next_slot += 1;
        }
        match load(k, pool, data, 0) {
            Ok((task, thread, image)) => {
                m.task_cap = next_slot;
                m.thread_cap = next_slot + 1;
                give(k, next_slot, CapKind::Task, u32::from(task));
                give(k, next_slot + 1, CapKind::Thread, u32::from(thread));
                next_slot += 2;
                m.entry = image.entry;
                m.stack_pointer = STACK_TOP;
                m.utcb = UTCB_VADDR;
                m.abi_version = image.abi_version;
                m.status = Status::Ok as u32;
                kprintln!(
                    "module {} loaded as task {}, thread {} (stopped)",
                    core::str::from_utf8(f.name).unwrap_or("?"),
                    Dec(u64::from(task)),
                    Dec(u64::from(thread))
                );
            }
            Err(e) => {
                report_refusal(f.name, &e);
                m.status = match e {
                    LoadError::Elf(ElfError::IncompatibleAbi(..)) => Status::IncompatibleAbi,
                    LoadError::Elf(_) => Status::InvalidArgument,
                    LoadError::Kernel(s) => s,
                } as u32;
            }
        }
        info.module(modules, &m);
        modules += 1;
    }

    // Memory capabilities for the free pools (after boot's own use).
    for p in 0..k.pools.len() {
        let pl = k.pools[p];
        if pl.alive && pl.kind == PoolKind::Free {
            give(k, next_slot, CapKind::Memory, p as u32);
            info.region(pl.base, pl.end - pl.base, MemoryKind::Free, next_slot);
            next_slot += 1;
        }
    }

    info.set_u32(offset_of!(BootInfo, self_task), SLOT_SELF_TASK);
    info.set_u32(offset_of!(BootInfo, self_thread), SLOT_SELF_THREAD);
    info.set_u32(offset_of!(BootInfo, control_cap), SLOT_CONTROL);
    info.set_u32(offset_of!(BootInfo, irq_cap_base), SLOT_IRQ_BASE);
    info.set_u32(offset_of!(BootInfo, irq_count), super::IRQ_LINES as u32);
    info.set_u32(offset_of!(BootInfo, first_free_slot), next_slot);
    info.set_u32(offset_of!(BootInfo, module_count), modules);
    info.set_u64(offset_of!(BootInfo, tsc_hz), calibrate_tsc());
    info.set_u64(offset_of!(BootInfo, utcb), UTCB_VADDR);
    let frame = memory::alloc_frame(k, pool).unwrap_or_else(|e| panic!("boot info frame: {e:?}"));
    arch::phys::write_bytes(frame, &info.bytes);
    let root = k.tasks[root_task as usize].root;
    let table_pool = k.tasks[root_task as usize].pool;
    memory::map_page(k, root, table_pool, BOOT_INFO_VADDR, frame, RIGHT_READ)
        .unwrap_or_else(|e| panic!("boot info mapping: {e:?}"));

    k.threads[root_thread as usize].frame.regs.rdi = BOOT_INFO_VADDR;
    sched::make_ready(k, root_thread);
    kprintln!("boot complete; starting the root task");
    sched::choose(k);
    sched::activate(k);
    k.counters.kernel_to_user += 1;
    arch::enter_user()
}

/// Why an image was not loaded.
#[derive(Clone, Copy, Debug)]
pub enum LoadError {
    /// The ELF checks failed.
    Elf(ElfError),
    /// Out of memory or tables.
    Kernel(Status),
}

/// Numbers go through `Dec` and `Hex`: `core` formats them with SSE (see
/// `console::Dec`).
fn report_refusal(name: &[u8], e: &LoadError) {
    let name = core::str::from_utf8(name).unwrap_or("?");
    match e {
        LoadError::Elf(ElfError::IncompatibleAbi(major, minor)) => kprintln!(
            "module {name} refused: built for ABI {}.{}, this kernel provides ABI {}.{} (major versions differ)",
            Dec(u64::from(*major)),
            Dec(u64::from(*minor)),
            Dec(u64::from(bilby_abi::BILBY_ABI_MAJOR)),
            Dec(u64::from(bilby_abi::BILBY_ABI_MINOR))
        ),
        LoadError::Elf(ElfError::Malformed) => {
            kprintln!("module {name} refused: not a well-formed ELF64 file (truncated or bad header)")
        }
        LoadError::Elf(ElfError::WrongMachine(m)) => {
            kprintln!("module {name} refused: ELF machine {} is not x86_64", Dec(u64::from(*m)))
        }
        LoadError::Elf(ElfError::MissingNote) => {
            kprintln!("module {name} refused: no Bilby ABI note (build it with bilby/hypercalls.h)")
        }
        LoadError::Elf(ElfError::BadNote) => {
            kprintln!("module {name} refused: malformed Bilby ABI note")
        }
        LoadError::Elf(ElfError::NotExecutable(t)) => {
            kprintln!("module {name} refused: ELF type {} is not a static executable", Dec(u64::from(*t)))
        }
        LoadError::Elf(ElfError::BadSegmentCount) => kprintln!(
            "module {name} refused: no loadable segment, or more than {}",
            Dec(elf::MAX_SEGMENTS as u64)
        ),
        LoadError::Elf(ElfError::BadSegment(va)) => kprintln!(
            "module {name} refused: the segment at {} lies outside user space or the file",
            Hex(*va)
        ),
        LoadError::Elf(ElfError::BadEntry(entry)) => kprintln!(
            "module {name} refused: entry point {} is in no executable segment",
            Hex(*entry)
        ),
        LoadError::Elf(ElfError::Dynamic(what)) => kprintln!(
            "module {name} refused: it has a {what} segment (dynamically linked); link it statically"
        ),
        LoadError::Kernel(s) => kprintln!("module {name} refused: out of kernel resources ({s:?})"),
    }
}

/// Loads an ELF image as a new task with one stopped thread whose UTCB
/// names `self_slot` as its own capability.
fn load(
    k: &mut Kernel,
    pool: u16,
    data: &[u8],
    self_slot: u64,
) -> Result<(u16, u16, elf::Image), LoadError> {
    let image = elf::check(data).map_err(LoadError::Elf)?;
    let task = objects::create_task(k, pool).map_err(LoadError::Kernel)?;
    let result = populate(k, pool, task, data, &image, self_slot);
    match result {
        Ok(thread) => Ok((task, thread, image)),
        Err(e) => {
            objects::destroy_task(k, task);
            Err(LoadError::Kernel(e))
        }
    }
}

fn populate(
    k: &mut Kernel,
    pool: u16,
    task: u16,
    data: &[u8],
    image: &elf::Image,
    self_slot: u64,
) -> Result<u16, Status> {
    let root = k.tasks[task as usize].root;
    for s in &image.segments[..image.count] {
        let mut rights = RIGHT_READ;
        if s.write {
            rights |= RIGHT_WRITE;
        }
        if s.execute {
            rights |= bilby_abi::RIGHT_EXECUTE;
        }
        let first = s.vaddr & !(PAGE_SIZE - 1);
        let end = (s.vaddr + s.memsz + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
        let mut va = first;
        while va < end {
            let frame = match memory::lookup(root, va) {
                Some(l) => l.frame,
                None => {
                    let f = memory::alloc_frame(k, pool)?;
                    map_root(k, task, va, f, rights)?;
                    f
                }
            };
            // The part of the file data that falls into this page.
            let lo = s.vaddr.max(va);
            let hi = (s.vaddr + s.filesz).min(va + PAGE_SIZE);
            if lo < hi {
                let off = (s.offset + (lo - s.vaddr)) as usize;
                arch::phys::write_bytes(frame + (lo - va), &data[off..off + (hi - lo) as usize]);
            }
            va += PAGE_SIZE;
        }
    }
    for i in 0..STACK_PAGES {
        let f = memory::alloc_frame(k, pool)?;
        map_root(
            k,
            task,
            STACK_TOP - (i + 1) * PAGE_SIZE,
            f,
            RIGHT_READ | RIGHT_WRITE,
        )?;
    }
    let utcb = memory::alloc_frame(k, pool)?;
    map_root(k, task, UTCB_VADDR, utcb, RIGHT_READ | RIGHT_WRITE)?;
    arch::phys::write_u64(utcb, u64::from(bilby_abi::BILBY_ABI_VERSION));
    arch::phys::write_u64(utcb + 8, self_slot);
    let thread = objects::create_thread(k, pool, task, UTCB_VADDR)?;
    let regs = &mut k.threads[thread as usize].frame.regs;
    regs.rip = image.entry;
    regs.rsp = STACK_TOP;
    regs.rsi = UTCB_VADDR;
    Ok(thread)
}

/// Maps a fresh frame at `va` as a root mapping (unmapping it frees the
/// frame); on failure the frame goes back to its pool.
fn map_root(k: &mut Kernel, task: u16, va: u64, frame: u64, rights: u64) -> Result<(), Status> {
    let root = k.tasks[task as usize].root;
    let pool = k.tasks[task as usize].pool;
    super::syscalls::map_recorded(k, root, pool, task, va, frame, rights, None)
        .inspect_err(|_| memory::free_frame(k, frame))
}

/// Copies a module's raw image into fresh contiguous frames and makes them
/// a module pool (what the module's image capability maps).
fn copy_image(k: &mut Kernel, pool: u16, data: &[u8]) -> Option<u16> {
    let (base, pages) = copy_aligned(k, pool, data)?;
    memory::add_pool(k, PoolKind::Module, base, base + pages * PAGE_SIZE)
}

/// Copies bytes into fresh contiguous frames (from the pool's bump range);
/// returns (base, pages).
fn copy_aligned(k: &mut Kernel, pool: u16, data: &[u8]) -> Option<(u64, u64)> {
    let pages = (data.len() as u64).div_ceil(PAGE_SIZE).max(1);
    let base = memory::alloc_contiguous(k, pool, pages)?;
    arch::phys::zero(base, pages * PAGE_SIZE);
    arch::phys::write_bytes(base, data);
    Some((base, pages))
}

fn largest_pool(k: &Kernel) -> u16 {
    let mut best = 0;
    for (i, p) in k.pools.iter().enumerate() {
        if p.alive && p.end - p.base > k.pools[best].end - k.pools[best].base {
            best = i;
        }
    }
    best as u16
}

/// TSC ticks per second, measured against 10 ms of the PIT.
fn calibrate_tsc() -> u64 {
    let count = (arch::io::PIT_HZ / 100) as u16;
    let t0 = arch::cpu::rdtsc();
    arch::io::pit_wait(count);
    let t1 = arch::cpu::rdtsc();
    (t1 - t0) * 100
}

/// The boot-info page, assembled field by field at the ABI's offsets.
struct BootInfoBuilder {
    bytes: [u8; PAGE_SIZE as usize],
    regions: u32,
}

impl BootInfoBuilder {
    fn new() -> Self {
        let mut b = BootInfoBuilder {
            bytes: [0; PAGE_SIZE as usize],
            regions: 0,
        };
        b.set_u64(offset_of!(BootInfo, magic), BOOT_INFO_MAGIC);
        b.set_u32(offset_of!(BootInfo, version), bilby_abi::BILBY_ABI_VERSION);
        b.set_u32(offset_of!(BootInfo, size), size_of::<BootInfo>() as u32);
        b
    }
    fn set_u32(&mut self, at: usize, v: u32) {
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn set_u64(&mut self, at: usize, v: u64) {
        self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }
    fn region(&mut self, base: u64, size: u64, kind: MemoryKind, cap: u32) {
        if self.regions >= BOOT_MAX_MEMORY_REGIONS {
            return;
        }
        let at = offset_of!(BootInfo, memory) + self.regions as usize * size_of::<MemoryRegion>();
        self.set_u64(at + offset_of!(MemoryRegion, base), base);
        self.set_u64(at + offset_of!(MemoryRegion, size), size);
        self.set_u32(at + offset_of!(MemoryRegion, kind), kind as u32);
        self.set_u32(at + offset_of!(MemoryRegion, cap), cap);
        self.regions += 1;
        self.set_u32(offset_of!(BootInfo, memory_region_count), self.regions);
    }
    fn module(&mut self, index: u32, m: &BootModule) {
        let at = offset_of!(BootInfo, modules) + index as usize * size_of::<BootModule>();
        self.bytes[at..at + m.name.len()].copy_from_slice(&m.name);
        self.set_u32(at + offset_of!(BootModule, task_cap), m.task_cap);
        self.set_u32(at + offset_of!(BootModule, thread_cap), m.thread_cap);
        self.set_u32(at + offset_of!(BootModule, image_cap), m.image_cap);
        self.set_u32(at + offset_of!(BootModule, status), m.status);
        self.set_u64(at + offset_of!(BootModule, image_size), m.image_size);
        self.set_u64(at + offset_of!(BootModule, entry), m.entry);
        self.set_u64(at + offset_of!(BootModule, stack_pointer), m.stack_pointer);
        self.set_u64(at + offset_of!(BootModule, utcb), m.utcb);
        self.set_u32(at + offset_of!(BootModule, abi_version), m.abi_version);
    }
}
