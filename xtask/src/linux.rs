//! Building Linux for `ARCH=l4` and its boot test.
//!
//! `cargo xtask linux [--source DIR]` takes Linux 6.12 from Debian's
//! `linux-source-6.12` (or a tree given with `--source`), makes a build copy
//! of it under `target/linux/` once, links `linux-arch-l4/arch/l4` into it,
//! applies `linux-arch-l4/patches/*.patch`, and builds `vmlinux` out of tree
//! with the Bilby headers, under `nice -n 19` with at most two jobs. Every
//! later run reuses the copy and the build directory, so make rebuilds only
//! what changed.
//!
//! The image is checked as what Bilby loads as its root task: a static
//! x86_64 executable linked in user space, entered at `_start`, carrying the
//! Bilby ABI note. `--host` then boots it under `hostbilby`
//! (`linux-arch-l4/tools/hostbilby.c`), a ptrace-based stand-in that serves
//! Bilby's hypercalls to an ordinary Linux process; `--qemu` boots it on the
//! real Bilby kernel in QEMU as the root task. Both boots are judged by the
//! same console markers ([`check_boot_log`]).
//!
//! This module must never modify the Linux source the user passed in:
//! patches go into the build copy only.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bilby_kernel::elf::{self, ElfError};
use object::elf::{FileHeader64, SHT_SYMTAB};
use object::read::elf::{FileHeader, Sym};
use object::LittleEndian;

use crate::kernel;
use crate::util;

/// The Debian package holding the Linux source and its tarball.
const DEBIAN_SOURCE: (&str, &str) = ("linux-source-6.12", "/usr/src/linux-source-6.12.tar.xz");
/// The directory name inside the Debian tarball.
const DEBIAN_TOP_DIR: &str = "linux-source-6.12";
/// Debian's statically linked busybox, the initramfs's only program.
const BUSYBOX: (&str, &str) = ("busybox-static", "/bin/busybox");
/// What Linux's build needs besides a C compiler: (package, proof file).
const BUILD_TOOLS: [(&str, &str); 6] = [
    ("make", "/usr/bin/make"),
    ("bc", "/usr/bin/bc"),
    ("flex", "/usr/bin/flex"),
    ("bison", "/usr/bin/bison"),
    ("patch", "/usr/bin/patch"),
    ("xz-utils", "/usr/bin/xz"),
];
/// Marks a build copy whose extraction or copy finished.
const COMPLETE_STAMP: &str = ".bilby-complete";
/// Holds copies of the patches applied to a build copy.
const PATCH_STAMP_DIR: &str = ".bilby-patches";
/// Lowest address the image may be linked at (the usual static-binary base).
const MIN_LINK_ADDRESS: u64 = 0x40_0000;

const USAGE: &str =
    "usage: cargo xtask linux [--source DIR] [--host | --qemu | --measure] | cargo xtask linux --test [--quick]";

/// The seam header, where the exit codes Linux gives Bilby's DebugShutdown
/// are defined (`BILBY_EXIT_*`).
const GLUE_HEADER: &str = "linux-arch-l4/arch/l4/include/shared/bilby_glue.h";

/// How long a boot may take before it counts as hung.
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);

/// `cargo xtask linux [--source DIR] [--host | --qemu | --measure]`, or
/// `cargo xtask linux --test [--quick]` for the boot test alone.
pub fn command(args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("--test") {
        return match &args[1..] {
            [] => boot_test(false),
            [q] if q == "--quick" => boot_test(true),
            _ => bail!("linux: unexpected arguments after --test ({USAGE})"),
        };
    }
    let mut source = None;
    let mut boot = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--source" => {
                source = Some(PathBuf::from(
                    it.next()
                        .context("--source needs a Linux source directory")?,
                ))
            }
            "--host" | "--qemu" | "--measure" if boot.is_none() => boot = Some(a.clone()),
            other => bail!("linux: unexpected argument `{other}` ({USAGE})"),
        }
    }
    if boot.as_deref() == Some("--measure") {
        return measure(source.as_deref());
    }
    let vmlinux = build(source.as_deref())?;
    let info = check_vmlinux(&vmlinux)?;
    eprintln!("xtask: {}: {}", vmlinux.display(), info.describe());
    match boot.as_deref() {
        Some("--host") => {
            let (log, code) = boot_on_host(&vmlinux)?;
            print!("{log}");
            judge_boot(&log, code)
        }
        Some("--qemu") => {
            let accel = *bilby_accels(true).first().context("no QEMU accelerator")?;
            let (log, code) = boot_on_bilby(&vmlinux, accel, true)?;
            judge_boot(&log, code)
        }
        _ => Ok(()),
    }
}

