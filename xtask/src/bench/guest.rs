//! Building the static C benchmark and the initramfs that carries it.

use super::cpio::{self, Entry};
use crate::util;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The benchmark's source, relative to the workspace root.
pub const SOURCE: &str = "bench/linux_syscall.c";

/// gcc flags: freestanding and static, so the one binary runs as init of any
/// x86_64 Linux (native, UML, the host) with nothing else in the image.
pub const CFLAGS: [&str; 11] = [
    "-static",
    "-nostdlib",
    "-ffreestanding",
    "-fno-builtin",
    "-fno-stack-protector",
    "-fno-pie",
    "-no-pie",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
];

/// Compiles the benchmark into `out_dir` and returns the binary's path.
pub fn build(out_dir: &Path) -> Result<PathBuf> {
    util::ensure_packages(&[("gcc", "/usr/bin/gcc")])?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let out = out_dir.join("linux_syscall");
    util::run(
        Command::new("gcc")
            .args(CFLAGS)
            .arg("-o")
            .arg(&out)
            .arg(util::root().join(SOURCE)),
    )
    .context("compiling the native-Linux benchmark")?;
    Ok(out)
}

/// Writes an initramfs with `binary` as `/init` (and `/dev/console` for its
/// output) to `out`.
pub fn initramfs(binary: &Path, out: &Path) -> Result<()> {
    let data = std::fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    let entries = [
        Entry::Dir {
            path: "dev".into(),
            perm: 0o755,
        },
        Entry::CharDev {
            path: "dev/console".into(),
            perm: 0o600,
            major: 5,
            minor: 1,
        },
        Entry::Dir {
            path: "proc".into(),
            perm: 0o555,
        },
        Entry::Dir {
            path: "sys".into(),
            perm: 0o555,
        },
        Entry::File {
            path: "init".into(),
            perm: 0o755,
            data,
        },
    ];
    std::fs::write(out, cpio::archive(&entries)?)
        .with_context(|| format!("writing {}", out.display()))
}
