//! The kernel proper, above the arch layer: safe Rust only.
//!
//! All state is in one [`Kernel`] value (one CPU, interrupts disabled in the
//! kernel, one kernel stack, no continuations): fixed tables of tasks,
//! threads, endpoints and memory pools, the ready queues and the counters.
//! Every entry runs to completion and leaves `current` naming the thread to
//! resume. Kernel objects cost their creator frames from a Memory
//! capability's pool (root tables, capability pages, page tables, a frame
//! per thread); nothing is allocated after boot from anywhere else.

pub mod console;
pub mod cspace;
pub mod invariants;
pub mod ipc;
pub mod loader;
pub mod memory;
pub mod objects;
pub mod sched;
pub mod syscalls;
pub mod trap;

use crate::arch::{self, ThreadFrame};
use bilby_abi::{Counters, ThreadMode};
use bilby_kernel::cap::PAGES_PER_SPACE;
use bilby_kernel::frames::Ranges;
use bilby_kernel::mapdb::MapDb;
use bilby_kernel::queue::{Link, Queue, ReadyQueues, NONE};
use memory::Pool;

/// Task table size.
pub const MAX_TASKS: usize = 64;
/// Thread table size.
pub const MAX_THREADS: usize = 256;
/// Endpoint table size.
pub const MAX_ENDPOINTS: usize = 256;
/// Memory pool table size.
pub const MAX_POOLS: usize = 48;
/// Firmware RAM ranges remembered for the device-memory check.
pub const MAX_FIRMWARE_RAM: usize = 32;
/// Mapping database capacity (user pages mapped at once, all tasks).
pub const MAX_MAPPINGS: usize = 32768;
/// Mapping database hash buckets.
pub const MAPPING_BUCKETS: usize = 8192;
/// Legacy IRQ lines offered to user space (0 is the kernel's timer).
pub const IRQ_LINES: usize = 16;

/// A task: an address space and a capability space.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    /// In use.
    pub alive: bool,
    /// Physical address of the root page table.
    pub root: u64,
    /// Physical addresses of the capability pages (0: not yet allocated).
    pub cspace: [u64; PAGES_PER_SPACE],
    /// The pool that pays for its page tables and capability pages.
    pub pool: u16,
}

impl Task {
    const EMPTY: Task = Task {
        alive: false,
        root: 0,
        cspace: [0; PAGES_PER_SPACE],
        pool: 0,
    };
}

/// Where a thread's exceptions or page faults go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port {
    /// Endpoint index.
    pub endpoint: u16,
    /// The badge the handler receives.
    pub badge: u64,
}

/// What a thread is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Created, suspended, or stopped after an exception nobody resumed.
    Inactive,
    /// In the ready queue.
    Ready,
    /// On the CPU (`Kernel::current`).
    Running,
    /// Queued on an endpoint to send (or call).
    BlockedSend(u16),
    /// Queued on an endpoint to receive.
    BlockedRecv(u16),
    /// Waiting for the reply to a call (or to an exception message).
    BlockedReply,
}

/// A pending exception message: set while the thread waits for its handler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exception {
    /// An `ExceptionKind` label, 0 if none is pending.
    pub label: u32,
    /// The vector.
    pub vector: u32,
    /// The error code.
    pub error_code: u64,
    /// The fault address.
    pub fault_address: u64,
}

/// A thread.
#[derive(Clone, Copy, Debug)]
pub struct Thread {
    /// In use.
    pub alive: bool,
    /// Its task.
    pub task: u16,
    /// Saved user registers and SSE state.
    pub frame: ThreadFrame,
    /// Scheduling and IPC state.
    pub state: State,
    /// Priority, 0 (lowest) to 255.
    pub priority: u8,
    /// Native (hypercalls) or virtualized (syscalls become exception IPC).
    pub mode: ThreadMode,
    /// Exception handler.
    pub handler: Option<Port>,
    /// Page-fault handler.
    pub pager: Option<Port>,
    /// UTCB address in its task.
    pub utcb: u64,
    /// The caller this thread owes a reply, or NONE.
    pub reply_to: u16,
    /// While queued to send: the badge of the capability used.
    pub send_badge: u64,
    /// While queued to send: whether it waits for a reply (call).
    pub send_is_call: bool,
    /// The exception it is reporting, if any.
    pub exception: Exception,
    /// The frame its creator paid.
    pub paid_frame: u64,
    /// Cached physical address of the UTCB (see `utcb_generation`).
    pub utcb_pa: u64,
    /// One more than the unmap generation the cache was filled in (0: never
    /// filled; `ipc::utcb_phys`).
    pub utcb_generation: u64,
}

impl Thread {
    const EMPTY: Thread = Thread {
        alive: false,
        task: 0,
        frame: ThreadFrame::EMPTY,
        state: State::Inactive,
        priority: 0,
        mode: ThreadMode::Native,
        handler: None,
        pager: None,
        utcb: 0,
        reply_to: NONE,
        send_badge: 0,
        send_is_call: false,
        exception: Exception {
            label: 0,
            vector: 0,
            error_code: 0,
            fault_address: 0,
        },
        paid_frame: 0,
        utcb_pa: 0,
        utcb_generation: 0,
    };
}