/// The Linux boot test run by `cargo xtask test`: builds (incrementally),
/// checks the image as a Bilby root task, boots it under `hostbilby`, and
/// boots it on Bilby in QEMU (TCG, and KVM where /dev/kvm opens; quick:
/// one of them) to the point where Linux executes `/init`.
pub fn boot_test(quick: bool) -> Result<()> {
    let vmlinux = build(None)?;
    let info = check_vmlinux(&vmlinux)?;
    eprintln!("xtask: linux: {}", info.describe());
    let (log, code) = boot_on_host(&vmlinux)?;
    judge_boot(&log, code).map_err(|e| {
        anyhow::anyhow!(
            "under hostbilby: {e:#}\n----- console -----\n{log}\n----- end of console -----"
        )
    })?;
    eprintln!("xtask: linux: booted to /init under hostbilby");
    for accel in bilby_accels(quick) {
        let (log, code) = boot_on_bilby(&vmlinux, accel, false)?;
        judge_boot(&log, code).map_err(|e| {
            anyhow::anyhow!(
                "on Bilby under {}: {e:#}\n----- serial log -----\n{log}\n----- end of log -----",
                accel.name()
            )
        })?;
        eprintln!(
            "xtask: linux: booted to /init on Bilby under {}",
            accel.name()
        );
    }
    Ok(())
}

/// The accelerators Linux-on-Bilby boots with: KVM first where it runs
/// user mode (kvm_pvm too: Bilby runs Linux in its PVM mode), then TCG;
/// `one` keeps only the first.
fn bilby_accels(one: bool) -> Vec<kernel::Accel> {
    let mut v = Vec::new();
    if kernel::kvm_available() {
        v.push(kernel::Accel::Kvm);
    }
    v.push(kernel::Accel::Tcg);
    if one {
        v.truncate(1);
    }
    v
}

/// Boots `vmlinux` as Bilby's root task in QEMU; returns the serial log and
/// the exit code Bilby gave QEMU.
fn boot_on_bilby(
    vmlinux: &Path,
    accel: kernel::Accel,
    echo: bool,
) -> Result<(String, Option<u32>)> {
    eprintln!("xtask: linux: booting on Bilby under {}", accel.name());
    let mut opts = kernel::BootOptions::new(accel);
    opts.timeout = BOOT_TIMEOUT;
    opts.echo = echo;
    let outcome = kernel::boot(Some(vmlinux), &[], &opts)?;
    eprintln!("xtask: linux: {}", outcome.describe());
    Ok((outcome.log, outcome.exit_code))
}

