//! The report: `bench/REPORT.json` (every figure) and `bench/REPORT.md`
//! (the same, for people), both written from one [`Report`].

use super::bilby::Row;
use super::parse::Stats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything one `cargo xtask bench kernel` run measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema: u32,
    pub generated_by: String,
    pub date_utc: String,
    pub machine: Machine,
    pub native_linux: NativeLinux,
    pub bilby: Bilby,
    pub uml: Uml,
}

/// The machine the run happened on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Machine {
    pub cpu_model: String,
    pub cpus: usize,
    pub memory_mib: u64,
    pub host_kernel: String,
    pub os: String,
    /// What `/dev/kvm` is here (e.g. `kvm_pvm`: software virtualization).
    pub kvm: String,
    pub qemu: String,
    pub gcc: String,
}

/// Native Linux path lengths under TCG icount.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NativeLinux {
    /// e.g. `linux-image-6.1.0-56-amd64 6.1.192-2`.
    pub kernel_package: String,
    /// `uname -r` and `uname -v` inside the guest.
    pub guest_release: String,
    pub guest_version: String,
    pub qemu_command: String,
    pub tcg_cpu: String,
    /// `/sys/devices/system/cpu/vulnerabilities/*` inside the guest.
    pub mitigations: BTreeMap<String, String>,
    /// Instructions per iteration of the empty loop (subtracted below).
    pub loop_instructions_per_iteration: f64,
    pub ops: Vec<PathLength>,
    pub boot_seconds: f64,
}

/// One native-Linux operation's path length.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathLength {
    pub op: String,
    pub description: String,
    /// Fewest instructions per loop iteration over the rounds (rounds that
    /// took a timer interrupt count more; the fewest is the path itself).
    pub instructions_per_iteration: f64,
    /// The same, less the empty loop: the operation alone.
    pub instructions_per_op: f64,
    /// Rounds whose count equals the fewest, out of all rounds.
    pub rounds_at_minimum: usize,
    pub rounds: usize,
    pub iterations_per_round: u64,
    pub return_value: i64,
}

/// Bilby's rows: every path, with its figures once measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bilby {
    /// `measured`, or why not.
    pub status: String,
    pub qemu_commands: Vec<String>,
    pub reference: String,
    pub native_getpid_instructions: f64,
    pub rows: Vec<Row>,
}

/// The UML anchor, or why it is missing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Uml {
    pub status: String,
    pub anchor: Option<UmlAnchor>,
    /// `measured`, or why not.
    #[serde(default)]
    pub path_length_status: String,
    #[serde(default)]
    pub path_length: Option<UmlPathLength>,
}

/// UML's path lengths: UML inside Debian's kernel under TCG icount, the
/// benchmark as UML's init.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UmlPathLength {
    pub qemu_command: String,
    pub ops: Vec<PathLength>,
    /// UML getpid over native Linux getpid, both in instructions.
    pub getpid_over_native: f64,
    /// Relative spread of the getpid rounds, (max - min) / min: UML's own
    /// timer ticks land in every round, so no round is the bare path.
    pub getpid_round_spread: f64,
    pub boot_seconds: f64,
}

/// UML against the host: the same binary, timed in TSC cycles.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UmlAnchor {
    pub uml_source: String,
    pub uml_release: String,
    pub uml_command: String,
    pub host_release: String,
    pub runs: usize,
    pub ops: Vec<TimeRatio>,
}

/// One operation's time under UML and on the host.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimeRatio {
    pub op: String,
    /// Median over runs of each run's median cycles per op (loop removed).
    pub host_cycles_per_op: f64,
    pub uml_cycles_per_op: f64,
    pub uml_over_host: f64,
    /// The fastest UML run's median over the fastest host run's: the ratio
    /// least disturbed by other load on the machine.
    pub best_run_uml_over_host: f64,
    pub host_run_medians: Vec<f64>,
    pub uml_run_medians: Vec<f64>,
    /// Spread of UML's rounds within all runs, cycles per op.
    pub uml_rounds: Stats,
    pub host_rounds: Stats,
}

/// Figures for people: path lengths differ from whole instructions only by a
/// round's fixed cost spread over its iterations, so near-whole values are
/// shown whole (the JSON keeps them exact).
fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 && v.abs() < 1e15 {
        format!("{:.0}", v.round())
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn fmt_ratio(v: f64) -> String {
    format!("{v:.1}")
}

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or_else(|| "–".into(), f)
}

