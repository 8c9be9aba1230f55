//! Building the kernel and the C guests, booting them in QEMU, and the QEMU
//! test scenarios.
//!
//! The kernel is built for the host target as a bare-metal binary in its own
//! target directory (`target/kernel`), so its flags never invalidate the host
//! build cache. Guests are freestanding C programs in `tests/guests/`,
//! compiled with the compiler the `cc` crate finds, against the ABI headers.
//! A boot bundle (a `newc` cpio archive: the root task first, then the
//! modules) is passed as QEMU's single `-initrd` file, because QEMU's PVH
//! loader hands over exactly one module.
//!
//! [`boot`] is the reusable front door (the benchmark uses it too): it
//! builds everything, boots, and returns the serial log and the exit code.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{cpio, util};

pub use bilby_kernel::exit::KERNEL_PANIC as EXIT_KERNEL_PANIC;
/// Exit codes the kernel writes itself (panic, idle forever, bad root).
pub use bilby_kernel::exit::{BAD_ROOT as EXIT_BAD_ROOT, IDLE_FOREVER as EXIT_IDLE_FOREVER};

/// How QEMU runs the guest CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    /// Hardware virtualization (`/dev/kvm`).
    Kvm,
    /// QEMU's software emulation.
    Tcg,
}

impl Accel {
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// The guest CPU model under TCG, for every boot: the QEMU tests, `run`, and
/// every path-length run of the benchmark, Linux's and Bilby's alike (path
/// lengths depend on the features a kernel sees, so both sides must see the
/// same CPU).
pub const TCG_CPU: &str = "max";

/// Whether `/dev/kvm` opens for reading and writing: then `run`, the QEMU
/// tests, the Linux boot test and the benchmark's timed runs use KVM (on a
/// kvm_pvm host the kernel runs in its PVM mode, see pvm.rs).
pub fn kvm_available() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// Whether the host's KVM is PVM (`kvm_pvm`, "Pagetable-based Virtual
/// Machine"), which runs guest kernels at hardware CPL 3. Bilby detects it
/// at boot and switches to its PVM mode (kernel/src/arch/x86_64/pvm.rs),
/// whose entry and exit code is not the one TCG runs.
pub fn kvm_is_pvm() -> bool {
    Path::new("/sys/module/kvm_pvm").exists()
}

/// The accelerators to test with: TCG always, KVM where it opens.
pub fn test_accels() -> Vec<Accel> {
    let mut v = vec![Accel::Tcg];
    if kvm_available() {
        v.push(Accel::Kvm);
    }
    v
}

/// How to boot.
#[derive(Debug, Clone)]
pub struct BootOptions {
    pub accel: Accel,
    /// TCG only: `-icount shift=0`, so the TSC counts instructions.
    pub icount: bool,
    /// Kill QEMU after this long.
    pub timeout: Duration,
    /// Copy the serial output to stdout as it arrives.
    pub echo: bool,
    /// Guest RAM in MiB.
    pub memory_mib: u32,
    /// More QEMU arguments.
    pub extra_qemu_args: Vec<String>,
}

impl BootOptions {
    pub fn new(accel: Accel) -> Self {
        BootOptions {
            accel,
            icount: false,
            timeout: Duration::from_secs(60),
            echo: false,
            memory_mib: 256,
            extra_qemu_args: Vec::new(),
        }
    }
}

/// What a boot produced.
#[derive(Debug, Clone)]
pub struct BootOutcome {
    /// Everything the kernel and guests wrote to the serial console.
    pub log: String,
    /// The code written to `isa-debug-exit`, if QEMU stopped through it.
    pub exit_code: Option<u32>,
    /// QEMU's own exit status (None if killed).
    pub qemu_status: Option<i32>,
    /// Whether the timeout killed QEMU.
    pub timed_out: bool,
    /// The QEMU command as run: the program, then its arguments.
    pub command: Vec<String>,
}

impl BootOutcome {
    /// A one-line description of how the boot ended.
    pub fn describe(&self) -> String {
        if self.timed_out {
            return "timed out".into();
        }
        match (self.exit_code, self.qemu_status) {
            (Some(EXIT_KERNEL_PANIC), _) => "kernel panic".into(),
            (Some(EXIT_IDLE_FOREVER), _) => "no runnable thread left (idle forever)".into(),
            (Some(EXIT_BAD_ROOT), _) => "no root task could be loaded".into(),
            (Some(c), _) => format!("exit code {c}"),
            (None, Some(s)) => format!("QEMU exited with status {s} without isa-debug-exit"),
            (None, None) => "QEMU was killed by a signal".into(),
        }
    }
}

/// Builds the kernel and returns the path of its ELF image. Cargo runs once
/// per xtask process: every boot of a test or benchmark run wants the same
/// image, and each cargo run would replay the build's warnings.
pub fn build_kernel() -> Result<PathBuf> {
    static BUILT: Mutex<bool> = Mutex::new(false);
    let mut built = BUILT
        .lock()
        .map_err(|_| anyhow::anyhow!("an earlier kernel build panicked"))?;
    if !*built {
        kernel_cargo("build")?;
        *built = true;
    }
    Ok(util::root().join("target/kernel/x86_64-unknown-linux-gnu/release/bilby-kernel"))
}

/// Lints the bare-metal kernel binary, which the workspace-wide clippy run
/// cannot build (see kernel/Cargo.toml).
pub fn clippy_kernel() -> Result<()> {
    kernel_cargo("clippy")
}

fn kernel_cargo(command: &str) -> Result<()> {
    let root = util::root();
    let target_dir = root.join("target/kernel");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        command,
        "--quiet",
        "--release",
        "-p",
        "bilby-kernel",
        "--features",
        "bare-metal",
        "--bin",
        "bilby-kernel",
        "--target",
        "x86_64-unknown-linux-gnu",
        "--target-dir",
    ])
    .arg(&target_dir);
    if command == "clippy" {
        cmd.args(["--", "-D", "warnings"]);
    }
    let st = cmd
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env(
            "RUSTFLAGS",
            // No SSE in kernel code: KVM's PVM cannot run SSE instructions in
            // guest kernel mode (seen here: "KVM internal error, emulation
            // failure" on `movd`), and the kernel never needs them. rustc
            // warns that the x86_64 float ABI wants SSE2 (rust-lang/rust
            // #116344); the warning is expected and harmless, because the
            // kernel has no floating point. The target that avoids it,
            // x86_64-unknown-none, cannot be installed on these machines.
            // The precompiled `core` still has SSE (its integer formatting),
            // so kernel messages print numbers with console::Dec/Hex.
            "-C relocation-model=static -C code-model=kernel -C no-redzone=yes \
             -C target-feature=-sse,-sse2",
        )
        .current_dir(&root)
        .status()
        .with_context(|| format!("running cargo {command} on the kernel"))?;
    if !st.success() {
        bail!("cargo {command} on the kernel failed ({st})");
    }
    Ok(())
}