/// An IPC endpoint: queues of waiting senders and receivers, and pending
/// interrupt/timer notifications.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    /// In use.
    pub alive: bool,
    /// Threads waiting to send.
    pub senders: Queue,
    /// Threads waiting to receive.
    pub receivers: Queue,
}

impl Endpoint {
    const EMPTY: Endpoint = Endpoint {
        alive: false,
        senders: Queue::EMPTY,
        receivers: Queue::EMPTY,
    };
}

/// An interrupt line's binding.
#[derive(Clone, Copy, Debug)]
pub struct Irq {
    /// The endpoint its messages go to.
    pub port: Option<Port>,
    /// Arrived but not yet delivered.
    pub pending: bool,
}

/// The kernel timer that user space set with `TimerSet`.
#[derive(Clone, Copy, Debug)]
pub struct UserTimer {
    /// Where ticks go.
    pub port: Option<Port>,
    /// Period in kernel ticks (0: off).
    pub period_ticks: u64,
    /// The tick at which it fires next.
    pub next_tick: u64,
    /// Repeat.
    pub periodic: bool,
    /// Fired but not yet delivered.
    pub pending: bool,
}

/// Everything the kernel knows.
#[derive(Debug)]
pub struct Kernel {
    /// Tasks.
    pub tasks: [Task; MAX_TASKS],
    /// Threads.
    pub threads: [Thread; MAX_THREADS],
    /// Queue links of the threads.
    pub links: [Link; MAX_THREADS],
    /// Endpoints.
    pub endpoints: [Endpoint; MAX_ENDPOINTS],
    /// Memory pools.
    pub pools: [Pool; MAX_POOLS],
    /// The RAM the firmware reported, `[start, end)` rounded outward to
    /// whole pages: device memory may overlap none of it (and none is
    /// issued if a range was dropped for want of room).
    pub firmware_ram: Ranges<MAX_FIRMWARE_RAM>,
    /// IRQ lines.
    pub irqs: [Irq; IRQ_LINES],
    /// The user timer.
    pub timer: UserTimer,
    /// Whether some IRQ or timer message may be pending (receives skip the
    /// scan when not).
    pub notifications_pending: bool,
    /// Ready threads.
    pub ready: ReadyQueues,
    /// The running thread, or NONE while idle.
    pub current: u16,
    /// The root table loaded in CR3.
    pub loaded_root: u64,
    /// The thread whose segment bases are loaded.
    pub loaded_thread: u16,
    /// The FS base loaded in the MSR.
    pub loaded_fs: u64,
    /// The GS base loaded in the MSR.
    pub loaded_gs: u64,
    /// Which mappings derive from which.
    pub mapdb: MapDb<MAX_MAPPINGS, MAPPING_BUCKETS>,
    /// Per task: its PCID may hold stale TLB entries (an unmap happened while
    /// it was not loaded, or the PCID is new); the next load flushes them.
    pub tlb_stale: [bool; MAX_TASKS],
    /// Bumped by every unmap: invalidates cached UTCB addresses.
    pub unmap_generation: u64,
    /// Per-CPU event counters.
    pub counters: Counters,
    /// Timer ticks since boot.
    pub ticks: u64,
    /// How often the invariants were checked (every tick).
    pub invariant_checks: u64,
    /// Nanoseconds per tick.
    pub tick_ns: u64,
    /// CPU features.
    pub features: arch::cpu::Features,
}

impl Kernel {
    /// The state before boot.
    pub const fn new() -> Kernel {
        Kernel {
            tasks: [Task::EMPTY; MAX_TASKS],
            threads: [Thread::EMPTY; MAX_THREADS],
            links: [Link::UNLINKED; MAX_THREADS],
            endpoints: [Endpoint::EMPTY; MAX_ENDPOINTS],
            pools: [Pool::EMPTY; MAX_POOLS],
            firmware_ram: Ranges::new(),
            irqs: [Irq {
                port: None,
                pending: false,
            }; IRQ_LINES],
            timer: UserTimer {
                port: None,
                period_ticks: 0,
                next_tick: 0,
                periodic: false,
                pending: false,
            },
            notifications_pending: false,
            ready: ReadyQueues::new(),
            mapdb: MapDb::new(),
            tlb_stale: [true; MAX_TASKS],
            unmap_generation: 0,
            current: NONE,
            loaded_root: 0,
            loaded_thread: NONE,
            loaded_fs: 0,
            loaded_gs: 0,
            counters: Counters {
                user_to_kernel: 0,
                kernel_to_user: 0,
                address_space_switches: 0,
                exception_ipcs: 0,
                ipc_messages: 0,
                hypercalls: 0,
            },
            ticks: 0,
            invariant_checks: 0,
            tick_ns: 0,
            features: arch::cpu::Features {
                nx: false,
                smep: false,
                smap: false,
                pcid: false,
                invariant_tsc: false,
            },
        }
    }
}

/// Boots the kernel: called once by the arch layer on the kernel stack.
pub fn boot(k: &mut Kernel, start_info_pa: u64) -> ! {
    loader::boot(k, start_info_pa)
}