/// Builds `hostbilby` and returns its path.
fn build_hostbilby() -> Result<PathBuf> {
    let root = util::root();
    let src = root.join("linux-arch-l4/tools/hostbilby.c");
    let out = work_dir().join("hostbilby");
    // Built under a private name and renamed, so a concurrent run never
    // executes a half-written file.
    let tmp = work_dir().join(format!("hostbilby.{}", std::process::id()));
    let o = kernel::host_c_compiler("hostbilby")?
        .args(["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror"])
        .arg(format!("-I{}", root.join("abi/include").display()))
        .arg(format!("-I{}", root.join("hypercalls/include").display()))
        .arg("-o")
        .arg(&tmp)
        .arg(&src)
        .output()
        .context("running the C compiler for hostbilby")?;
    if !o.status.success() {
        bail!(
            "compiling {} failed:\n{}{}",
            src.display(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    std::fs::rename(&tmp, &out).with_context(|| format!("renaming {}", tmp.display()))?;
    Ok(out)
}

/// Boots `vmlinux` under `hostbilby`; returns the console (with
/// hostbilby's own messages) and the DebugShutdown code, if it ended so.
fn boot_on_host(vmlinux: &Path) -> Result<(String, Option<u32>)> {
    let hostbilby = build_hostbilby()?;
    let o = Command::new(&hostbilby)
        .args(["--timeout", &BOOT_TIMEOUT.as_secs().to_string()])
        .arg(vmlinux)
        .output()
        .with_context(|| format!("running {}", hostbilby.display()))?;
    let mut log = String::from_utf8_lossy(&o.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&o.stderr));
    // hostbilby exits with the shutdown code; 120 and up are its own failures.
    let code = o.status.code().and_then(|c| u32::try_from(c).ok());
    Ok((log, code.filter(|&c| c < 120)))
}

/// What stage 1 must show on the console, in this order.
const BOOT_MARKERS: &[(&str, &str)] = &[
    ("Linux version 6.12", "the Linux banner"),
    ("l4: Linux on Bilby, kernel ABI", "the Bilby ABI handshake"),
    (
        "MiB granted by Bilby",
        "memory mapped from a Bilby memory capability",
    ),
    (
        "l4: timer: Bilby TimerSet ticks by IPC",
        "the timer and interrupt thread set up",
    ),
    (
        "l4: timer: slept",
        "ticks delivered by IPC while Linux slept in its idle loop",
    ),
    (
        "l4: timer: busy loop interrupted by a tick",
        "an interrupt delivered to a busy Linux by diverting its thread",
    ),
    ("Run /init as init process", "init reached"),
    (
        "Failed to execute /init (error -8)",
        "/init found in the unpacked initramfs",
    ),
];

/// Judges a boot log and exit code against stage 1's expectations.
///
/// Stage 1 ends when Linux executes `/init`: user mode arrives in stage 2,
/// so the exec fails with ENOEXEC, Linux finds no working init and panics,
/// and the panic ends the machine with `BILBY_EXIT_PANIC`. Any other panic, a
/// hang or a crash fails.
pub fn check_boot_log(log: &str) -> Result<()> {
    let mut rest = log;
    for (marker, what) in BOOT_MARKERS {
        if let Some(i) = rest
            .find("Kernel panic")
            .filter(|&p| rest.find(marker).is_none_or(|m| p < m))
        {
            let line = rest[i..].lines().next().unwrap_or_default();
            bail!("Linux panicked before {what}: {line}");
        }
        match rest.find(marker) {
            Some(i) => rest = &rest[i + marker.len()..],
            None => bail!("the console does not show {what} (`{marker}`)"),
        }
    }
    if let Some(line) = log
        .lines()
        .find(|l| l.contains("Initramfs unpacking failed"))
    {
        bail!("the initramfs did not unpack: {line}");
    }
    // "slept 57 ms (asked 50): 6 ticks, 4 idle wake-ups by IPC"
    let counts: Vec<u64> = log
        .lines()
        .find_map(|l| l.split("l4: timer: slept").nth(1))
        .and_then(|l| l.split(": ").nth(1))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let [ticks, idle_wakeups] = counts[..] else {
        bail!("cannot read the tick and wake-up counts of the timer self-test");
    };
    if ticks == 0 {
        bail!("no timer tick arrived while Linux slept");
    }
    if idle_wakeups == 0 {
        bail!("the idle loop was never woken by IPC while Linux slept");
    }
    match rest.find("Kernel panic - not syncing: ") {
        Some(i) if rest[i..].starts_with("Kernel panic - not syncing: No working init found") => {
            Ok(())
        }
        Some(i) => bail!(
            "Linux panicked after reaching init, for another reason: {}",
            rest[i..].lines().next().unwrap_or_default()
        ),
        None => bail!("the boot did not end where stage 1 ends (no working init)"),
    }
}

fn judge_boot(log: &str, exit_code: Option<u32>) -> Result<()> {
    check_boot_log(log)?;
    let panic = exit_panic()?;
    if exit_code != Some(panic) {
        bail!("expected Linux to end the machine with code {panic:#x}, got {exit_code:?}");
    }
    Ok(())
}

/// `BILBY_EXIT_PANIC` as the seam header defines it, so that the number is
/// written in one place.
fn exit_panic() -> Result<u32> {
    let path = util::root().join(GLUE_HEADER);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    c_define(&text, "BILBY_EXIT_PANIC")
        .with_context(|| format!("{}: no numeric BILBY_EXIT_PANIC", path.display()))
}

/// The value of `#define NAME VALUE` (decimal or 0x hex) in C source.
fn c_define(text: &str, name: &str) -> Option<u32> {
    text.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        if words.next()? != "#define" || words.next()? != name {
            return None;
        }
        let value = words.next()?;
        match value.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => value.parse().ok(),
        }
    })
}

/// `--measure`: the size of the port (arch/l4 and the files its patches
/// touch) beside arch/um's, both reported by `bilby-diffstat --port`.
fn measure(source: Option<&Path>) -> Result<()> {
    let root = util::root();
    std::fs::create_dir_all(work_dir())?;
    let _lock = lock_work_dir(&work_dir())?;
    let (src, _) = prepare_source(source)?;
    let m = work_dir().join("measure");
    if m.exists() {
        std::fs::remove_dir_all(&m).with_context(|| format!("removing {}", m.display()))?;
    }
    for d in ["empty", "base", "l4/arch", "um/arch"] {
        std::fs::create_dir_all(m.join(d))?;
    }
    copy_tree(&root.join("linux-arch-l4/arch/l4"), &m.join("l4/arch/l4"))?;
    copy_tree(&src.join("arch/um"), &m.join("um/arch/um"))?;
    // The patched files as built, and the same files before the patches.
    let patches = root.join("linux-arch-l4/patches");
    for (name, text) in patch_set(&patches)? {
        for path in patched_paths(&String::from_utf8_lossy(&text)) {
            let from = src.join(&path);
            if from.exists() {
                for side in ["l4", "base"] {
                    let to = m.join(side).join(&path);
                    std::fs::create_dir_all(to.parent().context("a patched path has no parent")?)?;
                    std::fs::copy(&from, &to)
                        .with_context(|| format!("copying {}", from.display()))?;
                }
            }
        }
        patch(&m.join("base"), &patches.join(&name), true)?;
    }
    util::cargo(&["build", "--release", "--quiet", "-p", "bilby-diffstat"])?;
    let diffstat = root.join("target/release/bilby-diffstat");
    for (port, old, new) in [("l4", "base", "l4"), ("um", "empty", "um")] {
        let mut cmd = Command::new(&diffstat);
        cmd.args(["-q", "--port", port])
            .arg(m.join(old))
            .arg(m.join(new));
        util::run(&mut cmd)?;
    }
    Ok(())
}

