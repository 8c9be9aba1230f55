//! Building the static C benchmark and the initramfs that carries it.

use crate::cpio::{self, Entry};
use crate::util;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The benchmark's source, relative to the workspace root.
pub const SOURCE: &str = "bench/linux_syscall.c";
/// The init that runs UML inside Debian's kernel.
pub const UML_INIT_SOURCE: &str = "bench/uml_init.c";

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
    build_static(out_dir, SOURCE)
}

/// Compiles a freestanding static program (`source` relative to the
/// workspace root) into `out_dir`, named after its file stem.
pub fn build_static(out_dir: &Path, source: &str) -> Result<PathBuf> {
    util::ensure_packages(&[("gcc", "/usr/bin/gcc")])?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let src = util::root().join(source);
    let stem = src
        .file_stem()
        .with_context(|| format!("{source} has no file name"))?;
    let out = out_dir.join(stem);
    util::run(
        Command::new("gcc")
            .args(CFLAGS)
            .arg("-o")
            .arg(&out)
            .arg(&src),
    )
    .with_context(|| format!("compiling {source}"))?;
    Ok(out)
}

/// Bilby's benchmark guests, relative to the workspace root: the root task
/// first, then the boot modules it expects.
pub const BILBY_GUESTS: [&str; 4] = ["bilby_bench", "ipc_server", "virt_app", "ipc_stamp_server"];
const BILBY_GUEST_DIR: &str = "bench/guests";

/// Bilby's benchmark guests, built.
#[derive(Debug, Clone)]
pub struct BilbyGuests {
    pub root_task: PathBuf,
    pub modules: Vec<PathBuf>,
}

/// Compiles `bench/guests/*.c` into `out_dir` (as `<name>.elf`, the file
/// name being the module name the root task looks for), the way the test
/// guests are compiled (`kernel::guest_compiler`), without their runtime.
pub fn build_bilby_guests(out_dir: &Path) -> Result<BilbyGuests> {
    util::ensure_packages(&[("gcc", "/usr/bin/gcc")])?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let dir = util::root().join(BILBY_GUEST_DIR);
    let mut elfs = Vec::new();
    for name in BILBY_GUESTS {
        let elf = out_dir.join(format!("{name}.elf"));
        let mut cmd = crate::kernel::guest_compiler()?;
        cmd.arg("-o").arg(&elf).arg(dir.join(format!("{name}.c")));
        crate::kernel::compile_guest(cmd, name).context("compiling Bilby's benchmark guests")?;
        elfs.push(elf);
    }
    let root_task = elfs.remove(0);
    Ok(BilbyGuests {
        root_task,
        modules: elfs,
    })
}

/// Writes the initramfs that runs UML under Debian's kernel: `uml_init` as
/// `/init`, the stripped UML binary as `/uml/linux` with the shared
/// libraries it loads, and UML's hostfs root `/umlroot` holding `bench` as
/// its `/init`.
pub fn uml_initramfs(uml_init: &Path, uml: &Path, bench: &Path, out: &Path) -> Result<()> {
    util::ensure_packages(&[("binutils", "/usr/bin/strip")])?;
    let stripped = out.with_extension("linux-um");
    util::run(Command::new("strip").arg("-o").arg(&stripped).arg(uml))
        .context("stripping the UML binary")?;
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    let mut entries = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    let mut dir = |entries: &mut Vec<Entry>, path: &str| {
        // Parents first: the kernel creates entries in archive order.
        let mut at = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at = if at.is_empty() {
                part.to_string()
            } else {
                format!("{at}/{part}")
            };
            if dirs.insert(at.clone()) {
                entries.push(Entry::Dir {
                    path: at.clone(),
                    perm: 0o755,
                });
            }
        }
    };
    for d in [
        "dev",
        "proc",
        "sys",
        "tmp",
        "uml",
        "umlroot/dev",
        "umlroot/proc",
        "umlroot/sys",
    ] {
        dir(&mut entries, d);
    }
    entries.push(console());
    entries.push(Entry::File {
        path: "init".into(),
        perm: 0o755,
        data: read(uml_init)?,
    });
    entries.push(Entry::File {
        path: "uml/linux".into(),
        perm: 0o755,
        data: read(&stripped)?,
    });
    entries.push(Entry::File {
        path: "umlroot/init".into(),
        perm: 0o755,
        data: read(bench)?,
    });
    for lib in shared_libraries(uml)? {
        let rel = lib.trim_start_matches('/');
        if let Some((parent, _)) = rel.rsplit_once('/') {
            dir(&mut entries, parent);
        }
        entries.push(Entry::File {
            path: rel.to_string(),
            perm: 0o755,
            data: read(&std::fs::canonicalize(&lib)?)?,
        });
    }
    let _ = std::fs::remove_file(&stripped);
    std::fs::write(out, cpio::archive(&entries)?)
        .with_context(|| format!("writing {}", out.display()))
}

