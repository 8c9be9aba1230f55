//! The Type-II anchor: the same static benchmark under User-Mode Linux and
//! natively on the host, timed in TSC cycles; and UML's path length, with
//! UML run inside Debian's kernel under TCG icount.
//!
//! UML is built once from Debian's `linux-source-6.12` (`ARCH=um
//! defconfig`) and cached under `target/bench/uml/`. It boots with its root
//! on hostfs: a directory holding the benchmark as `/init` and an empty
//! `/dev` for devtmpfs.

use super::parse::{self, Run};
use super::proc::{self, Ending};
use crate::util;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const SOURCE: (&str, &str) = ("linux-source-6.12", "/usr/src/linux-source-6.12.tar.xz");

/// What building UML needs beyond a C compiler.
const BUILD_TOOLS: [(&str, &str); 7] = [
    ("gcc", "/usr/bin/gcc"),
    ("libc6-dev", "/usr/include/stdio.h"),
    ("make", "/usr/bin/make"),
    ("flex", "/usr/bin/flex"),
    ("bison", "/usr/bin/bison"),
    ("bc", "/usr/bin/bc"),
    ("xz-utils", "/usr/bin/xz"),
];

/// UML memory: ample for one static init process.
const MEM: &str = "mem=256M";
const BOOT_TIMEOUT: Duration = Duration::from_secs(300);
const HOST_TIMEOUT: Duration = Duration::from_secs(120);

/// A built UML kernel.
#[derive(Debug, Clone)]
pub struct Uml {
    pub binary: PathBuf,
    /// Debian version of the source package it was built from.
    pub source_version: String,
}

/// Builds UML if the cached binary is missing or from another source version.
pub fn build(work: &Path) -> Result<Uml> {
    util::ensure_packages(&[SOURCE])?;
    let source_version = super::native::dpkg_field(SOURCE.0, "Version")?;
    let dir = work.join("uml");
    let binary = dir.join("linux");
    let stamp = dir.join("linux.stamp");
    let want = format!("{} {source_version} ARCH=um defconfig\n", SOURCE.0);
    if binary.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&want) {
        return Ok(Uml {
            binary,
            source_version,
        });
    }
    util::ensure_packages(&BUILD_TOOLS)?;
    eprintln!(
        "xtask: bench: building UML from {} {source_version} (once; a few minutes)",
        SOURCE.0
    );
    // This process's own source tree, and the binary moved into place
    // whole, so that two builds at once cannot spoil each other.
    let src = dir.join(format!("src-{}", std::process::id()));
    if src.exists() {
        std::fs::remove_dir_all(&src).with_context(|| format!("removing {}", src.display()))?;
    }
    std::fs::create_dir_all(&src)?;
    util::run(
        Command::new("tar")
            .arg("xf")
            .arg(SOURCE.1)
            .arg("-C")
            .arg(&src),
    )?;
    let tree = src.join(SOURCE.0);
    let log = src.join("build.log");
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    make(&tree, &log, &["defconfig"])?;
    make(&tree, &log, &[&format!("-j{jobs}"), "linux"])?;
    let staged = dir.join(format!("linux.{}", std::process::id()));
    std::fs::copy(tree.join("linux"), &staged)
        .with_context(|| format!("copying the UML binary to {}", staged.display()))?;
    std::fs::rename(&staged, &binary)
        .with_context(|| format!("moving the UML binary to {}", binary.display()))?;
    std::fs::write(&stamp, want)?;
    std::fs::copy(&log, dir.join("build.log"))?;
    // The object tree is large and only the binary is needed again.
    std::fs::remove_dir_all(&src).with_context(|| format!("removing {}", src.display()))?;
    Ok(Uml {
        binary,
        source_version,
    })
}

/// `nice -n 19 make ARCH=um <args>` in `tree`, appending output to `log`.
fn make(tree: &Path, log: &Path, args: &[&str]) -> Result<()> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let st = Command::new("nice")
        .args(["-n", "19", "make", "ARCH=um"])
        .args(args)
        .current_dir(tree)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .status()
        .context("running make")?;
    if !st.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "make ARCH=um {} failed ({st}); last lines of {}:\n{}",
            args.join(" "),
            log.display(),
            tail.join("\n")
        );
    }
    Ok(())
}