/// The paths (relative to the tree) a unified diff creates or changes.
fn patched_paths(patch: &str) -> Vec<String> {
    patch
        .lines()
        .filter_map(|l| l.strip_prefix("+++ "))
        .filter_map(|p| p.split('\t').next())
        .filter(|p| *p != "/dev/null")
        .filter_map(|p| p.split_once('/').map(|(_, rest)| rest.to_string()))
        .collect()
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let mut cp = Command::new("cp");
    cp.arg("-r").arg(from).arg(to);
    util::run(&mut cp)
}

/// Where everything of the Linux build lives.
fn work_dir() -> PathBuf {
    util::root().join("target/linux")
}

/// Builds `vmlinux` for `ARCH=l4` and returns its path.
pub fn build(source: Option<&Path>) -> Result<PathBuf> {
    let root = util::root();
    if root.to_string_lossy().contains(char::is_whitespace) {
        bail!(
            "the repository path `{}` contains whitespace, which Linux's make cannot take",
            root.display()
        );
    }
    util::ensure_packages(&[BUSYBOX])?;
    let work = work_dir();
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    // Two xtask runs building in one tree at once would corrupt it: take turns.
    let _lock = lock_work_dir(&work)?;
    let (src, build) = prepare_source(source)?;
    let initramfs = write_initramfs_list(&work)?;
    std::fs::create_dir_all(&build).with_context(|| format!("creating {}", build.display()))?;

    let bilby_include = format!(
        "BILBY_INCLUDE={} {}",
        root.join("abi/include").display(),
        root.join("hypercalls/include").display()
    );
    let make = |args: &[&str]| -> Result<()> {
        let mut cmd = Command::new("nice");
        cmd.args(["-n", "19", "make", "-s", "-C"])
            .arg(&src)
            .arg(format!("O={}", build.display()))
            .arg("ARCH=l4")
            .arg(&bilby_include)
            .args(args);
        util::run(&mut cmd)
    };
    // defconfig, then the one setting that depends on this machine. Kconfig
    // rewrites only what changed, so the following build stays incremental.
    make(&["l4_defconfig"])?;
    let mut cfg = Command::new(src.join("scripts/config"));
    cfg.arg("--file")
        .arg(build.join(".config"))
        .args(["--set-str", "INITRAMFS_SOURCE"])
        .arg(&initramfs);
    util::run(&mut cfg)?;
    make(&["olddefconfig"])?;
    make(&["-j2", "vmlinux"])?;
    Ok(build.join("vmlinux"))
}

/// An exclusive lock on the Linux work directory, held until dropped.
fn lock_work_dir(work: &Path) -> Result<std::fs::File> {
    let path = work.join(".build.lock");
    let file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    if file.try_lock().is_err() {
        eprintln!(
            "xtask: waiting for another build of Linux in {}",
            work.display()
        );
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
    }
    Ok(file)
}

/// The build copy (made once) with arch/l4 linked in and the patches
/// applied, and its build directory.
fn prepare_source(source: Option<&Path>) -> Result<(PathBuf, PathBuf)> {
    util::ensure_packages(&BUILD_TOOLS)?;
    let root = util::root();
    let work = work_dir();
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let (src, build) = match source {
        None => {
            util::ensure_packages(&[DEBIAN_SOURCE])?;
            let src = work.join("src-6.12");
            extract_debian_source(Path::new(DEBIAN_SOURCE.1), &src)?;
            (src, work.join("build-6.12"))
        }
        Some(dir) => {
            let src = work.join("src-custom");
            copy_custom_source(dir, &src)?;
            (src, work.join("build-custom"))
        }
    };
    link_arch_tree(&src)?;
    apply_patches(&src, &root.join("linux-arch-l4/patches"))?;
    Ok((src, build))
}

