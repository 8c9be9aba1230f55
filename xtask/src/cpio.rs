//! A writer for the `newc` cpio format: the format of Bilby's boot bundle
//! (read by `kernel/src/bundle.rs`) and of the initramfs Linux unpacks (read
//! by Linux's `init/initramfs.c`).
//!
//! Only what archives of a few entries need: directories, regular files and
//! device nodes, all owned by root. The format is the SVR4 "new ASCII"
//! header without checksums (magic `070701`).

use anyhow::{bail, Result};

/// One entry of the archive.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A directory with the given permission bits.
    Dir { path: String, perm: u32 },
    /// A regular file with the given permission bits and contents.
    File {
        path: String,
        perm: u32,
        data: Vec<u8>,
    },
    /// A character device node (major, minor).
    CharDev {
        path: String,
        perm: u32,
        major: u32,
        minor: u32,
    },
}

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;
const TRAILER: &str = "TRAILER!!!";

/// Builds a complete newc archive holding `entries` in order.
///
/// Paths are relative to the archive root (no leading `/`); a parent
/// directory must come before what it holds, as the kernel creates entries
/// in archive order.
pub fn archive(entries: &[Entry]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let ino = u32::try_from(i + 1)?;
        let (path, kind, perm, data, rdev): (&str, u32, u32, &[u8], (u32, u32)) = match e {
            Entry::Dir { path, perm } => (path, S_IFDIR, *perm, &[], (0, 0)),
            Entry::File { path, perm, data } => (path, S_IFREG, *perm, data, (0, 0)),
            Entry::CharDev {
                path,
                perm,
                major,
                minor,
            } => (path, S_IFCHR, *perm, &[], (*major, *minor)),
        };
        if path.is_empty() || path.starts_with('/') || path.contains('\0') || path == TRAILER {
            bail!("cpio: bad entry path {path:?} (relative, non-empty, no NUL)");
        }
        if perm & !0o7777 != 0 {
            bail!("cpio: permission bits {perm:#o} of {path:?} out of range");
        }
        let mode = kind | perm;
        let nlink = if matches!(e, Entry::Dir { .. }) { 2 } else { 1 };
        push_entry(&mut out, ino, mode, nlink, rdev, path, data)?;
    }
    push_entry(&mut out, 0, 0, 1, (0, 0), TRAILER, &[])?;
    Ok(out)
}

fn push_entry(
    out: &mut Vec<u8>,
    ino: u32,
    mode: u32,
    nlink: u32,
    rdev: (u32, u32),
    name: &str,
    data: &[u8],
) -> Result<()> {
    let size = u32::try_from(data.len())
        .map_err(|_| anyhow::anyhow!("cpio: {name:?} is larger than 4 GiB"))?;
    let namesize = u32::try_from(name.len() + 1)?;
    // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
    let fields = [
        ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev.0, rdev.1, namesize, 0,
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
    out.extend_from_slice(data);
    pad4(out);
    Ok(())
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry as read back: (name, mode, (rdev major, minor), data).
    type ReadEntry = (String, u32, (u32, u32), Vec<u8>);

    /// A minimal newc reader, independent of the writer's helpers.
    fn read(mut buf: &[u8]) -> Vec<ReadEntry> {
        let mut base = 0usize;
        let mut out = Vec::new();
        loop {
            assert_eq!(&buf[..6], b"070701", "magic at offset {base}");
            let field = |i: usize| {
                let s = std::str::from_utf8(&buf[6 + 8 * i..14 + 8 * i]).unwrap();
                u32::from_str_radix(s, 16).unwrap()
            };
            let (mode, size, rmaj, rmin, namesize) =
                (field(1), field(6), field(9), field(10), field(11));
            let name_end = 110 + namesize as usize;
            let name = std::str::from_utf8(&buf[110..name_end - 1])
                .unwrap()
                .to_string();
            assert_eq!(buf[name_end - 1], 0);
            let data_start = (base + name_end).next_multiple_of(4) - base;
            let data = buf[data_start..data_start + size as usize].to_vec();
            let next = (base + data_start + size as usize).next_multiple_of(4) - base;
            if name == TRAILER {
                assert_eq!(base + next, base + buf.len(), "nothing after the trailer");
                return out;
            }
            out.push((name, mode, (rmaj, rmin), data));
            base += next;
            buf = &buf[next..];
        }
    }

    #[test]
    fn round_trip() {
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
            Entry::File {
                path: "init".into(),
                perm: 0o755,
                data: b"hello, initramfs".to_vec(),
            },
            Entry::File {
                path: "e".into(),
                perm: 0o644,
                data: vec![],
            },
        ];
        let a = archive(&entries).unwrap();
        assert_eq!(a.len() % 4, 0);
        let r = read(&a);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].0, "dev");
        assert_eq!(r[0].1, 0o040755);
        assert_eq!(r[1], ("dev/console".into(), 0o020600, (5, 1), vec![]));
        assert_eq!(r[2].0, "init");
        assert_eq!(r[2].1, 0o100755);
        assert_eq!(r[2].3, b"hello, initramfs");
        assert_eq!(r[3].3, b"");
    }

    #[test]
    fn rejects_bad_paths() {
        for p in ["", "/init", "a\0b", TRAILER] {
            let e = [Entry::Dir {
                path: p.into(),
                perm: 0o755,
            }];
            assert!(archive(&e).is_err(), "{p:?} accepted");
        }
        let e = [Entry::Dir {
            path: "d".into(),
            perm: 0o170000,
        }];
        assert!(
            archive(&e).is_err(),
            "file-type bits accepted as permissions"
        );
    }
}