impl Report {
    /// The Markdown report.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let n = &self.native_linux;
        // Writing to a String cannot fail.
        let _ = writeln!(s, "# Kernel benchmark report\n");
        let _ = writeln!(
            s,
            "Written by `{}` on {}; the same command regenerates it. Every figure is \
             also in `bench/REPORT.json`.\n",
            self.generated_by, self.date_utc
        );
        let _ = writeln!(
            s,
            "Path lengths are exact instruction counts: under QEMU TCG with \
             `-icount shift=0` each guest instruction advances the virtual clock by \
             1 ns and `rdtsc` reads that clock, so an rdtsc delta counts instructions. \
             Times under TCG mean nothing and are never quoted; times come from the \
             host (TSC cycles).\n"
        );

        let _ = writeln!(s, "## Machine\n");
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(s, "| CPU | {} ({} CPUs) |", m.cpu_model, m.cpus);
        let _ = writeln!(s, "| memory | {} MiB |", m.memory_mib);
        let _ = writeln!(s, "| OS | {} |", m.os);
        let _ = writeln!(s, "| host kernel | {} |", m.host_kernel);
        let _ = writeln!(s, "| /dev/kvm | {} |", m.kvm);
        let _ = writeln!(s, "| QEMU | {} |", m.qemu);
        let _ = writeln!(s, "| gcc | {} |\n", m.gcc);

        let _ = writeln!(
            s,
            "## Native Linux path lengths (QEMU TCG, `-icount shift=0`)\n"
        );
        let _ = writeln!(
            s,
            "Debian's `{}` (guest `uname -r` {}, `uname -v` `{}`), booted with an \
             initramfs whose `/init` is the static benchmark `bench/linux_syscall.c` \
             (raw `syscall` instructions, no libc). Guest CPU: TCG `{}`, one vCPU. \
             Boot and benchmark took {:.0} s of wall time.\n",
            n.kernel_package, n.guest_release, n.guest_version, n.tcg_cpu, n.boot_seconds
        );
        let _ = writeln!(s, "```\n{}\n```\n", n.qemu_command);
        let _ = writeln!(
            s,
            "| operation | instructions/op | instructions/iteration | rounds at the minimum | return value |\n|---|---:|---:|---:|---:|"
        );
        for op in &n.ops {
            let _ = writeln!(
                s,
                "| {} ({}) | **{}** | {} | {} of {} (of {} iterations each) | {} |",
                op.op,
                op.description,
                fmt_num(op.instructions_per_op),
                fmt_num(op.instructions_per_iteration),
                op.rounds_at_minimum,
                op.rounds,
                op.iterations_per_round,
                op.return_value
            );
        }
        let _ = writeln!(
            s,
            "\ninstructions/op = the fewest instructions per loop iteration over the rounds \
             (a round that takes a timer interrupt counts more), less the empty loop's \
             {} per iteration.\n",
            fmt_num(n.loop_instructions_per_iteration)
        );
        let _ = writeln!(s, "Mitigations the guest kernel reports:\n");
        let _ = writeln!(s, "| vulnerability | status |\n|---|---|");
        for (k, v) in &n.mitigations {
            let _ = writeln!(s, "| {k} | {} |", v.replace("__", "\\_\\_"));
        }
        s.push('\n');

        let b = &self.bilby;
        let _ = writeln!(s, "## Bilby path lengths against native Linux getpid\n");
        let _ = writeln!(s, "Status: {}\n", b.status);
        let _ = writeln!(
            s,
            "Reference: {} = **{}** instructions/op. Targets from issue 6: null hypercall \
             ≤ 0.8×, IPC call+reply ≤ 1.8×, virtualized syscall ≤ 2.0×.\n",
            b.reference,
            fmt_num(b.native_getpid_instructions)
        );
        for c in &b.qemu_commands {
            let _ = writeln!(s, "```\n{c}\n```\n");
        }
        let _ = writeln!(
            s,
            "| path | instructions/op | × native getpid | target | met | mode switches/op (design) | address-space switches/op (design) | KVM cycles/op median (p1–p99) |\n|---|---:|---:|---:|:---:|---:|---:|---:|"
        );
        for r in &b.rows {
            let m = r.measured.as_ref();
            let _ = writeln!(
                s,
                "| {} | {} | {} | ≤ {}× | {} | {} ({}) | {} ({}) | {} |",
                r.description,
                opt(m, |m| fmt_num(m.instructions_per_op)),
                opt(r.ratio_to_native_getpid, |v| format!("{v:.2}×")),
                fmt_ratio(r.target_ratio),
                opt(r.meets_target, |ok| if ok {
                    "yes".into()
                } else {
                    let over = m.map_or(0.0, |m| m.instructions_per_op)
                        - r.target_ratio * b.native_getpid_instructions;
                    format!("**no**, {} over", fmt_num(over))
                }),
                opt(m, |m| fmt_num(m.mode_switches_per_op)),
                r.expected_mode_switches,
                opt(m, |m| fmt_num(m.address_space_switches_per_op)),
                r.expected_address_space_switches,
                opt(m.and_then(|m| m.kvm_cycles_per_op), |k| format!(
                    "{} ({}–{})",
                    fmt_num(k.median),
                    fmt_num(k.p1),
                    fmt_num(k.p99)
                )),
            );
        }
        s.push('\n');