/// The C guests under `tests/guests/`: each `NAME.c` there is one program,
/// linked with the runtime in `tests/guests/rt/`.
pub fn guest_source_dir() -> PathBuf {
    util::root().join("tests/guests")
}

/// How every C guest of Bilby is compiled (the test guests here, the
/// benchmark's in `bench/guests/`): freestanding and static, no red zone,
/// general registers only (guests are built like kernel code), one segment
/// per page.
const GUEST_CFLAGS: [&str; 18] = [
    "-std=c11",
    "-O2",
    "-g",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-ffreestanding",
    "-fno-builtin",
    "-fno-stack-protector",
    "-fno-pic",
    "-no-pie",
    "-static",
    "-nostdlib",
    "-mno-red-zone",
    "-mgeneral-regs-only",
    "-fno-asynchronous-unwind-tables",
    "-Wl,--build-id=none",
    "-Wl,-z,max-page-size=4096",
];

/// The C compiler (as the `cc` crate finds it) with [`GUEST_CFLAGS`] and
/// the ABI and hypercall headers on the include path. The caller adds its
/// own include paths, linker script, output and sources.
pub fn guest_compiler() -> Result<Command> {
    let root = util::root();
    let mut cmd = host_c_compiler("the guests")?;
    // After cc's hosted-code defaults, so that these win (-fno-pic over -fPIC).
    cmd.args(GUEST_CFLAGS)
        .arg(format!("-I{}", root.join("abi/include").display()))
        .arg(format!("-I{}", root.join("hypercalls/include").display()));
    Ok(cmd)
}

