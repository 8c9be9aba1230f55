//! Shared helpers for xtask: running commands, installing Debian packages.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian packages the test command needs: (package, a file that proves it is installed).
pub const TEST_PACKAGES: [(&str, &str); 5] = [
    ("qemu-system-x86", "/usr/bin/qemu-system-x86_64"),
    ("libclang-dev", "/usr/lib/llvm-14/lib/libclang.so"),
    ("busybox-static", "/bin/busybox"),
    ("linux-source-6.1", "/usr/src/linux-source-6.1.tar.xz"),
    ("linux-source-6.12", "/usr/src/linux-source-6.12.tar.xz"),
];

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Installs the Debian packages whose marker file is missing (apt-get, as root).
pub fn ensure_packages(pkgs: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = pkgs
        .iter()
        .filter(|(_, marker)| !Path::new(marker).exists())
        .map(|(p, _)| *p)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    let apt = |args: &[&str]| -> Result<()> {
        let st = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get (the test command installs its Debian packages as root)")?;
        if !st.success() {
            bail!("apt-get {} failed ({st})", args.join(" "));
        }
        Ok(())
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    apt(&install)
}

/// Runs `cargo` with the given arguments in the workspace root.
pub fn cargo(args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo).args(args).current_dir(root()))
}

/// Runs a command, failing with its command line when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let st = cmd.status().with_context(|| format!("spawning {cmd:?}"))?;
    if !st.success() {
        bail!("{cmd:?} failed ({st})");
    }
    Ok(())
}

/// Runs one named step of a larger job, printing its name and outcome.
pub fn step(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    eprintln!("xtask: ==> {name}");
    let t = std::time::Instant::now();
    f().with_context(|| format!("step `{name}` failed"))?;
    eprintln!("xtask: <== {name} ok ({:.1}s)", t.elapsed().as_secs_f64());
    Ok(())
}
