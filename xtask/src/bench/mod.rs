//! Kernel benchmarks: path lengths and times against native Linux and UML.
//!
//! `cargo xtask bench kernel` measures, in one run:
//! - native Linux path lengths (Debian's kernel under QEMU TCG with
//!   `-icount shift=0`, the static benchmark `bench/linux_syscall.c` as
//!   `/init`): exact instructions per getpid and per invalid syscall;
//! - Bilby's paths on the same emulated CPU: the guests in `bench/guests/`
//!   booted through the kernel's QEMU runner ([`bilby::measure`]), with the
//!   kernel's mode/address-space switch counters and a per-stage breakdown;
//! - the Type-II anchor: the same binary under User-Mode Linux and on the
//!   host, in TSC cycles, as a ratio;
//!
//! and writes `bench/REPORT.md` and `bench/REPORT.json`. `budget_test`
//! (a step of `cargo xtask test`) holds Bilby's paths to the committed
//! budgets in `bench/budgets.json`. Nothing here checks speed by timing a
//! test: figures go to reports, and only exact path lengths are gated.

mod bilby;
mod budget;
mod guest;
mod native;
pub(crate) mod parse;
mod proc;
mod report;
mod uml;

use anyhow::{bail, Context, Result};
use parse::{median, OpResult, Run, Stats};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How many times UML is booted, and the benchmark run on the host.
const UML_RUNS: usize = 9;

/// Native-Linux operations the benchmark measures, with what they are.
const NATIVE_OPS: [(&str, &str); 2] = [
    ("getpid", "`syscall` with rax = SYS_getpid"),
    (
        "invalid_syscall",
        "`syscall` with rax = 1000, no such call: -ENOSYS",
    ),
];

/// Where the benchmark keeps what it builds once (UML).
fn work_dir() -> PathBuf {
    crate::util::root().join("target").join("bench")
}

/// This process's own directory for binaries, images and logs, so that two
/// runs at once (a benchmark and a test, say) never share a file. Removed
/// when the run succeeds; kept, for its logs, when it fails.
fn run_dir() -> PathBuf {
    work_dir().join(format!("run-{}", std::process::id()))
}

fn remove_run_dir(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

fn bench_dir() -> PathBuf {
    crate::util::root().join("bench")
}

/// `cargo xtask bench kernel`: measures everything and writes the report.
/// With `--budgets [--quick]` it runs only the budget check of `cargo xtask
/// test`; `--bless-budgets` rewrites the budgets from the committed report;
/// `--render` rewrites `REPORT.md` from `REPORT.json`.
pub fn kernel_bench(args: &[String]) -> Result<()> {
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => {}
        // The regression guard alone, as `cargo xtask test` runs it.
        ["--budgets"] => return budget_test(false),
        ["--budgets", "--quick"] | ["--quick", "--budgets"] => return budget_test(true),
        ["--bless-budgets"] => return budget::bless(),
        // REPORT.md again from REPORT.json, after a change to the layout only.
        ["--render"] => {
            let text = std::fs::read_to_string(bench_dir().join("REPORT.json"))
                .context("reading bench/REPORT.json")?;
            let rep: report::Report =
                serde_json::from_str(&text).context("parsing bench/REPORT.json")?;
            return write_report(&rep);
        }
        _ => bail!(
            "usage: cargo xtask bench kernel [--budgets [--quick] | --bless-budgets | --render]"
        ),
    }
    let work = work_dir();
    let run = run_dir();
    let bin = guest::build(&run)?;

    let native = measure_native(&bin, &run)?;
    let getpid = native
        .ops
        .iter()
        .find(|o| o.op == "getpid")
        .map(|o| o.instructions_per_op)
        .context("no native getpid figure")?;

    let bilby_result = bilby::measure(&run);
    let bilby = match &bilby_result {
        Ok(f) => report::Bilby {
            status: if f.paths.values().any(|p| p.kvm_cycles_per_op.is_some()) {
                format!(
                    "measured (path lengths under TCG icount, times under KVM{})",
                    bilby::kvm_caveat()
                )
            } else {
                format!(
                    "measured (path lengths under TCG icount; no KVM times: {})",
                    bilby::why_no_kvm()
                )
            },
            qemu_commands: f.commands.clone(),
            reference: reference_text(&native),
            native_getpid_instructions: getpid,
            rows: bilby::rows(Some(f), getpid),
        },
        Err(e) => report::Bilby {
            status: format!("failed: {e:#}"),
            qemu_commands: Vec::new(),
            reference: reference_text(&native),
            native_getpid_instructions: getpid,
            rows: bilby::rows(None, getpid),
        },
    };

    // Built once (and cached in `work`) for both UML measurements.
    let uml_build = uml::build(&work);
    let uml_result = match &uml_build {
        Ok(u) => measure_uml(&bin, u, &run),
        Err(e) => Err(anyhow::anyhow!("building UML: {e:#}")),
    };
    let uml_path_result = match (&uml_build, &uml_result) {
        (Ok(u), Ok(_)) => measure_uml_path_length(&bin, u, &run, getpid),
        _ => Err(anyhow::anyhow!("not measured: the UML build or run failed")),
    };
    let (path_length_status, path_length) = match &uml_path_result {
        Ok(p) => ("measured".to_string(), Some(p.clone())),
        Err(e) => (format!("failed: {e:#}"), None),
    };
    let uml = match &uml_result {
        Ok(anchor) => report::Uml {
            status: "measured".into(),
            anchor: Some(anchor.clone()),
            path_length_status,
            path_length,
        },
        Err(e) => report::Uml {
            status: format!("failed: {e:#}"),
            anchor: None,
            path_length_status,
            path_length,
        },
    };

    let rep = report::Report {
        schema: 1,
        generated_by: "cargo xtask bench kernel".into(),
        date_utc: report::now_utc(),
        machine: machine()?,
        native_linux: native,
        bilby,
        uml,
    };
    write_report(&rep)?;
    bilby_result.context("measuring Bilby failed (the report says so)")?;
    uml_result.context("the UML anchor failed (the report says so)")?;
    uml_path_result.context("UML's path length failed (the report says so)")?;
    remove_run_dir(&run);
    Ok(())
}