/// The absolute paths `ldd` names for `binary`'s shared libraries and
/// program interpreter (the vDSO, which has no file, left out).
fn shared_libraries(binary: &Path) -> Result<Vec<String>> {
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .context("running ldd")?;
    if !out.status.success() {
        anyhow::bail!(
            "ldd {} failed: {}",
            binary.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(parse_ldd(&String::from_utf8_lossy(&out.stdout)))
}

fn parse_ldd(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let path = match l.split_once("=>") {
                Some((_, right)) => right.trim(),
                None => l,
            };
            let path = path.split(" (").next()?.trim();
            path.starts_with('/').then(|| path.to_string())
        })
        .collect()
}

/// `/dev/console` (character device 5:1), where init's output goes before
/// devtmpfs is mounted.
fn console() -> Entry {
    Entry::CharDev {
        path: "dev/console".into(),
        perm: 0o600,
        major: 5,
        minor: 1,
    }
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
        console(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The guests must keep compiling against the generated ABI header and
    /// the hypercall stubs, and carry the ABI note the loader checks.
    #[test]
    fn bilby_guests_build_with_the_abi_headers() {
        let out = util::root().join("target/bench/test-guests");
        let g = build_bilby_guests(&out).unwrap();
        assert_eq!(g.modules.len(), 3);
        for elf in std::iter::once(&g.root_task).chain(&g.modules) {
            let bytes = std::fs::read(elf).unwrap();
            assert_eq!(&bytes[..4], b"\x7fELF", "{}", elf.display());
            let note = bytes.windows(6).any(|w| w == b"Bilby\0");
            assert!(note, "{} has no Bilby ABI note", elf.display());
        }
    }

    #[test]
    fn ldd_output() {
        let text = "\tlinux-vdso.so.1 (0x00007fd76645d000)\n\
                    \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fd766267000)\n\
                    \t/lib64/ld-linux-x86-64.so.2 (0x00007fd76645f000)\n";
        assert_eq!(
            parse_ldd(text),
            [
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib64/ld-linux-x86-64.so.2"
            ]
        );
    }

    #[test]
    fn the_uml_init_builds() {
        let out = util::root().join("target/bench/test-linux");
        let bin = build_static(&out, UML_INIT_SOURCE).unwrap();
        assert!(bin.ends_with("uml_init"));
    }

    #[test]
    fn the_linux_benchmark_builds_and_its_initramfs_holds_it() {
        let out = util::root().join("target/bench/test-linux");
        let bin = build(&out).unwrap();
        let cpio = out.join("initramfs.cpio");
        initramfs(&bin, &cpio).unwrap();
        let a = std::fs::read(&cpio).unwrap();
        let b = std::fs::read(&bin).unwrap();
        assert!(a.len() > b.len());
        assert!(
            a.windows(b.len()).any(|w| w == b.as_slice()),
            "/init is the binary"
        );
    }
}