/// Extracts the Debian tarball into `dest` unless a finished copy is there.
fn extract_debian_source(tarball: &Path, dest: &Path) -> Result<()> {
    if dest.join(COMPLETE_STAMP).exists() {
        return Ok(());
    }
    if dest.exists() {
        eprintln!("xtask: removing the unfinished copy {}", dest.display());
        std::fs::remove_dir_all(dest).with_context(|| format!("removing {}", dest.display()))?;
    }
    let tmp = dest.with_extension("extracting");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("removing {}", tmp.display()))?;
    }
    std::fs::create_dir_all(&tmp)?;
    eprintln!(
        "xtask: extracting {} (once) into {}",
        tarball.display(),
        dest.display()
    );
    let mut tar = Command::new("nice");
    tar.args(["-n", "19", "tar", "-xf"])
        .arg(tarball)
        .arg("-C")
        .arg(&tmp);
    util::run(&mut tar)?;
    let top = tmp.join(DEBIAN_TOP_DIR);
    if !top.join("Makefile").exists() {
        bail!(
            "{} did not contain {DEBIAN_TOP_DIR}/Makefile",
            tarball.display()
        );
    }
    std::fs::rename(&top, dest)
        .with_context(|| format!("moving {} to {}", top.display(), dest.display()))?;
    std::fs::remove_dir_all(&tmp)?;
    std::fs::write(
        dest.join(COMPLETE_STAMP),
        tarball.to_string_lossy().as_bytes(),
    )?;
    Ok(())
}

/// Makes `dest` a hard-linked copy of the user's tree (once per origin), so
/// that the arch link and patches never touch the original.
fn copy_custom_source(origin: &Path, dest: &Path) -> Result<()> {
    let origin = origin
        .canonicalize()
        .with_context(|| format!("--source {}: no such directory", origin.display()))?;
    if !origin.join("Makefile").is_file() || !origin.join("arch").is_dir() {
        bail!(
            "--source {}: not a Linux source tree (no Makefile and arch/)",
            origin.display()
        );
    }
    let stamp = dest.join(COMPLETE_STAMP);
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(&*origin.to_string_lossy()) {
        return Ok(());
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest).with_context(|| format!("removing {}", dest.display()))?;
        let build = dest.with_file_name("build-custom");
        if build.exists() {
            std::fs::remove_dir_all(&build)?;
        }
    }
    eprintln!(
        "xtask: copying {} (hard links) into {}",
        origin.display(),
        dest.display()
    );
    let mut cp = Command::new("cp");
    cp.arg("-al").arg(&origin).arg(dest);
    util::run(&mut cp)?;
    // A tree that was configured in place would make an O= build refuse.
    for stale in [".config", "include/config", "include/generated"] {
        let p = dest.join(stale);
        if p.is_dir() {
            std::fs::remove_dir_all(&p)?;
        } else if p.exists() {
            std::fs::remove_file(&p)?;
        }
    }
    std::fs::write(&stamp, origin.to_string_lossy().as_bytes())?;
    Ok(())
}

/// Points `src/arch/l4` at the repository's arch tree.
fn link_arch_tree(src: &Path) -> Result<()> {
    let target = util::root().join("linux-arch-l4/arch/l4");
    let link = src.join("arch/l4");
    match std::fs::read_link(&link) {
        Ok(t) if t == target => return Ok(()),
        Ok(_) => std::fs::remove_file(&link)?,
        Err(_) if link.exists() => bail!(
            "{} exists and is not our symlink; remove it",
            link.display()
        ),
        Err(_) => {}
    }
    std::os::unix::fs::symlink(&target, &link)
        .with_context(|| format!("linking {} to {}", link.display(), target.display()))
}

/// Brings the build copy to exactly the patch set in `patches`: if it
/// differs from what was applied, the old set is reversed first.
fn apply_patches(src: &Path, patches: &Path) -> Result<()> {
    let wanted = patch_set(patches)?;
    let stamp_dir = src.join(PATCH_STAMP_DIR);
    let applied = patch_set(&stamp_dir)?;
    if wanted == applied {
        return Ok(());
    }
    for (name, _) in applied.iter().rev() {
        eprintln!("xtask: reversing patch {name}");
        patch(src, &stamp_dir.join(name), true)?;
    }
    if stamp_dir.exists() {
        std::fs::remove_dir_all(&stamp_dir)?;
    }
    std::fs::create_dir_all(&stamp_dir)?;
    for (name, text) in &wanted {
        eprintln!("xtask: applying patch {name}");
        patch(src, &patches.join(name), false)?;
        std::fs::write(stamp_dir.join(name), text)?;
    }
    Ok(())
}

/// The `*.patch` files of a directory, sorted by name, with their contents.
fn patch_set(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut set = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(set);
    };
    for e in entries {
        let p = e?.path();
        if p.extension().and_then(|x| x.to_str()) != Some("patch") {
            continue;
        }
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{}: unusable file name", p.display()))?
            .to_string();
        let text = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
        set.push((name, text));
    }
    set.sort();
    Ok(set)
}