/// The host's C compiler as the `cc` crate finds it (outside a build
/// script, so with the target named), for compiling `what`.
pub fn host_c_compiler(what: &str) -> Result<Command> {
    let compiler = cc::Build::new()
        .target("x86_64-unknown-linux-gnu")
        .host("x86_64-unknown-linux-gnu")
        .opt_level(2)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()
        .with_context(|| format!("finding a C compiler for {what}"))?;
    Ok(compiler.to_command())
}

/// Runs a compile from [`guest_compiler`] for the guest `name`, with the
/// compiler's output in the error when it fails.
pub fn compile_guest(mut cmd: Command, name: &str) -> Result<()> {
    let o = cmd
        .output()
        .with_context(|| format!("running the C compiler for guest `{name}`"))?;
    if !o.status.success() {
        bail!(
            "compiling guest `{name}` failed:\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    Ok(())
}

/// Builds the named guests (file stems under `tests/guests/`) and returns
/// their ELF paths, in the same order.
pub fn build_guests(names: &[&str]) -> Result<Vec<PathBuf>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let root = util::root();
    let src = guest_source_dir();
    let out = root.join("target/guests");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut rt: Vec<PathBuf> = std::fs::read_dir(src.join("rt"))
        .with_context(|| format!("reading {}", src.join("rt").display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("c" | "S")))
        .collect();
    rt.sort();
    let mut paths = Vec::new();
    for name in names {
        if src.join(name).join("Cargo.toml").exists() {
            paths.push(build_rust_guest(name)?);
            continue;
        }
        let main = src.join(format!("{name}.c"));
        if !main.exists() {
            bail!("no guest named `{name}` ({} is missing)", main.display());
        }
        let elf = out.join(format!("{name}.elf"));
        let mut cmd = guest_compiler()?;
        cmd.arg(format!("-I{}", src.join("rt").display()))
            .arg(format!("-T{}", src.join("guest.ld").display()))
            .arg("-o")
            .arg(&elf)
            .args(&rt)
            .arg(&main)
            .arg("-lgcc");
        compile_guest(cmd, name)?;
        paths.push(elf);
    }
    Ok(paths)
}

/// Builds a Rust guest (`tests/guests/NAME/`, its own cargo workspace) for
/// the host target as a static image, in `target/rust-guests`.
fn build_rust_guest(name: &str) -> Result<PathBuf> {
    rust_guest_cargo(name, "build")?;
    let root = util::root();
    let built = root
        .join("target/rust-guests/x86_64-unknown-linux-gnu/release")
        .join(name);
    // Give it the .elf name the bundle and the boot messages use.
    let out = root.join("target/guests").join(format!("{name}.elf"));
    std::fs::create_dir_all(root.join("target/guests"))?;
    std::fs::copy(&built, &out).with_context(|| format!("copying {}", built.display()))?;
    Ok(out)
}

/// The Rust guests (directories under `tests/guests/` with a Cargo.toml).
fn rust_guests() -> Result<Vec<String>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(guest_source_dir())? {
        let p = e?.path();
        if p.join("Cargo.toml").exists() {
            if let Some(n) = p.file_name().and_then(|n| n.to_str()) {
                v.push(n.to_string());
            }
        }
    }
    v.sort();
    Ok(v)
}

/// Checks the formatting of the Rust guests and lints them (their own
/// workspaces, outside the main one).
pub fn check_rust_guests() -> Result<()> {
    for name in rust_guests()? {
        let manifest = guest_source_dir().join(&name).join("Cargo.toml");
        util::cargo(&[
            "fmt",
            "--check",
            "--manifest-path",
            &manifest.to_string_lossy(),
        ])?;
        rust_guest_cargo(&name, "clippy")?;
    }
    Ok(())
}

