//! Bilby's side of the benchmark: the paths measured, their targets, and the
//! place where Bilby's measured figures enter the report.
//!
//! Bilby's guest benchmarks print the same `BENCH` lines as the native-Linux
//! benchmark (see `bench/linux_syscall.c`), with one result per [`Path`]
//! named by [`Path::id`], a `loop` result for the loop overhead, and two
//! extra fields on every result: `mode_switches` and `as_switches`, the
//! kernel counters' increase over one timed round; paths that cross into
//! another task also print a `BENCH stages` line (the per-stage breakdown).
//! [`measure`] boots them, [`Figures::from_runs`] turns the output into
//! figures, and [`rows`] sets them against native Linux.

use super::parse::{Run, Stats};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A Bilby path the benchmark measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Path {
    NullHypercall,
    IpcRegisters,
    IpcUtcb64,
    VirtualizedSyscall,
}

impl Path {
    pub const ALL: [Path; 4] = [
        Path::NullHypercall,
        Path::IpcRegisters,
        Path::IpcUtcb64,
        Path::VirtualizedSyscall,
    ];

    /// The result name in the benchmark output, the report and the budgets.
    pub fn id(self) -> &'static str {
        match self {
            Path::NullHypercall => "null_hypercall",
            Path::IpcRegisters => "ipc_call_reply_registers",
            Path::IpcUtcb64 => "ipc_call_reply_utcb64",
            Path::VirtualizedSyscall => "virtualized_syscall",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Path::NullHypercall => "null hypercall round trip",
            Path::IpcRegisters => "IPC call+reply between two tasks, message in registers",
            Path::IpcUtcb64 => "IPC call+reply between two tasks, 64-word UTCB message",
            Path::VirtualizedSyscall => {
                "virtualized syscall: app `syscall` -> exception IPC -> handler -> reply -> app"
            }
        }
    }

    /// Issue 6's target: at most this many times native Linux getpid's path length.
    pub fn target_ratio(self) -> f64 {
        match self {
            Path::NullHypercall => 0.8,
            Path::IpcRegisters | Path::IpcUtcb64 => 1.8,
            Path::VirtualizedSyscall => 2.0,
        }
    }

    /// (mode switches, address-space switches) per operation the design
    /// calls for: a hypercall enters and leaves the kernel once; an IPC
    /// round trip and a virtualized syscall cross into another task and back.
    pub fn expected_switches(self) -> (u64, u64) {
        match self {
            Path::NullHypercall => (2, 0),
            Path::IpcRegisters | Path::IpcUtcb64 | Path::VirtualizedSyscall => (4, 2),
        }
    }
}

/// One Bilby path's measured figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathFigures {
    /// Exact path length under TCG `-icount shift=0`, loop overhead removed.
    pub instructions_per_op: f64,
    pub mode_switches_per_op: f64,
    pub address_space_switches_per_op: f64,
    /// Cycles per operation under KVM, if Bilby was timed there.
    pub kvm_cycles_per_op: Option<Stats>,
    /// Where the instructions go, for paths that cross into another task.
    #[serde(default)]
    pub stages: Option<Stages>,
}

/// A round trip to another task in three stages, in instructions, each the
/// fewest over single stamped operations, the timestamps' own cost removed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Stages {
    /// From the caller's `syscall` to the peer running (the kernel's way there).
    pub to_peer: f64,
    /// The peer's own user-mode code, from receiving to replying.
    pub in_peer: f64,
    /// From the peer's reply to the caller running again (the kernel's way back).
    pub back: f64,
    /// What two back-to-back timestamps count; taken off each stage above.
    pub timestamp_cost: f64,
    /// How many single operations were stamped.
    #[serde(default)]
    pub operations: u64,
}

impl Stages {
    fn from_line(fields: &BTreeMap<String, u64>) -> Result<Stages> {
        let get = |k: &str| {
            fields
                .get(k)
                .copied()
                .with_context(|| format!("a stages line without `{k}`"))
        };
        let cost = get("tsc_overhead")?;
        let net = |k: &str| -> Result<f64> { Ok(get(k)?.saturating_sub(cost) as f64) };
        Ok(Stages {
            to_peer: net("to_peer")?,
            in_peer: net("in_peer")?,
            back: net("back")?,
            timestamp_cost: cost as f64,
            operations: get("ops")?,
        })
    }
}