fn patch(src: &Path, file: &Path, reverse: bool) -> Result<()> {
    let mut cmd = Command::new("patch");
    cmd.args(["-p1", "--forward", "--silent", "-d"])
        .arg(src)
        .arg("-i")
        .arg(file);
    if reverse {
        cmd.arg("-R");
    }
    util::run(&mut cmd).with_context(|| format!("applying {}", file.display()))
}

/// The initramfs, as a `gen_init_cpio` list: busybox, `/init` linked to it.
fn write_initramfs_list(work: &Path) -> Result<PathBuf> {
    let list = format!(
        "# Generated by cargo xtask linux: the built-in initramfs.\n\
         dir /dev 0755 0 0\n\
         nod /dev/console 0600 0 0 c 5 1\n\
         dir /bin 0755 0 0\n\
         dir /sbin 0755 0 0\n\
         dir /proc 0755 0 0\n\
         dir /sys 0755 0 0\n\
         file /bin/busybox {} 0755 0 0\n\
         slink /bin/sh busybox 0777 0 0\n\
         slink /init bin/busybox 0777 0 0\n",
        BUSYBOX.1
    );
    let path = work.join("initramfs.list");
    // Rewriting an unchanged list would make Kbuild repack the initramfs.
    if std::fs::read_to_string(&path).ok().as_deref() != Some(list.as_str()) {
        std::fs::write(&path, list).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(path)
}

/// What the checks found out about a vmlinux image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmlinuxInfo {
    pub entry: u64,
    pub lowest: u64,
    pub highest: u64,
    pub abi_major: u32,
    pub abi_minor: u32,
}

impl VmlinuxInfo {
    pub fn describe(&self) -> String {
        format!(
            "static x86_64 executable, loaded at {:#x}-{:#x}, entry _start = {:#x}, Bilby ABI note {}.{}",
            self.lowest, self.highest, self.entry, self.abi_major, self.abi_minor
        )
    }
}

/// Checks that the file at `path` is loadable as a Bilby root task.
pub fn check_vmlinux(path: &Path) -> Result<VmlinuxInfo> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    check_root_task_elf(&bytes)
        .with_context(|| format!("{} is not a usable root task", path.display()))
}

/// The checks of [`check_vmlinux`], on the file's bytes: first the very
/// check Bilby's loader makes ([`elf::check`], which also refuses an
/// interpreter or dynamic section), then what a Linux image must also be:
/// linked at or above [`MIN_LINK_ADDRESS`] and entered at `_start`.
pub fn check_root_task_elf(b: &[u8]) -> Result<VmlinuxInfo> {
    let image = elf::check(b).map_err(|e| anyhow::anyhow!(describe_elf_error(e)))?;
    let segments = &image.segments[..image.count];
    let lowest = segments.iter().map(|s| s.vaddr).min().unwrap_or_default();
    let highest = segments
        .iter()
        .map(|s| s.vaddr + s.memsz)
        .max()
        .unwrap_or_default();
    if lowest < MIN_LINK_ADDRESS {
        bail!("PT_LOAD at {lowest:#x} is outside user space above {MIN_LINK_ADDRESS:#x}");
    }
    let malformed = |_| anyhow::anyhow!("not a well-formed ELF64 file");
    let hdr = FileHeader64::<LittleEndian>::parse(b).map_err(malformed)?;
    let endian = hdr.endian().map_err(malformed)?;
    let sections = hdr.sections(endian, b).map_err(malformed)?;
    if !sections.is_empty() {
        let symbols = sections.symbols(endian, b, SHT_SYMTAB).map_err(malformed)?;
        let start = symbols
            .iter()
            .find(|s| symbols.symbol_name(endian, s) == Ok(b"_start".as_slice()))
            .map(|s| s.st_value(endian))
            .context("no _start symbol")?;
        if start != image.entry {
            bail!("entry {:#x} is not _start ({start:#x})", image.entry);
        }
    }
    Ok(VmlinuxInfo {
        entry: image.entry,
        lowest,
        highest,
        abi_major: bilby_abi::abi_version_major(image.abi_version),
        abi_minor: bilby_abi::abi_version_minor(image.abi_version),
    })
}

