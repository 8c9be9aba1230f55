//! `cargo xtask`: the one front door for developer tasks.
//!
//! Every command the README shows goes through here, so CI and people run
//! exactly the same steps. Each area owns a module: `headers` and `abi_check`
//! (the ABI), `kernel` (build, boot, QEMU tests), `diffstat` (corpus test,
//! benchmark, report), `bench` (kernel benchmarks), `linux` (the l4 arch).
//! This file only parses the command line and dispatches; it must never grow
//! logic of its own.

mod abi_check;
mod bench;
mod cpio;
mod diffstat;
mod headers;
mod kernel;
mod linux;
mod util;

use anyhow::{bail, Result};

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  run [--root ELF] [--module ELF]... [--tcg|--kvm|--icount]
                                                 build the kernel and boot it in QEMU (default:
                                                 the personality demo; KVM where it opens)
  run --qemu-tests [--quick]                     the kernel's QEMU test scenarios alone
  run --linux                                    boot Linux (ARCH=l4) as the root task
  test [--quick]                                 every gate and test CI runs
  bench kernel                                   Bilby, native Linux and UML: bench/REPORT.md
  bench kernel --budgets [--quick]               the path-length budget check of `test`
  bench kernel --bless-budgets                   bench/budgets.json from bench/REPORT.json
  bench kernel --render                          bench/REPORT.md again from bench/REPORT.json
  bench diffstat                                 the diffstat benchmark, written as a report
  headers [--check] [--install PREFIX]           regenerate (or check) the C headers
  abi-check [--bless]                            compare the ABI with its baseline
  linux [--source DIR]                           build Linux for ARCH=l4
  diffstat-report                                regenerate diffstat/REPORT.md
";

fn main() {
    if let Err(e) = real_main() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprint!("{USAGE}");
        bail!("no command given");
    }
    let cmd = args.remove(0);
    match cmd.as_str() {
        "run" => kernel::run_command(&args),
        "test" => test(&args),
        "bench" => match args.first().map(String::as_str) {
            Some("kernel") => bench::kernel_bench(&args[1..]),
            Some("diffstat") => diffstat::bench(&args[1..]),
            _ => bail!("usage: cargo xtask bench kernel|diffstat"),
        },
        "headers" => headers::command(&args),
        "abi-check" => abi_check::command(&args),
        "linux" => linux::command(&args),
        "diffstat-report" => diffstat::report(&args),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("{USAGE}");
            bail!("unknown command `{other}`")
        }
    }
}

/// The test command: what `.ci/run` and the README call.
fn test(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    util::ensure_packages(&util::TEST_PACKAGES)?;
    util::step("cargo fmt --check", || {
        util::cargo(&["fmt", "--all", "--check"])
    })?;
    util::step("cargo clippy -D warnings", || {
        util::cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
    })?;
    util::step("header drift check", || {
        headers::command(&["--check".into()])
    })?;
    util::step("ABI baseline check", || abi_check::command(&[]))?;
    util::step("cargo test --workspace", || {
        util::cargo(&["test", "--workspace"])
    })?;
    util::step("kernel tests in QEMU", || kernel::qemu_tests(quick))?;
    util::step("path-length budgets", || bench::budget_test(quick))?;
    util::step("diffstat corpus test", || diffstat::corpus_test(quick))?;
    util::step("linux arch/l4 boot test", || linux::boot_test(quick))?;
    eprintln!("xtask: all tests passed");
    Ok(())
}