/// Everything Bilby's benchmark measured, by path.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub paths: BTreeMap<Path, PathFigures>,
    /// The QEMU command lines the figures came from.
    pub commands: Vec<String>,
}

impl Figures {
    /// Figures from a TCG icount run (path lengths and counters) and,
    /// optionally, a KVM run of the same guests (times).
    pub fn from_runs(icount: &Run, kvm: Option<&Run>) -> Result<Figures> {
        let mut paths = BTreeMap::new();
        let loop_min = icount.result("loop")?.stats().min;
        for p in Path::ALL {
            let r = icount.result(p.id())?;
            let counter = |k: &str| -> Result<f64> {
                let v = r
                    .extra
                    .get(k)
                    .with_context(|| format!("result `{}` has no `{k}` field", p.id()))?;
                if *v < 0 {
                    bail!("result `{}`: negative `{k}`", p.id());
                }
                Ok(*v as f64 / r.iters as f64)
            };
            let kvm_cycles_per_op = match kvm {
                Some(run) => Some(run.result(p.id())?.stats()),
                None => None,
            };
            let stages = match icount.stages.get(p.id()) {
                Some(f) => Some(Stages::from_line(f).with_context(|| p.id().to_string())?),
                None if p.expected_switches().1 > 0 => {
                    bail!("no per-stage breakdown for `{}`", p.id())
                }
                None => None,
            };
            paths.insert(
                p,
                PathFigures {
                    instructions_per_op: r.stats().min - loop_min,
                    mode_switches_per_op: counter("mode_switches")?,
                    address_space_switches_per_op: counter("as_switches")?,
                    kvm_cycles_per_op,
                    stages,
                },
            );
        }
        Ok(Figures {
            paths,
            commands: Vec::new(),
        })
    }
}

/// One row of the report's Bilby table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Row {
    pub path: String,
    pub description: String,
    pub target_ratio: f64,
    pub expected_mode_switches: u64,
    pub expected_address_space_switches: u64,
    /// `None` until Bilby's figures exist.
    pub measured: Option<PathFigures>,
    pub ratio_to_native_getpid: Option<f64>,
    pub meets_target: Option<bool>,
    pub switches_as_designed: Option<bool>,
}

/// The report's Bilby rows: every path, measured or not, set against native
/// Linux getpid's path length (instructions per op, loop overhead removed,
/// same TCG CPU).
pub fn rows(figures: Option<&Figures>, native_getpid: f64) -> Vec<Row> {
    Path::ALL
        .iter()
        .map(|&p| {
            let measured = figures.and_then(|f| f.paths.get(&p)).cloned();
            let ratio = measured
                .as_ref()
                .map(|m| m.instructions_per_op / native_getpid);
            let (modes, spaces) = p.expected_switches();
            Row {
                path: p.id().into(),
                description: p.description().into(),
                target_ratio: p.target_ratio(),
                expected_mode_switches: modes,
                expected_address_space_switches: spaces,
                meets_target: ratio.map(|r| r <= p.target_ratio()),
                switches_as_designed: measured.as_ref().map(|m| {
                    m.mode_switches_per_op == modes as f64
                        && m.address_space_switches_per_op == spaces as f64
                }),
                measured,
                ratio_to_native_getpid: ratio,
            }
        })
        .collect()
}

/// Where a Bilby benchmark boot runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// QEMU TCG with `-icount shift=0` on [`crate::kernel::TCG_CPU`]: exact path lengths.
    TcgIcount,
    /// QEMU with KVM: times in cycles.
    Kvm,
}

/// What one boot of the benchmark guests printed, and how it was run.
#[derive(Debug, Clone)]
pub struct BootLog {
    pub serial: String,
    pub command: String,
}

/// Boots the kernel with a root task and boot modules on a platform.
pub type Boot<'a> =
    dyn Fn(&std::path::Path, &[std::path::PathBuf], Platform) -> Result<BootLog> + 'a;