/// Why Bilby's loader refuses an image, in words.
fn describe_elf_error(e: ElfError) -> String {
    match e {
        ElfError::Malformed => "not a well-formed little-endian ELF64 file".into(),
        ElfError::WrongMachine(m) => format!("machine {m} is not x86_64"),
        ElfError::NotExecutable(t) => {
            format!("ELF type {t} is not ET_EXEC (a static, position-dependent executable)")
        }
        ElfError::BadSegmentCount => format!(
            "no PT_LOAD segment, or more than the loader's {}",
            elf::MAX_SEGMENTS
        ),
        ElfError::BadSegment(va) => format!(
            "PT_LOAD at {va:#x} is outside user space [{:#x}, {:#x}) or its data outside the file",
            bilby_abi::USER_SPACE_START,
            elf::IMAGE_END
        ),
        ElfError::BadEntry(entry) => {
            format!("entry {entry:#x} is in no executable segment of the image")
        }
        ElfError::MissingNote => "no Bilby ABI note in a PT_NOTE segment".into(),
        ElfError::BadNote => {
            "a note is malformed, or the Bilby ABI note is not two 32-bit words".into()
        }
        ElfError::Dynamic(what) => format!("has a {what} segment: not a static executable"),
        ElfError::IncompatibleAbi(major, minor) => format!(
            "built against Bilby ABI {major}.{minor}, but this tree's ABI is {}.{}",
            bilby_abi::BILBY_ABI_MAJOR,
            bilby_abi::BILBY_ABI_MINOR
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::elf::{PF_R, PF_X, PT_LOAD, PT_NOTE};

    /// A minimal ELF64 image: one PT_LOAD, one PT_NOTE with the given note.
    fn elf(e_type: u16, vaddr: u64, entry: u64, note: Option<(&str, u32, u32)>) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 2 * 56];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[6] = 1;
        b[16..18].copy_from_slice(&e_type.to_le_bytes());
        b[18..20].copy_from_slice(&62u16.to_le_bytes());
        b[24..32].copy_from_slice(&entry.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&2u16.to_le_bytes());
        let mut notes = Vec::new();
        if let Some((name, major, minor)) = note {
            let n = name.len() + 1;
            notes.extend_from_slice(&(n as u32).to_le_bytes());
            notes.extend_from_slice(&8u32.to_le_bytes());
            notes.extend_from_slice(&bilby_abi::ABI_NOTE_TYPE.to_le_bytes());
            notes.extend_from_slice(name.as_bytes());
            notes.push(0);
            while notes.len() % 4 != 0 {
                notes.push(0);
            }
            notes.extend_from_slice(&major.to_le_bytes());
            notes.extend_from_slice(&minor.to_le_bytes());
        }
        let note_off = b.len() as u64;
        let ph = |b: &mut Vec<u8>, at: usize, t: u32, flags: u32, off: u64, va: u64, sz: u64| {
            b[at..at + 4].copy_from_slice(&t.to_le_bytes());
            b[at + 4..at + 8].copy_from_slice(&flags.to_le_bytes());
            b[at + 8..at + 16].copy_from_slice(&off.to_le_bytes());
            b[at + 16..at + 24].copy_from_slice(&va.to_le_bytes());
            b[at + 32..at + 40].copy_from_slice(&sz.min(note_off).to_le_bytes());
            b[at + 40..at + 48].copy_from_slice(&sz.to_le_bytes());
        };
        // The headers as the start of a text segment of one page.
        ph(&mut b, 64, PT_LOAD, PF_R | PF_X, 0, vaddr, 0x1000);
        ph(&mut b, 120, PT_NOTE, PF_R, note_off, 0, notes.len() as u64);
        b.extend_from_slice(&notes);
        b
    }

    /// Makes the text segment of an [`elf`] image non-executable.
    fn without_execute(mut image: Vec<u8>) -> Vec<u8> {
        image[68..72].copy_from_slice(&PF_R.to_le_bytes());
        image
    }

    const MAJOR: u32 = bilby_abi::BILBY_ABI_MAJOR;

    const GOOD_LOG: &str = "\
[    0.000000] Linux version 6.12.117 (root@vm)
[    0.000355] l4: Linux on Bilby, kernel ABI 1.0, built for 1.0
[    0.000491] l4: memory: image 0x400000-0x6f2000, 64 MiB granted by Bilby at 0x6f2000-0x46f2000
[    0.002368] l4: timer: Bilby TimerSet ticks by IPC to the interrupt thread, TSC 2445332 kHz
[    0.062644] l4: timer: slept 57 ms (asked 50): 6 ticks, 6 idle wake-ups by IPC
[    0.073043] l4: timer: busy loop interrupted by a tick after 9 ms (1 diversions)
[    0.065969] Run /init as init process
[    0.066000] Failed to execute /init (error -8)
[    0.066859] Kernel panic - not syncing: No working init found.  Try passing init= option
";

    #[test]
    fn patched_paths_come_from_the_new_side() {
        let p = "--- a/init/main.c\t2024\n+++ b/init/main.c\t2024\n@@ -1 +1 @@\n\
                 --- /dev/null\n+++ b/arch/l4/new.c\n";
        assert_eq!(patched_paths(p), ["init/main.c", "arch/l4/new.c"]);
        assert!(patched_paths("+++ /dev/null\n").is_empty());
    }

    #[test]
    fn reads_c_defines() {
        let h = "#define A_B 12\n#define\tX_HEX\t0x2a\n#define C (1)\n";
        assert_eq!(c_define(h, "X_HEX"), Some(0x2a));
        assert_eq!(c_define(h, "A_B"), Some(12));
        assert_eq!(c_define(h, "A"), None);
        assert_eq!(c_define(h, "C"), None);
    }

    #[test]
    fn a_stage_one_boot_passes() {
        check_boot_log(GOOD_LOG).expect("good log");
        let panic = exit_panic().expect("BILBY_EXIT_PANIC in the seam header");
        judge_boot(GOOD_LOG, Some(panic)).expect("good boot");
        assert!(judge_boot(GOOD_LOG, Some(panic + 1)).is_err());
        assert!(judge_boot(GOOD_LOG, None).is_err());
    }

    #[test]
    fn early_panics_hangs_and_missing_ticks_fail() {
        let early = GOOD_LOG.replace(
            "[    0.002368] l4: timer",
            "[    0.002000] Kernel panic - not syncing: l4: cannot start\n[    0.002368] l4: timer",
        );
        let err = check_boot_log(&early).expect_err("early panic").to_string();
        assert!(err.contains("panicked before"), "{err}");

        let hung = &GOOD_LOG[..GOOD_LOG.find("[    0.065969]").expect("marker")];
        assert!(check_boot_log(hung).is_err());

        let no_ticks = GOOD_LOG.replace("(asked 50): 6 ticks", "(asked 50): 0 ticks");
        let err = check_boot_log(&no_ticks).expect_err("no ticks").to_string();
        assert!(err.contains("no timer tick"), "{err}");

        let no_ipc_wakeup = GOOD_LOG.replace("6 ticks, 6 idle", "6 ticks, 0 idle");
        let err = check_boot_log(&no_ipc_wakeup)
            .expect_err("idle never woken by IPC")
            .to_string();
        assert!(err.contains("never woken by IPC"), "{err}");

        let not_interrupted = GOOD_LOG.replace("loop interrupted by", "loop NOT interrupted by");
        assert!(check_boot_log(&not_interrupted).is_err());

        let other_end = GOOD_LOG.replace("No working init found", "Oops");
        assert!(check_boot_log(&other_end).is_err());
        assert!(check_boot_log("").is_err());
    }

    #[test]
    fn accepts_a_static_image_with_the_note() {
        let info = check_root_task_elf(&elf(2, 0x40_0000, 0x40_0010, Some(("Bilby", MAJOR, 0))))
            .expect("valid image");
        assert_eq!(info.entry, 0x40_0010);
        assert_eq!((info.lowest, info.highest), (0x40_0000, 0x40_1000));
        assert_eq!(info.abi_major, MAJOR);
    }

    #[test]
    fn rejects_what_bilby_cannot_load() {
        let cases = [
            (
                elf(3, 0x40_0000, 0x40_0010, Some(("Bilby", MAJOR, 0))),
                "ET_EXEC",
            ),
            (
                elf(2, 0x1000, 0x1010, Some(("Bilby", MAJOR, 0))),
                "outside user space",
            ),
            (
                elf(2, 0x40_0000, 0x50_0000, Some(("Bilby", MAJOR, 0))),
                "entry",
            ),
            (elf(2, 0x40_0000, 0x40_0010, None), "no Bilby ABI note"),
            (
                elf(2, 0x40_0000, 0x40_0010, Some(("Bilbo", MAJOR, 0))),
                "no Bilby ABI note",
            ),
            (
                elf(2, 0x40_0000, 0x40_0010, Some(("Bilby", MAJOR + 1, 0))),
                "built against",
            ),
            (
                without_execute(elf(2, 0x40_0000, 0x40_0010, Some(("Bilby", MAJOR, 0)))),
                "no executable segment",
            ),
            (
                elf(2, 0x10_0000, 0x10_0010, Some(("Bilby", MAJOR, 0))),
                "outside user space above",
            ),
        ];
        for (image, why) in cases {
            let err = check_root_task_elf(&image).expect_err(why).to_string();
            assert!(err.contains(why), "expected `{why}` in `{err}`");
        }
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        assert!(check_root_task_elf(b"").is_err());
        assert!(check_root_task_elf(b"\x7fELF").is_err());
        let mut truncated = elf(2, 0x40_0000, 0x40_0010, Some(("Bilby", MAJOR, 0)));
        truncated.truncate(100);
        assert!(check_root_task_elf(&truncated).is_err());
        let mut huge = elf(2, 0x40_0000, 0x40_0010, Some(("Bilby", MAJOR, 0)));
        huge[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(check_root_task_elf(&huge).is_err());
    }
}