fn rust_guest_cargo(name: &str, command: &str) -> Result<()> {
    let root = util::root();
    let dir = guest_source_dir().join(name);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        command,
        "--quiet",
        "--release",
        "--target",
        "x86_64-unknown-linux-gnu",
    ])
    .arg("--manifest-path")
    .arg(dir.join("Cargo.toml"))
    .arg("--target-dir")
    .arg(root.join("target/rust-guests"))
    .env_remove("CARGO_ENCODED_RUSTFLAGS")
    .env("RUSTFLAGS", "-C relocation-model=static")
    .current_dir(&dir);
    if command == "clippy" {
        cmd.args(["--", "-D", "warnings"]);
    }
    let o = cmd
        .output()
        .with_context(|| format!("running cargo {command} for the Rust guest `{name}`"))?;
    if !o.status.success() {
        bail!(
            "cargo {command} on the Rust guest `{name}` failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    Ok(())
}

/// Writes the boot bundle: a `newc` cpio archive with the root task first,
/// each file under its own file name.
pub fn write_bundle(path: &Path, root_task: &Path, modules: &[PathBuf]) -> Result<()> {
    let mut entries = Vec::new();
    for file in std::iter::once(root_task).chain(modules.iter().map(PathBuf::as_path)) {
        let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{} has no usable file name", file.display()))?;
        entries.push(cpio::Entry::File {
            path: name.into(),
            perm: 0o644,
            data,
        });
    }
    std::fs::write(path, cpio::archive(&entries)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// Builds the kernel, bundles `root_task` and `modules`, boots them in QEMU
/// and returns the serial log and exit code. `root_task` None boots the
/// kernel alone.
pub fn boot(
    root_task: Option<&Path>,
    modules: &[PathBuf],
    opts: &BootOptions,
) -> Result<BootOutcome> {
    util::ensure_packages(&[("qemu-system-x86", "/usr/bin/qemu-system-x86_64")])?;
    let kernel = build_kernel()?;
    let mut qemu = Command::new("qemu-system-x86_64");
    qemu.args([
        "-machine",
        "pc",
        "-nodefaults",
        "-display",
        "none",
        "-no-reboot",
    ])
    .args(["-m", &format!("{}M", opts.memory_mib)])
    .args(["-serial", "stdio", "-monitor", "none"])
    .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
    .arg("-kernel")
    .arg(&kernel);
    match opts.accel {
        Accel::Kvm => {
            qemu.args(["-accel", "kvm", "-cpu", "host,-arch-capabilities"]);
        }
        Accel::Tcg => {
            qemu.args(["-accel", "tcg", "-cpu", TCG_CPU]);
            if opts.icount {
                qemu.args(["-icount", "shift=0"]);
            }
        }
    }
    let bundle;
    if let Some(root_task) = root_task {
        let dir = util::root().join("target/kernel/boot");
        std::fs::create_dir_all(&dir)?;
        bundle = dir.join(format!(
            "{}-{}.cpio",
            root_task
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("root"),
            std::process::id()
        ));
        write_bundle(&bundle, root_task, modules)?;
        qemu.arg("-initrd").arg(&bundle);
    } else {
        bundle = PathBuf::new();
    }
    qemu.args(&opts.extra_qemu_args);
    let outcome = run_qemu(qemu, opts);
    if root_task.is_some() {
        let _ = std::fs::remove_file(&bundle);
    }
    outcome
}

fn run_qemu(mut qemu: Command, opts: &BootOptions) -> Result<BootOutcome> {
    let command = std::iter::once(qemu.get_program())
        .chain(qemu.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut child = qemu
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting qemu-system-x86_64")?;
    let log = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut stdout = child.stdout.take().context("qemu stdout")?;
    let mut stderr = child.stderr.take().context("qemu stderr")?;
    let echo = opts.echo;
    let log2 = Arc::clone(&log);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if echo {
                        use std::io::Write;
                        let mut o = std::io::stdout().lock();
                        let _ = o.write_all(&buf[..n]);
                        let _ = o.flush();
                    }
                    log2.lock().expect("log lock").extend_from_slice(&buf[..n]);
                }
            }
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break Some(st);
        }
        if start.elapsed() > opts.timeout {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    let err = err_reader.join().unwrap_or_default();
    let mut log = String::from_utf8_lossy(&log.lock().expect("log lock")).replace('\r', "");
    if !err.is_empty() {
        log.push_str("\n[qemu stderr]\n");
        log.push_str(&String::from_utf8_lossy(&err));
    }
    let qemu_status = status.and_then(|s| s.code());
    let exit_code = match qemu_status {
        Some(c) if c & 1 == 1 => Some((c as u32) >> 1),
        _ => None,
    };
    Ok(BootOutcome {
        log,
        exit_code,
        qemu_status,
        timed_out,
        command,
    })
}

/// `cargo xtask run [--root ELF] [--module ELF]... [--tcg|--kvm|--icount]`:
/// boots the given root task and modules, or by default the demo (the
/// personality root task serving the Linux-numbered app). `run --qemu-tests
/// [--quick]` runs the QEMU scenarios alone; `run --linux` boots Linux.
pub fn run_command(args: &[String]) -> Result<()> {
    const USAGE: &str = "usage: cargo xtask run [--root ELF] [--module ELF]... \
                         [--tcg|--kvm|--icount] | --qemu-tests [--quick] | --linux";
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        // The QEMU scenarios alone, without the rest of `cargo xtask test`.
        ["--qemu-tests"] => return qemu_tests(false),
        ["--qemu-tests", "--quick"] | ["--quick", "--qemu-tests"] => return qemu_tests(true),
        // Linux as the root task: build, boot and judge it (linux.rs).
        ["--linux"] => return crate::linux::command(&["--qemu".into()]),
        _ => {}
    }
    let mut root_task: Option<PathBuf> = None;
    let mut modules = Vec::new();
    let mut accel = if kvm_available() {
        Accel::Kvm
    } else {
        Accel::Tcg
    };
    let mut icount = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--root" => root_task = Some(it.next().context("--root needs an ELF file")?.into()),
            "--module" => modules.push(PathBuf::from(
                it.next().context("--module needs an ELF file")?,
            )),
            "--tcg" => accel = Accel::Tcg,
            "--kvm" => accel = Accel::Kvm,
            "--icount" => {
                accel = Accel::Tcg;
                icount = true;
            }
            "--qemu-tests" | "--linux" | "--quick" => {
                bail!(
                    "run: `--qemu-tests [--quick]` and `--linux` take no other arguments ({USAGE})"
                )
            }
            other => bail!("run: unknown argument `{other}` ({USAGE})"),
        }
    }
    if root_task.is_none() && !modules.is_empty() {
        bail!("--module needs --root");
    }
    // A bare name (no path, no extension) names a guest in tests/guests/.
    let resolve = |p: PathBuf| -> Result<PathBuf> {
        let s = p.to_string_lossy().to_string();
        if !s.contains('/')
            && !s.contains('.')
            && (guest_source_dir().join(format!("{s}.c")).exists()
                || guest_source_dir().join(&s).join("Cargo.toml").exists())
        {
            Ok(build_guests(&[s.as_str()])?.remove(0))
        } else {
            Ok(p)
        }
    };
    root_task = root_task.map(resolve).transpose()?;
    modules = modules.into_iter().map(resolve).collect::<Result<_>>()?;
    if root_task.is_none() {
        // The default demo: the personality serving a Linux-numbered app.
        let g = build_guests(&["personality", "linux_app"])?;
        root_task = Some(g[0].clone());
        modules = g[1..].to_vec();
    }
    let mut opts = BootOptions::new(accel);
    opts.echo = true;
    opts.icount = icount;
    opts.timeout = Duration::from_secs(120);
    eprintln!("xtask: booting under {}", accel.name());
    let outcome = boot(root_task.as_deref(), &modules, &opts)?;
    eprintln!("xtask: {}", outcome.describe());
    match outcome.exit_code {
        Some(0) => Ok(()),
        _ => bail!(
            "the boot did not end with exit code 0: {}",
            outcome.describe()
        ),
    }
}