/// Builds the benchmark guests (`bench/guests/`), boots them with `boot`
/// under TCG icount and, if `kvm`, under KVM, and returns the figures.
pub fn measure_with(work: &std::path::Path, boot: &Boot<'_>, kvm: bool) -> Result<Figures> {
    let guests = super::guest::build_bilby_guests(&work.join("bilby-guests"))?;
    let run = |platform| -> Result<(Run, String)> {
        let b = boot(&guests.root_task, &guests.modules, platform)?;
        let run = super::parse::parse_log(&b.serial).with_context(|| {
            format!(
                "Bilby benchmark under {platform:?} ({}); serial log:\n{}",
                b.command, b.serial
            )
        })?;
        Ok((run, b.command))
    };
    let (icount, icount_cmd) = run(Platform::TcgIcount)?;
    let mut commands = vec![icount_cmd];
    let kvm_run = if kvm {
        let (r, cmd) = run(Platform::Kvm)?;
        commands.push(cmd);
        Some(r)
    } else {
        None
    };
    let mut figures = Figures::from_runs(&icount, kvm_run.as_ref())?;
    figures.commands = commands;
    Ok(figures)
}

/// Why Bilby is not timed under KVM on this machine.
pub fn why_no_kvm() -> &'static str {
    if !crate::kernel::kvm_available() {
        "/dev/kvm does not open here"
    } else {
        "KVM was not used"
    }
}

/// What the KVM times mean on this machine's KVM (empty for hardware KVM).
pub fn kvm_caveat() -> &'static str {
    if crate::kernel::kvm_is_pvm() {
        ": kvm_pvm, where Bilby runs in its PVM mode and the host emulates each of its \
         returns to user mode (its log: `native iretq to user post-pv`), so these cycles \
         measure that software virtualization more than Bilby's path; native Linux does \
         not boot under this KVM, so they have no native ratio"
    } else {
        ""
    }
}