fn reference_text(n: &report::NativeLinux) -> String {
    format!(
        "native Linux getpid, Debian {} under TCG `{}`",
        n.kernel_package, n.tcg_cpu
    )
}

fn write_report(rep: &report::Report) -> Result<()> {
    let dir = bench_dir();
    let json = serde_json::to_string_pretty(rep)? + "\n";
    std::fs::write(dir.join("REPORT.json"), json).context("writing bench/REPORT.json")?;
    std::fs::write(dir.join("REPORT.md"), rep.markdown()).context("writing bench/REPORT.md")?;
    eprintln!("xtask: bench: wrote bench/REPORT.md and bench/REPORT.json");
    Ok(())
}

/// Boots Debian's kernel with the benchmark as init and extracts path lengths.
fn measure_native(bin: &Path, work: &Path) -> Result<report::NativeLinux> {
    let initrd = work.join("linux-initramfs.cpio");
    guest::initramfs(bin, &initrd)?;
    let kernel = native::debian_kernel()?;
    let r = native::run(&kernel, &initrd, work)?;
    let loop_ = r.run.result("loop")?;
    let loop_min = loop_.stats().min;
    let mut ops = Vec::new();
    for (name, description) in NATIVE_OPS {
        let o = r.run.result(name)?;
        ops.push(path_length(name, description, o, loop_min));
    }
    let mitigations = r
        .run
        .info
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("vuln_").map(|k| (k.to_string(), v.clone())))
        .collect();
    Ok(report::NativeLinux {
        kernel_package: format!("{} {}", kernel.package, kernel.version),
        guest_release: r.run.info("release"),
        guest_version: r.run.info("kernel_version"),
        qemu_command: relative(&r.command),
        tcg_cpu: crate::kernel::TCG_CPU.into(),
        mitigations,
        loop_instructions_per_iteration: loop_min,
        ops,
        boot_seconds: r.seconds,
    })
}

fn path_length(name: &str, description: &str, o: &OpResult, loop_min: f64) -> report::PathLength {
    let per_iter = o.per_op();
    let min = o.stats().min;
    report::PathLength {
        op: name.into(),
        description: description.into(),
        instructions_per_iteration: min,
        instructions_per_op: min - loop_min,
        rounds_at_minimum: per_iter.iter().filter(|&&v| v == min).count(),
        rounds: per_iter.len(),
        iterations_per_round: o.iters,
        return_value: o.ret,
    }
}

/// Runs the benchmark under UML and on the host, with this run's files in
/// `run`.
fn measure_uml(bin: &Path, uml: &uml::Uml, run: &Path) -> Result<report::UmlAnchor> {
    let root = uml::hostfs_root(run, bin)?;
    let mut uml_runs = Vec::new();
    let mut host_runs = Vec::new();
    let mut command = String::new();
    // Interleaved, so a change in the machine's load hits both sides alike.
    for i in 0..UML_RUNS {
        eprintln!("xtask: bench: UML and host, run {}/{UML_RUNS}", i + 1);
        let u = uml::run_uml(uml, &root, run)?;
        command = u.command;
        uml_runs.push(u.run);
        host_runs.push(uml::run_host(bin)?);
    }
    let mut ops = Vec::new();
    for (name, _) in NATIVE_OPS {
        ops.push(time_ratio(name, &host_runs, &uml_runs)?);
    }
    Ok(report::UmlAnchor {
        uml_source: format!("linux-source-6.12 {}", uml.source_version),
        uml_release: uml_runs[0].info("release"),
        uml_command: relative(&command),
        host_release: host_runs[0].info("release"),
        runs: UML_RUNS,
        ops,
    })
}

