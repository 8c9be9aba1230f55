//! The boot bundle: a `newc` cpio archive (what `cargo xtask run` passes as
//! QEMU's one `-initrd` file) whose first file is the root task and whose
//! other files are boot modules.

/// One file of the bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct File<'a> {
    /// The file name (without NUL).
    pub name: &'a [u8],
    /// Offset of the data from the start of the bundle.
    pub offset: usize,
    /// The data.
    pub data: &'a [u8],
}

/// Why the bundle cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// A header is cut short or its magic is not `070701`.
    BadHeader(usize),
    /// A header field is not hexadecimal.
    BadField(usize),
    /// A name or data runs past the end.
    Truncated(usize),
}

const HEADER: usize = 110;

fn hex(b: &[u8]) -> Option<usize> {
    let mut v = 0usize;
    for &c in b {
        let d = (c as char).to_digit(16)?;
        v = v.checked_mul(16)?.checked_add(d as usize)?;
    }
    Some(v)
}

fn align4(x: usize) -> Option<usize> {
    x.checked_add(3).map(|v| v & !3)
}

/// Iterates the files of a bundle up to the `TRAILER!!!` entry.
#[derive(Clone, Debug)]
pub struct Files<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

/// Reads a bundle.
pub fn files(data: &[u8]) -> Files<'_> {
    Files {
        data,
        pos: 0,
        done: false,
    }
}

impl<'a> Iterator for Files<'a> {
    type Item = Result<File<'a>, BundleError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.read();
        match r {
            Ok(None) => {
                self.done = true;
                None
            }
            Ok(Some(f)) => Some(Ok(f)),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<'a> Files<'a> {
    fn read(&mut self) -> Result<Option<File<'a>>, BundleError> {
        let at = self.pos;
        let h = self
            .data
            .get(at..at + HEADER)
            .ok_or(BundleError::BadHeader(at))?;
        if &h[..6] != b"070701" {
            return Err(BundleError::BadHeader(at));
        }
        let field = |i: usize| hex(&h[6 + 8 * i..14 + 8 * i]).ok_or(BundleError::BadField(at));
        let size = field(6)?;
        let namesize = field(11)?;
        let name_end = at
            .checked_add(HEADER)
            .and_then(|v| v.checked_add(namesize))
            .ok_or(BundleError::Truncated(at))?;
        let name = self
            .data
            .get(at + HEADER..name_end)
            .ok_or(BundleError::Truncated(at))?;
        let name = name.strip_suffix(&[0]).unwrap_or(name);
        let data_start = align4(name_end).ok_or(BundleError::Truncated(at))?;
        let data_end = data_start
            .checked_add(size)
            .ok_or(BundleError::Truncated(at))?;
        let data = self
            .data
            .get(data_start..data_end)
            .ok_or(BundleError::Truncated(at))?;
        if name == b"TRAILER!!!" {
            return Ok(None);
        }
        self.pos = align4(data_end).ok_or(BundleError::Truncated(at))?;
        Ok(Some(File {
            name,
            offset: data_start,
            data,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(out: &mut Vec<u8>, name: &str, data: &[u8]) {
        out.extend_from_slice(b"070701");
        let f = [
            1,
            0o100644,
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0,
        ];
        for v in f {
            out.extend_from_slice(format!("{v:08X}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
        out.extend_from_slice(data);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
    }

    #[test]
    fn reads_files_in_order() {
        let mut b = Vec::new();
        entry(&mut b, "root.elf", b"abcde");
        entry(&mut b, "app.elf", b"xy");
        entry(&mut b, "TRAILER!!!", b"");
        let v: Vec<_> = files(&b).collect::<Result<_, _>>().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name, b"root.elf");
        assert_eq!(v[0].data, b"abcde");
        assert_eq!(&b[v[0].offset..v[0].offset + 5], b"abcde");
        assert_eq!(v[1].name, b"app.elf");
        assert_eq!(v[1].data, b"xy");
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        assert_eq!(files(b"hello").next(), Some(Err(BundleError::BadHeader(0))));
        let mut b = Vec::new();
        entry(&mut b, "root.elf", b"abcdefgh");
        b.truncate(b.len() - 4);
        assert_eq!(files(&b).next(), Some(Err(BundleError::Truncated(0))));
        let mut b = Vec::new();
        entry(&mut b, "x", b"");
        b[54] = b'Z'; // the file-size field
        assert_eq!(files(&b).next(), Some(Err(BundleError::BadField(0))));
    }
}