/// One QEMU test: what to boot and what the console must show.
struct Scenario {
    name: &'static str,
    /// Guest names (tests/guests/NAME.c); the first is the root task.
    guests: &'static [&'static str],
    /// The exit code the boot must end with.
    exit_code: u32,
    /// Lines (substrings) the log must contain, in this order.
    markers: &'static [&'static str],
    /// What the scenario proves.
    proves: &'static str,
    /// Broken images made from the last good guest.
    malformed: Malformed,
}

/// Which broken images a scenario adds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Malformed {
    /// None.
    No,
    /// Truncated, wrong-machine and foreign-ABI modules after the guests.
    Modules,
    /// A foreign-ABI image as the root task (the guests are not booted).
    Root,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "boot",
        guests: &[],
        exit_code: 0,
        markers: &["bilby: Bilby microkernel", "bilby: boot complete"],
        proves: "the kernel boots through PVH, reaches long mode, prints and exits",
        malformed: Malformed::No,
    },
    Scenario {
        name: "hello",
        guests: &["hello"],
        exit_code: 0,
        markers: &[
            "bilby: root task hello.elf loaded",
            "hello: root task running, kernel ABI 1.1",
            "hello: results in the documented registers; rbx, r12-r15 and the argument registers not returned through kept their values",
            "hello: done",
            "shutdown requested",
        ],
        proves: "a C root task loads from the bundle, runs in user mode, and its hypercalls work; each hypercall changes exactly the registers the ABI names",
        malformed: Malformed::No,
    },
    Scenario {
        name: "personality",
        guests: &["personality", "linux_app"],
        exit_code: 0,
        markers: &[
            "personality: starting linux_app.elf (pid 1) in virtualized mode",
            "app: hello from a Linux-numbered program on Bilby",
            "app: getpid() = 1",
            "app: brk grew the heap",
            "app: unknown syscall 999 returned -38",
            "personality: app exited with status 0",
            "one virtualized syscall = 4 mode switches, 2 address-space switches",
        ],
        proves: "a virtualized C app's Linux-numbered syscalls become exception IPC served by a C personality; one costs 4 mode and 2 address-space switches",
        malformed: Malformed::No,
    },
    Scenario {
        name: "counters",
        guests: &["counters", "echo_server", "vsys_app"],
        exit_code: 0,
        markers: &[
            "counters: null hypercall: 2 mode switches, 0 address-space switches",
            "counters: IPC call+reply between two tasks: 4 mode switches, 2 address-space switches",
            "counters: virtualized syscall: 4 mode switches, 2 address-space switches",
            "counters: all switch counts as designed",
        ],
        proves: "kernel counters: null hypercall = 2/0, IPC call+reply = 4/2, virtualized syscall = 4/2 (mode/address-space switches)",
        malformed: Malformed::No,
    },
    Scenario {
        name: "memory",
        guests: &["memory", "mem_client"],
        exit_code: 0,
        markers: &[
            "memory: client page fault at 50000000",
            "memory: the client read our abcd and its write 1234 is visible here",
            "memory: recursive unmap removed the client's and the grandchild mapping",
            "memory: grant moved the page to the client",
            "memory: all delegation checks passed",
        ],
        proves: "page faults reach the pager as IPC and MapAndResume maps; map shares frames; unmap is recursive over derived mappings; grant moves pages",
        malformed: Malformed::No,
    },
    Scenario {
        name: "threads",
        guests: &["threads", "worker"],
        exit_code: 0,
        markers: &[
            "threads: SSE registers survived hypercalls and a switch to an SSE-using task",
            "threads: a 64-word message went through the UTCBs and back",
            "threads: two spinning threads of equal priority both ran (timer preemption)",
            "threads: three periodic timer messages, times growing",
            "threads: a higher-priority thread preempts at once; send/receive; deleted cap gone",
            "threads: a task destroyed while its thread waited in IPC is gone, capabilities too",
            "threads: all checks passed",
        ],
        proves: "user SSE state survives kernel entries and task switches; 64-word UTCB messages; timer preemption round robin; periodic user timer messages",
        malformed: Malformed::No,
    },
    Scenario {
        name: "rust",
        guests: &["rust_hello"],
        exit_code: 0,
        markers: &[
            "rust: root task in Rust, kernel ABI 1.1",
            "rust: wrappers work: errors map to Status, counters read (4 mode switches around a nop)",
        ],
        proves: "a Rust root task built on the bilby-hypercalls wrappers runs and gets the documented results",
        malformed: Malformed::No,
    },
    Scenario {
        name: "robust",
        guests: &["robust", "intruder"],
        exit_code: 0,
        markers: &[
            "module truncated.elf refused: not a well-formed ELF64 file",
            "module wrong_machine.elf refused: ELF machine 3 is not x86_64",
            "module bad_abi.elf refused: built for ABI 99.",
            "robust: malformed modules were refused; a module built for ABI 1.0 loaded",
            "robust: bad arguments return error codes",
            "robust: intruder attempt 1 stopped: page fault 14 at ffffffff80100000",
            "robust: intruder attempt 2 stopped: page fault 14 at ffffffff80100000",
            "robust: intruder attempt 3 stopped: page fault 14 at 20000000",
            "robust: intruder attempt 4 stopped: syscall exception 256",
            "robust: intruder attempt 5 stopped: CPU exception 6",
            "robust: intruder attempt 6 stopped: CPU exception 0",
            "robust: intruder attempt 7 stopped: CPU exception 13",
            "CPU exception vector 6 at rip",
            "and no handler",
            "robust: a fault with no handler stopped the thread; the kernel runs on",
            "robust: isolation holds",
            "robust: 100000 random hypercalls survived",
            "all held",
        ],
        proves: "malformed modules are refused with a message; bad arguments give error codes; no access to kernel or other tasks' memory; no hypercalls from virtualized threads; #UD/#DE/#GP reach the handler; no handler stops the thread; a module built for ABI 1.0 loads; I/O-port and device-memory errors; issued capabilities keep their source's rights; 100,000 random hypercalls survived",
        malformed: Malformed::Modules,
    },
    Scenario {
        name: "rtc_driver",
        guests: &["rtc_driver"],
        exit_code: 0,
        markers: &[
            "rtc_driver: ports 0x70-0x71 issued, IRQ 8 attached, periodic interrupt on",
            "rtc_driver: 16 interrupts from IRQ 8 arrived as IPC, each acknowledged at the device and by IrqAck",
            "rtc_driver: interrupt off at the device: the next message was the timer's",
            "shutdown requested",
        ],
        proves: "a user-level driver: an I/O-port capability reaches the RTC, its IRQ arrives as IPC through an IRQ object, IrqAck re-arms it, and a device-disabled line stays quiet",
        malformed: Malformed::No,
    },
    Scenario {
        name: "hpet_driver",
        guests: &["hpet_driver"],
        exit_code: 0,
        markers: &[
            "hpet_driver: HPET at 0xfed00000 mapped into user space",
            "hpet_driver: main counter advanced",
            "hpet_driver: device memory refused for RAM and interrupt controllers; mapped, derived and unmapped like any memory",
            "shutdown requested",
        ],
        proves: "device memory: a Memory capability over the HPET's MMIO maps into user space, its counter runs, MapPages derives and UnmapPages recursively removes it; RAM, interrupt controllers, executable mappings, kernel reads of device memory and copies without the copy right are refused",
        malformed: Malformed::No,
    },
    Scenario {
        name: "bad_root",
        guests: &["hello"],
        exit_code: EXIT_BAD_ROOT,
        markers: &[
            "module bad_abi.elf refused: built for ABI 99.",
            "cannot start without a root task",
        ],
        proves: "a root task built for another ABI major is refused with a clear message and exit code 0x7c",
        malformed: Malformed::Root,
    },
];