        let staged: Vec<_> = b
            .rows
            .iter()
            .filter_map(|r| Some((r, r.measured.as_ref()?, r.measured.as_ref()?.stages?)))
            .collect();
        if let Some(first) = staged.first() {
            let _ = writeln!(s, "### Where the instructions go\n");
            let null = b
                .rows
                .iter()
                .find(|r| r.path == "null_hypercall")
                .and_then(|r| r.measured.as_ref());
            let _ = writeln!(
                s,
                "Single operations stamped on both sides (for each stage the fewest \
                 instructions over {} stamped operations, less the {} that two \
                 back-to-back timestamps count): the kernel's way from the caller's `syscall` \
                 to the peer running, the peer's own user-mode code, and the kernel's way \
                 back. The rest is the caller's loop and stub code; it can come out slightly \
                 negative, because the stages also hold the few instructions that store the \
                 peer's timestamps. For scale, a null hypercall (kernel entry and exit, \
                 nothing done) is {} instructions.\n",
                first.2.operations,
                fmt_num(first.2.timestamp_cost),
                opt(null, |m| fmt_num(m.instructions_per_op)),
            );
            let _ = writeln!(
                s,
                "| path | total | kernel: caller → peer | peer's user code | kernel: peer → caller | rest |\n|---|---:|---:|---:|---:|---:|"
            );
            for (r, m, st) in staged {
                let rest = m.instructions_per_op - st.to_peer - st.in_peer - st.back;
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} |",
                    r.path,
                    fmt_num(m.instructions_per_op),
                    fmt_num(st.to_peer),
                    fmt_num(st.in_peer),
                    fmt_num(st.back),
                    fmt_num(rest)
                );
            }
            s.push('\n');
        }

        let _ = writeln!(
            s,
            "## Type-II anchor: User-Mode Linux against the host (time)\n"
        );
        let _ = writeln!(s, "Status: {}\n", self.uml.status);
        if let Some(u) = &self.uml.anchor {
            let _ = writeln!(
                s,
                "The same static binary, run {} times as init of UML (built from Debian's \
                 `{}`, `ARCH=um defconfig`, guest release {}, root on hostfs) and {} times \
                 as a process on the host ({}). Figures are TSC cycles per operation, loop \
                 removed: each run's median round, then the median over runs; the fastest runs' \
                 ratio sets the fastest UML run against the fastest host run, the figure least \
                 disturbed by other load on the machine.\n",
                u.runs, u.uml_source, u.uml_release, u.runs, u.host_release
            );
            let _ = writeln!(s, "```\n{}\n```\n", u.uml_command);
            let _ = writeln!(
                s,
                "| operation | host cycles/op | UML cycles/op | UML ÷ host | fastest runs' ratio | UML rounds p1–p99 | host rounds p1–p99 |\n|---|---:|---:|---:|---:|---:|---:|"
            );
            for op in &u.ops {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | **{:.0}×** | {:.0}× | {}–{} | {}–{} |",
                    op.op,
                    fmt_num(op.host_cycles_per_op),
                    fmt_num(op.uml_cycles_per_op),
                    op.uml_over_host,
                    op.best_run_uml_over_host,
                    fmt_num(op.uml_rounds.p1),
                    fmt_num(op.uml_rounds.p99),
                    fmt_num(op.host_rounds.p1),
                    fmt_num(op.host_rounds.p99),
                );
            }
            s.push('\n');
        }

        if let Some(p) = &self.uml.path_length {
            let _ = writeln!(
                s,
                "### UML path length (QEMU TCG, `-icount shift=0`)\n\n\
                 The same UML binary (stripped) and benchmark inside Debian's kernel under \
                 TCG icount, in an initramfs whose `/init` (`bench/uml_init.c`) mounts what \
                 UML needs and runs it; the path counts the guest kernel's ptrace and signal \
                 work as well as UML's own. Boot and benchmark took {:.0} s of wall time.\n",
                p.boot_seconds
            );
            let _ = writeln!(s, "```\n{}\n```\n", p.qemu_command);
            let _ = writeln!(
                s,
                "| operation | instructions/op | × native getpid |\n|---|---:|---:|"
            );
            let native = b.native_getpid_instructions;
            for op in &p.ops {
                let _ = writeln!(
                    s,
                    "| {} | **{}** | {:.0}× |",
                    op.op,
                    fmt_num(op.instructions_per_op),
                    op.instructions_per_op / native
                );
            }
            let _ = writeln!(
                s,
                "\nUML's own timer ticks land in every round of 1000 operations (rounds \
                 differ by up to {:.2}%), so these figures hold a few ticks' work; they are \
                 exact to that spread, not to the instruction.\n",
                p.getpid_round_spread * 100.0
            );
            if let Some(vs) = b
                .rows
                .iter()
                .find(|r| r.path == "virtualized_syscall")
                .and_then(|r| r.measured.as_ref())
            {
                if let Some(g) = p.ops.iter().find(|o| o.op == "getpid") {
                    let _ = writeln!(
                        s,
                        "Bilby's virtualized syscall ({} instructions) against UML's getpid ({}): \
                         UML takes {:.0}× as many.\n",
                        fmt_num(vs.instructions_per_op),
                        fmt_num(g.instructions_per_op),
                        g.instructions_per_op / vs.instructions_per_op
                    );
                }
            }
        } else if !self.uml.path_length_status.is_empty() {
            let _ = writeln!(s, "UML path length: {}\n", self.uml.path_length_status);
        }

        let _ = writeln!(s, "## Notes\n");
        let per_iteration = n
            .ops
            .iter()
            .find(|o| o.op == "getpid")
            .map_or("–".into(), |o| fmt_num(o.instructions_per_iteration));
        let _ = writeln!(
            s,
            "- The loops are the benchmark's own (`bench/linux_syscall.c`): the syscall \
             number in `eax`, `syscall`, and the loop counter; no libc wrapper. Issue 6 \
             quoted 321 instructions per `syscall(SYS_getpid)` loop iteration (libc's \
             `syscall()` wrapper) from an earlier measurement of Debian's 6.1 kernel; this \
             loop counts {per_iteration} per iteration.\n\
             - Command lines show paths relative to the workspace root; `$PID` stands for \
             the benchmark's process id.\n\
             - UML 6.12 intercepts its processes' system calls with ptrace from a host \
             process, so every guest system call costs several host context switches; that \
             is the Type-II cost the UML ratio shows. Those context switches are what a \
             virtual machine's host makes cheap or dear: on a machine that is itself a guest \
             (see /dev/kvm above), UML's time can change from run to run with load this \
             machine cannot see, while its path length under TCG does not."
        );
        s
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Formats seconds since the Unix epoch (proleptic Gregorian, UTC).
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Days to civil date: Howard Hinnant's well-known algorithm, restated.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_795_536_000 + 3_661), "2026-11-24T17:01:01Z");
    }

    /// The committed report parses, and renders Bilby's rows with verdicts.
    #[test]
    fn committed_report_renders_with_bilby_rows() {
        let text = std::fs::read_to_string(crate::util::root().join("bench/REPORT.json")).unwrap();
        let mut rep: Report = serde_json::from_str(&text).unwrap();
        let getpid = rep.bilby.native_getpid_instructions;
        assert!(getpid > 0.0);
        let mut f = crate::bench::bilby::Figures::default();
        for (p, ratio) in crate::bench::bilby::Path::ALL
            .into_iter()
            .zip([0.5, 1.0, 3.0, 2.0])
        {
            let (m, a) = p.expected_switches();
            f.paths.insert(
                p,
                crate::bench::bilby::PathFigures {
                    instructions_per_op: ratio * getpid,
                    mode_switches_per_op: m as f64,
                    address_space_switches_per_op: a as f64,
                    kvm_cycles_per_op: None,
                    stages: None,
                },
            );
        }
        f.paths
            .get_mut(&crate::bench::bilby::Path::VirtualizedSyscall)
            .unwrap()
            .stages = Some(crate::bench::bilby::Stages {
            to_peer: 300.0,
            in_peer: 20.0,
            back: 250.0,
            timestamp_cost: 7.0,
            operations: 200,
        });
        rep.bilby.rows = crate::bench::bilby::rows(Some(&f), getpid);
        let md = rep.markdown();
        let over = fmt_num(1.2 * getpid);
        assert!(md.contains(&format!("**no**, {over} over")), "{md}");
        assert_eq!(md.matches("| yes |").count(), 3, "{md}");
        assert!(md.contains("## Type-II anchor"));
        let rest = fmt_num(2.0 * getpid - 570.0);
        assert!(
            md.contains(&format!(
                "| virtualized_syscall | {} | 300 | 20 | 250 | {rest} |",
                fmt_num(2.0 * getpid)
            )),
            "{md}"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(fmt_num(307.0), "307");
        assert_eq!(fmt_num(310.016), "310");
        assert_eq!(fmt_num(68.001), "68");
        assert_eq!(fmt_num(283.5), "283.5");
        assert_eq!(fmt_num(0.286), "0.286");
    }
}