/// UML's path lengths: UML inside Debian's kernel under TCG icount, the
/// benchmark as its init.
fn measure_uml_path_length(
    bin: &Path,
    uml: &uml::Uml,
    run: &Path,
    native_getpid: f64,
) -> Result<report::UmlPathLength> {
    let init = guest::build_static(run, guest::UML_INIT_SOURCE)?;
    let initrd = run.join("uml-initramfs.cpio");
    guest::uml_initramfs(&init, &uml.binary, bin, &initrd)?;
    let kernel = native::debian_kernel()?;
    let args = uml::guest_command();
    let r = native::run_boot(
        &kernel,
        &native::Boot {
            name: "uml",
            initramfs: &initrd,
            init_args: &args,
            memory_mib: 1024,
        },
        run,
    )?;
    if r.run.info("release") == "-" || r.run.info("pid1") != "yes" {
        bail!("the benchmark did not run as UML's init");
    }
    let loop_min = r.run.result("loop")?.stats().min;
    let mut ops = Vec::new();
    for (name, description) in NATIVE_OPS {
        ops.push(path_length(
            name,
            description,
            r.run.result(name)?,
            loop_min,
        ));
    }
    let g = r.run.result("getpid")?.stats();
    Ok(report::UmlPathLength {
        qemu_command: relative(&r.command),
        getpid_over_native: ops[0].instructions_per_op / native_getpid,
        getpid_round_spread: (g.max - g.min) / g.min,
        ops,
        boot_seconds: r.seconds,
    })
}

/// Each run's median cycles per op (the loop's median removed), and all
/// rounds' cycles per op.
fn run_medians(runs: &[Run], op: &str) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut medians = Vec::new();
    let mut rounds = Vec::new();
    for r in runs {
        let o = r.result(op)?;
        let lp = r.result("loop")?.stats().median;
        medians.push(o.stats().median - lp);
        rounds.extend(o.per_op());
    }
    Ok((medians, rounds))
}

fn time_ratio(op: &str, host: &[Run], uml: &[Run]) -> Result<report::TimeRatio> {
    let (host_run_medians, host_rounds) = run_medians(host, op)?;
    let (uml_run_medians, uml_rounds) = run_medians(uml, op)?;
    let h = median(&host_run_medians).context("no host runs")?;
    let u = median(&uml_run_medians).context("no UML runs")?;
    if h <= 0.0 {
        bail!("host {op} took {h} cycles per op: the TSC is unusable here");
    }
    let fastest = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (hb, ub) = (fastest(&host_run_medians), fastest(&uml_run_medians));
    if hb <= 0.0 {
        bail!("the fastest host run took {hb} cycles per {op}: the TSC is unusable here");
    }
    Ok(report::TimeRatio {
        op: op.into(),
        host_cycles_per_op: h,
        uml_cycles_per_op: u,
        uml_over_host: u / h,
        best_run_uml_over_host: ub / hb,
        host_run_medians,
        uml_run_medians,
        uml_rounds: Stats::of(&uml_rounds).context("no UML rounds")?,
        host_rounds: Stats::of(&host_rounds).context("no host rounds")?,
    })
}

/// A command line with the workspace root left out of its paths and the
/// process id masked (in this run's directory and in `kernel::boot`'s
/// bundle name), so the report reads the same from run to run.
fn relative(command: &str) -> String {
    let pid = std::process::id();
    command
        .replace(&format!("{}/", crate::util::root().display()), "")
        .replace(&format!("run-{pid}"), "run-$PID")
        .replace(&format!("-{pid}.cpio"), "-$PID.cpio")
}

/// Describes this machine for the report.
fn machine() -> Result<report::Machine> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']))
        })
        .unwrap_or("unknown")
        .to_string();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_mib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024);
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let os = os_release
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map_or("unknown".into(), |v| v.trim_matches('"').to_string());
    let host_kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown".into(), |s| s.trim().to_string());
    let kvm = if !Path::new("/dev/kvm").exists() {
        "absent".to_string()
    } else if Path::new("/sys/module/kvm_pvm").exists() {
        "kvm_pvm (software virtualization with shadow paging, not hardware VT)".into()
    } else if Path::new("/sys/module/kvm_intel").exists() {
        "kvm_intel".into()
    } else if Path::new("/sys/module/kvm_amd").exists() {
        "kvm_amd".into()
    } else {
        "present (module unknown)".into()
    };
    Ok(report::Machine {
        cpu_model,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_mib,
        host_kernel,
        os,
        kvm,
        qemu: first_line("qemu-system-x86_64", "--version")?,
        gcc: first_line("gcc", "--version")?,
    })
}

fn first_line(program: &str, arg: &str) -> Result<String> {
    let out = Command::new(program)
        .arg(arg)
        .output()
        .with_context(|| format!("running {program} {arg}"))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("unknown")
        .to_string())
}

/// Path-length budgets checked by `cargo xtask test`.
pub fn budget_test(quick: bool) -> Result<()> {
    budget::check(quick)
}