fn check_markers(log: &str, markers: &[&str]) -> Result<()> {
    let mut rest = log;
    for m in markers {
        match rest.find(m) {
            Some(i) => rest = &rest[i + m.len()..],
            None => bail!("missing (in order) marker `{m}`"),
        }
    }
    Ok(())
}

/// Writes three broken copies of a good guest image: truncated, for another
/// machine, and with a foreign ABI major version in its note; and a fourth,
/// good one that claims the older minor version 1.0 (which must load).
fn malformed_modules(good: &Path) -> Result<Vec<PathBuf>> {
    let data = std::fs::read(good).with_context(|| format!("reading {}", good.display()))?;
    let dir = good.parent().context("guest directory")?;
    let truncated = data[..200.min(data.len())].to_vec();
    let mut wrong_machine = data.clone();
    wrong_machine[18..20].copy_from_slice(&3u16.to_le_bytes());
    let mut bad_abi = data.clone();
    let at = data
        .windows(6)
        .position(|w| w == b"Bilby\0")
        .context("no ABI note in the good image")?;
    bad_abi[at + 8..at + 12].copy_from_slice(&99u32.to_le_bytes());
    let mut older_minor = data.clone();
    older_minor[at + 12..at + 16].copy_from_slice(&0u32.to_le_bytes());
    let mut out = Vec::new();
    for (name, bytes) in [
        ("truncated.elf", truncated),
        ("wrong_machine.elf", wrong_machine),
        ("bad_abi.elf", bad_abi),
        ("abi_1_0.elf", older_minor),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))?;
        out.push(p);
    }
    Ok(out)
}