/// UML's arguments for booting `root` (a hostfs directory) with its `/init`.
fn uml_args(root: &str, uml_dir: &str) -> Vec<String> {
    [
        MEM,
        "root=/dev/root",
        "rootfstype=hostfs",
        &format!("rootflags={root}"),
        "rw",
        "init=/init",
        "con0=fd:0,fd:1",
        "con=null",
        "ssl=null",
        &format!("uml_dir={uml_dir}"),
    ]
    .map(String::from)
    .to_vec()
}

/// The UML command line on the host.
fn uml_command(uml: &Uml, root: &Path, uml_dir: &Path) -> Command {
    let mut cmd = Command::new(&uml.binary);
    cmd.args(uml_args(
        &root.display().to_string(),
        &uml_dir.display().to_string(),
    ))
    // UML backs its memory with a file here; /dev/shm is tmpfs.
    .env("TMPDIR", "/dev/shm");
    cmd
}

/// UML's command line inside Debian's kernel under TCG (paths of the
/// initramfs `guest::uml_initramfs` writes), run by `bench/uml_init.c`.
pub fn guest_command() -> Vec<String> {
    let mut v = vec!["/uml/linux".to_string()];
    v.extend(uml_args("/umlroot", "/tmp/uml"));
    v
}

/// One boot of UML with the benchmark as init.
#[derive(Debug)]
pub struct UmlRun {
    pub command: String,
    pub run: Run,
}

/// Prepares the hostfs root: the benchmark binary as `/init`, and `/dev`.
pub fn hostfs_root(run: &Path, bench: &Path) -> Result<PathBuf> {
    let root = run.join("uml-root");
    std::fs::create_dir_all(root.join("dev"))?;
    std::fs::create_dir_all(root.join("proc"))?;
    std::fs::create_dir_all(root.join("sys"))?;
    let init = root.join("init");
    std::fs::copy(bench, &init)
        .with_context(|| format!("copying the benchmark to {}", init.display()))?;
    Ok(root)
}

/// Boots UML once with `root` and parses the benchmark's output.
pub fn run_uml(uml: &Uml, root: &Path, run: &Path) -> Result<UmlRun> {
    if !Path::new("/dev/shm").is_dir() {
        bail!("UML needs /dev/shm (tmpfs) for its memory file; it is missing");
    }
    let uml_dir = run.join("uml-state");
    std::fs::create_dir_all(&uml_dir)?;
    let mut cmd = uml_command(uml, root, &uml_dir);
    let command = proc::command_line(&cmd);
    let outcome = proc::run_with_timeout(&mut cmd, BOOT_TIMEOUT)?;
    match (parse::parse_log(&outcome.output), &outcome.ending) {
        (Ok(run), Ending::Exited(_)) => Ok(UmlRun { command, run }),
        (parsed, _) => {
            eprintln!(
                "---- UML output ----\n{}\n---- end of UML output ----",
                outcome.output
            );
            let why = match parsed {
                Err(e) => format!("{e:#}"),
                Ok(_) => "it did not power off".into(),
            };
            bail!(
                "UML benchmark run {} ({command}): {why}",
                outcome.describe()
            )
        }
    }
}

/// Runs the benchmark as an ordinary process on the host.
pub fn run_host(bench: &Path) -> Result<Run> {
    let outcome = proc::run_with_timeout(&mut Command::new(bench), HOST_TIMEOUT)?;
    let ok = matches!(outcome.ending, Ending::Exited(st) if st.success());
    match parse::parse_log(&outcome.output) {
        Ok(run) if ok => Ok(run),
        parsed => {
            eprintln!(
                "---- benchmark output ----\n{}\n---- end ----",
                outcome.output
            );
            let why = match parsed {
                Err(e) => format!("{e:#}"),
                Ok(_) => "it failed".into(),
            };
            bail!("the benchmark on the host {}: {why}", outcome.describe())
        }
    }
}
