//! Native Linux path lengths: Debian's kernel under QEMU TCG with `-icount shift=0`.
//!
//! With `-icount shift=0` every guest instruction advances the virtual clock
//! by one nanosecond and `rdtsc` reads that clock, so an rdtsc delta is an
//! exact instruction count. Debian's kernel runs only under TCG here (it
//! does not boot under this machine's kvm_pvm), which is also what exact
//! counts need.

use super::parse::{self, Run};
use super::proc::{self, Ending};
use crate::kernel::TCG_CPU;
use crate::util;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The metapackage that pulls in Debian's current kernel image.
const KERNEL_META: (&str, &str) = (
    "linux-image-amd64",
    "/usr/share/doc/linux-image-amd64/copyright",
);

/// The QEMU options every path-length run of Linux shares (accelerator,
/// clock, and the CPU Bilby's runs get from `kernel::boot`).
pub fn icount_options() -> Vec<String> {
    [
        "-accel", "tcg", "-icount", "shift=0", "-cpu", TCG_CPU, "-smp", "1",
    ]
    .map(String::from)
    .to_vec()
}

/// Kernel command line for the native-Linux run. `quiet` keeps routine
/// kernel messages from landing in the middle of a benchmark line on the
/// shared console; warnings and panics still show.
const CMDLINE: &str = "console=ttyS0 quiet panic=-1 rdinit=/init";

/// A generous bound: native Linux takes well under a minute under TCG
/// here, UML inside it about a minute.
const TIMEOUT: Duration = Duration::from_secs(900);

/// Debian's kernel, as installed.
#[derive(Debug, Clone)]
pub struct DebianKernel {
    /// e.g. `linux-image-6.1.0-56-amd64`.
    pub package: String,
    /// e.g. `6.1.192-2`.
    pub version: String,
    pub vmlinuz: PathBuf,
}

/// Installs `linux-image-amd64` if needed and finds the image it depends on.
pub fn debian_kernel() -> Result<DebianKernel> {
    util::ensure_packages(&[KERNEL_META])?;
    let depends = dpkg_field(KERNEL_META.0, "Depends")?;
    let package = depends
        .split([',', '|', ' '])
        .find(|w| w.starts_with("linux-image-"))
        .with_context(|| format!("{} depends on no kernel image: {depends:?}", KERNEL_META.0))?
        .to_string();
    let version = dpkg_field(&package, "Version")?;
    let release = package.trim_start_matches("linux-image-");
    let vmlinuz = PathBuf::from(format!("/boot/vmlinuz-{release}"));
    if !vmlinuz.is_file() {
        bail!(
            "{package} {version} is installed but {} is missing",
            vmlinuz.display()
        );
    }
    Ok(DebianKernel {
        package,
        version,
        vmlinuz,
    })
}

pub fn dpkg_field(package: &str, field: &str) -> Result<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", &format!("-f=${{{field}}}"), package])
        .output()
        .context("running dpkg-query")?;
    if !out.status.success() {
        bail!(
            "dpkg-query {field} of {package} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// One boot of Debian's kernel with the benchmark as `/init`.
#[derive(Debug)]
pub struct NativeRun {
    /// The QEMU command line, as run.
    pub command: String,
    pub run: Run,
    pub seconds: f64,
}

/// What to boot Debian's kernel with.
#[derive(Debug)]
pub struct Boot<'a> {
    /// Names this boot in file names and messages (`native-linux`, `uml`).
    pub name: &'a str,
    pub initramfs: &'a Path,
    /// Passed to `/init` as its arguments (after `--` on the command line).
    pub init_args: &'a [String],
    pub memory_mib: u32,
}

/// Boots `kernel` with `initramfs` under TCG icount and parses the benchmark.
pub fn run(kernel: &DebianKernel, initramfs: &Path, work: &Path) -> Result<NativeRun> {
    run_boot(
        kernel,
        &Boot {
            name: "native-linux",
            initramfs,
            init_args: &[],
            memory_mib: 512,
        },
        work,
    )
}

/// Boots `kernel` as `boot` says under TCG icount and parses the benchmark.
pub fn run_boot(kernel: &DebianKernel, boot: &Boot<'_>, work: &Path) -> Result<NativeRun> {
    util::ensure_packages(&[("qemu-system-x86", "/usr/bin/qemu-system-x86_64")])?;
    std::fs::create_dir_all(work)?;
    let serial = work.join(format!("{}-serial.log", boot.name));
    let _ = std::fs::remove_file(&serial);
    let mut cmdline = CMDLINE.to_string();
    if !boot.init_args.is_empty() {
        cmdline = format!("{cmdline} -- {}", boot.init_args.join(" "));
    }
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(icount_options())
        .args(["-m", &format!("{}M", boot.memory_mib)])
        .args(["-nodefaults", "-no-reboot", "-nographic"])
        .args(["-monitor", "none"])
        .arg("-serial")
        .arg(format!("file:{}", serial.display()))
        .arg("-kernel")
        .arg(&kernel.vmlinuz)
        .arg("-initrd")
        .arg(boot.initramfs)
        .args(["-append", &cmdline]);
    let command = proc::command_line(&cmd);
    eprintln!("xtask: bench: {command}");
    let outcome = proc::run_with_timeout(&mut cmd, TIMEOUT)?;
    let log = std::fs::read_to_string(&serial).unwrap_or_default();
    let parsed = parse::parse_log(&log);
    let ok = matches!(outcome.ending, Ending::Exited(st) if st.success());
    match parsed {
        Ok(run) if ok => Ok(NativeRun {
            command,
            run,
            seconds: outcome.elapsed.as_secs_f64(),
        }),
        parsed => {
            eprintln!(
                "---- serial log ({}) ----\n{log}\n---- end of serial log ----",
                serial.display()
            );
            eprintln!("---- QEMU output ----\n{}\n---- end ----", outcome.output);
            let why = match parsed {
                Err(e) => format!("{e:#}"),
                Ok(_) => "QEMU did not exit cleanly".into(),
            };
            bail!(
                "the {} benchmark under QEMU {}: {why}",
                boot.name,
                outcome.describe()
            )
        }
    }
}
