//! Checking a guest ELF image before the kernel loads it: x86_64, a static
//! executable, loadable segments inside user space, and the Bilby ABI note
//! with a compatible major version. Parsing is the `object` crate's.

use bilby_abi::{
    AbiNote, ABI_NOTE_NAME, ABI_NOTE_TYPE, BILBY_ABI_MAJOR, USER_SPACE_END, USER_SPACE_START,
};
use object::elf::{
    FileHeader64, EM_X86_64, ET_EXEC, PF_W, PF_X, PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_NOTE,
};
use object::read::elf::{FileHeader, ProgramHeader};
use object::LittleEndian;

/// Most loadable segments the kernel accepts.
pub const MAX_SEGMENTS: usize = 8;

/// The highest address an image may occupy: the kernel puts stacks, UTCBs
/// and the boot-info page above it.
pub const IMAGE_END: u64 = 0x0000_7000_0000_0000;

/// One loadable segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address (any alignment).
    pub vaddr: u64,
    /// Size in memory.
    pub memsz: u64,
    /// Offset of the file data.
    pub offset: u64,
    /// Size of the file data (at most `memsz`).
    pub filesz: u64,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub execute: bool,
}

/// What the loader needs from an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Image {
    /// Entry point.
    pub entry: u64,
    /// Loadable segments (`count` valid).
    pub segments: [Segment; MAX_SEGMENTS],
    /// Number of segments.
    pub count: usize,
    /// The ABI version of the note (`major << 16 | minor`).
    pub abi_version: u32,
}

/// Why an image is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Not a well-formed 64-bit little-endian ELF file (truncated, bad magic).
    Malformed,
    /// `e_machine` is not x86_64.
    WrongMachine(u16),
    /// Not a static executable (`ET_EXEC`).
    NotExecutable(u16),
    /// No loadable segment, or more than [`MAX_SEGMENTS`].
    BadSegmentCount,
    /// A segment lies outside user space or its file data outside the file.
    BadSegment(u64),
    /// The entry point is in no executable segment.
    BadEntry(u64),
    /// No Bilby ABI note.
    MissingNote,
    /// The ABI note's descriptor is not two 32-bit words.
    BadNote,
    /// The note names an incompatible major version (major, minor).
    IncompatibleAbi(u32, u32),
    /// A dynamically linked image: the name of the program header that
    /// says so (`PT_INTERP` or `PT_DYNAMIC`); nothing would run its loader.
    Dynamic(&'static str),
}