/// Measures Bilby's paths: the benchmark guests booted with the kernel's
/// QEMU runner (`kernel::boot`), under TCG icount on the CPU of
/// [`crate::kernel::TCG_CPU`] and, where KVM runs Bilby's user mode, under KVM.
pub fn measure(work: &std::path::Path) -> Result<Figures> {
    use crate::kernel::{self, Accel, BootOptions};
    let kvm = kernel::kvm_available();
    let boot = |root: &std::path::Path, modules: &[std::path::PathBuf], p: Platform| {
        let mut opts = BootOptions::new(match p {
            Platform::TcgIcount => Accel::Tcg,
            Platform::Kvm => Accel::Kvm,
        });
        opts.icount = p == Platform::TcgIcount;
        opts.timeout = std::time::Duration::from_secs(600);
        let o = kernel::boot(Some(root), modules, &opts)?;
        if o.exit_code != Some(0) {
            bail!(
                "the Bilby benchmark boot under {p:?} ended with {}; serial log:\n{}",
                o.describe(),
                o.log
            );
        }
        let name = |p: &std::path::Path| {
            p.file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned())
        };
        let modules: Vec<String> = modules.iter().map(|m| name(m)).collect();
        Ok(BootLog {
            serial: o.log,
            command: format!(
                "{}\n# the -initrd bundle: root task {}; modules {}",
                super::relative(&super::proc::join_words(&o.command)),
                name(root),
                modules.join(", ")
            ),
        })
    };
    measure_with(work, &boot, kvm)
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse_log;
    use super::*;

    fn log() -> String {
        let mut s = String::from("BENCH begin version=1\n");
        s += "BENCH result name=loop iters=100 rounds=2 ret=0 cycles=316,330\n";
        let per_op = [200u64, 500, 700, 640];
        for (p, n) in Path::ALL.iter().zip(per_op) {
            let (m, a) = p.expected_switches();
            s += &format!(
                "BENCH result name={} iters=100 rounds=2 ret=0 cycles={},{} mode_switches={} as_switches={}\n",
                p.id(),
                n * 100 + 316,
                n * 100 + 999,
                m * 100,
                a * 100
            );
        }
        for p in &Path::ALL[1..] {
            s += &format!(
                "BENCH stages name={} to_peer=307 in_peer=27 back=207 tsc_overhead=7 ops=200\n",
                p.id()
            );
        }
        s + "BENCH end\n"
    }

    #[test]
    fn figures_and_rows() {
        let run = parse_log(&log()).unwrap();
        let f = Figures::from_runs(&run, Some(&run)).unwrap();
        let hc = &f.paths[&Path::NullHypercall];
        assert_eq!(hc.instructions_per_op, 200.0);
        assert_eq!(hc.mode_switches_per_op, 2.0);
        assert_eq!(hc.address_space_switches_per_op, 0.0);
        assert_eq!(hc.kvm_cycles_per_op.unwrap().min, 203.16);
        assert_eq!(hc.stages, None);
        let vs = f.paths[&Path::VirtualizedSyscall].stages.unwrap();
        assert_eq!(
            (vs.to_peer, vs.in_peer, vs.back, vs.timestamp_cost),
            (300.0, 20.0, 200.0, 7.0)
        );
        let rows = rows(Some(&f), 320.0);
        assert_eq!(rows.len(), 4);
        // 200/320 = 0.625 <= 0.8; 500/320 = 1.5625 <= 1.8; 700/320 = 2.19 > 1.8; 640/320 = 2.0 <= 2.0.
        let meets: Vec<_> = rows.iter().map(|r| r.meets_target).collect();
        assert_eq!(meets, [Some(true), Some(true), Some(false), Some(true)]);
        assert!(rows.iter().all(|r| r.switches_as_designed == Some(true)));
    }

    #[test]
    fn unmeasured_rows_say_so() {
        let rows = rows(None, 307.0);
        assert_eq!(rows.len(), 4);
        assert!(rows
            .iter()
            .all(|r| r.measured.is_none() && r.meets_target.is_none()));
        assert_eq!(rows[3].target_ratio, 2.0);
        assert_eq!(
            (
                rows[3].expected_mode_switches,
                rows[3].expected_address_space_switches
            ),
            (4, 2)
        );
    }

    #[test]
    fn measure_with_boots_twice_and_collects_figures() {
        let work = crate::util::root().join("target/bench/test-measure");
        let calls = std::cell::RefCell::new(Vec::new());
        let boot = |root: &std::path::Path, modules: &[std::path::PathBuf], p: Platform| {
            calls
                .borrow_mut()
                .push((root.to_path_buf(), modules.to_vec(), p));
            Ok(BootLog {
                serial: log(),
                command: format!("qemu {p:?}"),
            })
        };
        let f = measure_with(&work, &boot, true).unwrap();
        assert_eq!(f.commands, ["qemu TcgIcount", "qemu Kvm"]);
        assert_eq!(f.paths.len(), 4);
        let calls = calls.borrow();
        assert_eq!(calls.len(), 2);
        assert!(calls[0].0.ends_with("bilby_bench.elf"));
        assert_eq!(calls[0].1.len(), 3);
        let failing = |_: &std::path::Path, _: &[std::path::PathBuf], _: Platform| {
            Ok(BootLog {
                serial: "BENCH begin version=1\nBENCH error what=x status=1\n".into(),
                command: "qemu".into(),
            })
        };
        let e = measure_with(&work, &failing, false).unwrap_err();
        assert!(format!("{e:#}").contains("reported a failure"), "{e:#}");
    }

    #[test]
    fn a_crossing_path_without_stages_is_an_error() {
        let log = log().replace(
            "BENCH stages name=virtualized_syscall",
            "BENCH stages name=other",
        );
        let run = parse_log(&log).unwrap();
        let e = Figures::from_runs(&run, None).unwrap_err();
        assert!(format!("{e:#}").contains("virtualized_syscall"), "{e:#}");
    }

    #[test]
    fn missing_counters_are_an_error() {
        let log = log().replace(" mode_switches=200", "");
        let run = parse_log(&log).unwrap();
        let e = Figures::from_runs(&run, None).unwrap_err();
        assert!(format!("{e:#}").contains("mode_switches"), "{e:#}");
    }
}