fn run_scenario(s: &Scenario, accel: Accel) -> Result<()> {
    let mut guests = build_guests(s.guests)?;
    if s.malformed != Malformed::No {
        let good = guests
            .last()
            .context("malformed modules need a guest")?
            .clone();
        let bad = malformed_modules(&good)?;
        if s.malformed == Malformed::Root {
            guests = vec![bad[2].clone()];
        } else {
            guests.extend(bad);
        }
    }
    let mut opts = BootOptions::new(accel);
    opts.timeout = Duration::from_secs(if accel == Accel::Tcg { 120 } else { 60 });
    let outcome = boot(
        guests.first().map(PathBuf::as_path),
        guests.get(1..).unwrap_or(&[]),
        &opts,
    )?;
    let verdict = if outcome.exit_code != Some(s.exit_code) {
        Err(anyhow::anyhow!(
            "expected exit code {}, got: {}",
            s.exit_code,
            outcome.describe()
        ))
    } else {
        check_markers(&outcome.log, s.markers)
    };
    verdict.map_err(|e| {
        anyhow::anyhow!(
            "scenario `{}` under {} failed: {e}\n----- serial log -----\n{}\n----- end of log -----",
            s.name,
            accel.name(),
            outcome.log
        )
    })
}

/// The QEMU test scenarios run by `cargo xtask test`: every scenario under
/// TCG and, where `/dev/kvm` opens, under KVM (quick: KVM only if present).
pub fn qemu_tests(quick: bool) -> Result<()> {
    let mut accels = test_accels();
    // Quick: KVM alone where it runs every scenario through the code TCG
    // runs; under PVM the kernel's entry and exit paths are its PVM ones, so
    // TCG stays.
    if quick && accels.len() > 1 && !kvm_is_pvm() {
        accels.remove(0);
    }
    util::step("clippy on the bare-metal kernel", clippy_kernel)?;
    util::step("rustfmt and clippy on the Rust guests", check_rust_guests)?;
    let mut failures = Vec::new();
    if kvm_is_pvm() && accels.contains(&Accel::Kvm) {
        eprintln!("xtask: KVM here is kvm_pvm: under KVM the kernel runs in its PVM mode");
    }
    for s in SCENARIOS {
        for &accel in &accels {
            let t = Instant::now();
            match run_scenario(s, accel) {
                Ok(()) => eprintln!(
                    "xtask: qemu test {} [{}] ok ({:.1}s): {}",
                    s.name,
                    accel.name(),
                    t.elapsed().as_secs_f64(),
                    s.proves
                ),
                Err(e) => {
                    eprintln!(
                        "xtask: qemu test {} [{}] FAILED\n{e:#}",
                        s.name,
                        accel.name()
                    );
                    failures.push(format!("{} [{}]", s.name, accel.name()));
                }
            }
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} QEMU test(s) failed: {}",
            failures.len(),
            failures.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundle xtask writes is the one the kernel reads: the kernel's own
    /// reader finds the root task first, then the modules, by file name.
    #[test]
    fn the_kernel_reads_the_bundle() {
        let dir = util::root().join(format!("target/kernel/test-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = [
            ("root.elf", &b"root task"[..]),
            ("a.elf", b"m"),
            ("bb.elf", b""),
        ];
        let paths: Vec<PathBuf> = files
            .iter()
            .map(|(name, data)| {
                let p = dir.join(name);
                std::fs::write(&p, data).unwrap();
                p
            })
            .collect();
        let bundle = dir.join("bundle.cpio");
        write_bundle(&bundle, &paths[0], &paths[1..]).unwrap();
        let bytes = std::fs::read(&bundle).unwrap();
        let read: Vec<(Vec<u8>, Vec<u8>)> = bilby_kernel::bundle::files(&bytes)
            .map(|f| {
                let f = f.unwrap();
                (f.name.to_vec(), f.data.to_vec())
            })
            .collect();
        let want: Vec<(Vec<u8>, Vec<u8>)> = files
            .iter()
            .map(|(n, d)| (n.as_bytes().to_vec(), d.to_vec()))
            .collect();
        assert_eq!(read, want);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