/// Checks `data` and describes it for the loader.
pub fn check(data: &[u8]) -> Result<Image, ElfError> {
    let hdr = FileHeader64::<LittleEndian>::parse(data).map_err(|_| ElfError::Malformed)?;
    let endian = hdr.endian().map_err(|_| ElfError::Malformed)?;
    let machine = hdr.e_machine(endian);
    if machine != EM_X86_64 {
        return Err(ElfError::WrongMachine(machine));
    }
    let kind = hdr.e_type(endian);
    if kind != ET_EXEC {
        return Err(ElfError::NotExecutable(kind));
    }
    let phdrs = hdr
        .program_headers(endian, data)
        .map_err(|_| ElfError::Malformed)?;
    let mut image = Image {
        entry: hdr.e_entry(endian),
        segments: [Segment::default(); MAX_SEGMENTS],
        count: 0,
        abi_version: 0,
    };
    let mut note = None;
    for ph in phdrs {
        match ph.p_type(endian) {
            PT_LOAD => {
                let s = Segment {
                    vaddr: ph.p_vaddr(endian),
                    memsz: ph.p_memsz(endian),
                    offset: ph.p_offset(endian),
                    filesz: ph.p_filesz(endian),
                    write: ph.p_flags(endian) & PF_W != 0,
                    execute: ph.p_flags(endian) & PF_X != 0,
                };
                let end = s.vaddr.checked_add(s.memsz);
                let file_end = s.offset.checked_add(s.filesz);
                if s.memsz == 0 {
                    continue;
                }
                if s.vaddr < USER_SPACE_START
                    || end.is_none_or(|e| e > IMAGE_END || e > USER_SPACE_END)
                    || s.filesz > s.memsz
                    || file_end.is_none_or(|e| e > data.len() as u64)
                {
                    return Err(ElfError::BadSegment(s.vaddr));
                }
                if image.count == MAX_SEGMENTS {
                    return Err(ElfError::BadSegmentCount);
                }
                image.segments[image.count] = s;
                image.count += 1;
            }
            PT_NOTE => {
                let mut notes = match ph.notes(endian, data) {
                    Ok(Some(n)) => n,
                    _ => return Err(ElfError::BadNote),
                };
                loop {
                    match notes.next() {
                        Ok(Some(n)) => {
                            if n.name() == ABI_NOTE_NAME.as_bytes()
                                && n.n_type(endian) == ABI_NOTE_TYPE
                            {
                                note = Some(parse_note(n.desc())?);
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return Err(ElfError::BadNote),
                    }
                }
            }
            PT_INTERP => return Err(ElfError::Dynamic("PT_INTERP")),
            PT_DYNAMIC => return Err(ElfError::Dynamic("PT_DYNAMIC")),
            _ => {}
        }
    }
    if image.count == 0 {
        return Err(ElfError::BadSegmentCount);
    }
    let entry_ok = image.segments[..image.count]
        .iter()
        .any(|s| s.execute && image.entry >= s.vaddr && image.entry < s.vaddr + s.memsz);
    if !entry_ok {
        return Err(ElfError::BadEntry(image.entry));
    }
    let note = note.ok_or(ElfError::MissingNote)?;
    if note.major != BILBY_ABI_MAJOR {
        return Err(ElfError::IncompatibleAbi(note.major, note.minor));
    }
    image.abi_version = bilby_abi::abi_version(note.major, note.minor);
    Ok(image)
}

fn parse_note(desc: &[u8]) -> Result<AbiNote, ElfError> {
    if desc.len() != 8 {
        return Err(ElfError::BadNote);
    }
    let word = |i: usize| u32::from_le_bytes([desc[i], desc[i + 1], desc[i + 2], desc[i + 3]]);
    Ok(AbiNote {
        major: word(0),
        minor: word(4),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 executable: one PT_LOAD (code at 0x400000) and one
    /// PT_NOTE holding a Bilby note with `major`.
    fn image(machine: u16, major: u32, with_note: bool) -> Vec<u8> {
        let mut f = vec![0u8; 0x200];
        f[0..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // 64-bit
        f[5] = 1; // little endian
        f[6] = 1;
        f[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        f[18..20].copy_from_slice(&machine.to_le_bytes());
        f[20..24].copy_from_slice(&1u32.to_le_bytes());
        f[24..32].copy_from_slice(&0x400100u64.to_le_bytes()); // entry
        f[32..40].copy_from_slice(&64u64.to_le_bytes()); // phoff
        f[52..54].copy_from_slice(&64u16.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&(if with_note { 2u16 } else { 1 }).to_le_bytes());
        f[58..60].copy_from_slice(&64u16.to_le_bytes());
        // PT_LOAD
        let p = 64;
        f[p..p + 4].copy_from_slice(&1u32.to_le_bytes());
        f[p + 4..p + 8].copy_from_slice(&5u32.to_le_bytes()); // R+X
        f[p + 8..p + 16].copy_from_slice(&0u64.to_le_bytes());
        f[p + 16..p + 24].copy_from_slice(&0x400000u64.to_le_bytes());
        f[p + 32..p + 40].copy_from_slice(&0x200u64.to_le_bytes());
        f[p + 40..p + 48].copy_from_slice(&0x1000u64.to_le_bytes());
        // PT_NOTE at 0x180
        let p = 120;
        f[p..p + 4].copy_from_slice(&4u32.to_le_bytes());
        f[p + 8..p + 16].copy_from_slice(&0x180u64.to_le_bytes());
        f[p + 32..p + 40].copy_from_slice(&28u64.to_le_bytes());
        let n = 0x180;
        f[n..n + 4].copy_from_slice(&6u32.to_le_bytes());
        f[n + 4..n + 8].copy_from_slice(&8u32.to_le_bytes());
        f[n + 8..n + 12].copy_from_slice(&1u32.to_le_bytes());
        f[n + 12..n + 18].copy_from_slice(b"Bilby\0");
        f[n + 20..n + 24].copy_from_slice(&major.to_le_bytes());
        f[n + 24..n + 28].copy_from_slice(&3u32.to_le_bytes());
        f
    }

    #[test]
    fn accepts_a_good_image() {
        let i = check(&image(EM_X86_64, BILBY_ABI_MAJOR, true)).unwrap();
        assert_eq!(i.entry, 0x400100);
        assert_eq!(i.count, 1);
        assert!(i.segments[0].execute && !i.segments[0].write);
        assert_eq!(i.abi_version, (BILBY_ABI_MAJOR << 16) | 3);
    }

    #[test]
    fn refuses_bad_images() {
        assert_eq!(
            check(&image(3, BILBY_ABI_MAJOR, true)),
            Err(ElfError::WrongMachine(3))
        );
        assert_eq!(
            check(&image(EM_X86_64, BILBY_ABI_MAJOR + 1, true)),
            Err(ElfError::IncompatibleAbi(BILBY_ABI_MAJOR + 1, 3))
        );
        assert_eq!(
            check(&image(EM_X86_64, BILBY_ABI_MAJOR, false)),
            Err(ElfError::MissingNote)
        );
        let good = image(EM_X86_64, BILBY_ABI_MAJOR, true);
        for cut in [0, 10, 63, 100] {
            assert!(check(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = good.clone();
        bad[64 + 16..64 + 24].copy_from_slice(&0x1000u64.to_le_bytes()); // below user space
        assert_eq!(check(&bad), Err(ElfError::BadSegment(0x1000)));
        let mut bad = good.clone();
        bad[0x180 + 4..0x180 + 8].copy_from_slice(&4u32.to_le_bytes()); // desc too short
        assert_eq!(check(&bad), Err(ElfError::BadNote));
        for (t, name) in [(PT_INTERP, "PT_INTERP"), (PT_DYNAMIC, "PT_DYNAMIC")] {
            let mut bad = good.clone();
            bad[120..124].copy_from_slice(&t.to_le_bytes()); // the note's header
            assert_eq!(check(&bad), Err(ElfError::Dynamic(name)));
        }
    }
}
