//! The PVH boot protocol's `hvm_start_info` (Xen's `start_info.h`, version 1
//! as QEMU writes it): the memory map and the module list.

/// `hvm_start_info.magic`.
pub const START_INFO_MAGIC: u32 = 0x336e_c578;
/// Size of `hvm_start_info` version 1.
pub const START_INFO_SIZE: usize = 56;
/// Size of one `hvm_modlist_entry`.
pub const MODLIST_ENTRY_SIZE: usize = 32;
/// Size of one `hvm_memmap_table_entry`.
pub const MEMMAP_ENTRY_SIZE: usize = 24;
/// Memory-map type of usable RAM.
pub const MEMMAP_RAM: u32 = 1;

/// The fields of `hvm_start_info` the kernel uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartInfo {
    /// Structure version (QEMU writes 1).
    pub version: u32,
    /// Number of modules.
    pub nr_modules: u32,
    /// Physical address of the module list.
    pub modlist_paddr: u64,
    /// Physical address of the NUL-terminated command line, or 0.
    pub cmdline_paddr: u64,
    /// Physical address of the memory map (version 1).
    pub memmap_paddr: u64,
    /// Number of memory-map entries.
    pub memmap_entries: u32,
}

/// One module: a physical range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Module {
    /// Physical address.
    pub paddr: u64,
    /// Size in bytes.
    pub size: u64,
}

/// One memory-map entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryEntry {
    /// Physical base address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// E820 type ([`MEMMAP_RAM`] for RAM).
    pub kind: u32,
}

/// Why the start info cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartInfoError {
    /// The buffer is shorter than the structure.
    Truncated,
    /// The magic word is wrong.
    BadMagic(u32),
    /// Version 0 carries no memory map.
    NoMemoryMap,
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(w)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

/// Parses `hvm_start_info` from its bytes.
pub fn parse_start_info(b: &[u8]) -> Result<StartInfo, StartInfoError> {
    if b.len() < START_INFO_SIZE {
        return Err(StartInfoError::Truncated);
    }
    let magic = u32_at(b, 0);
    if magic != START_INFO_MAGIC {
        return Err(StartInfoError::BadMagic(magic));
    }
    let version = u32_at(b, 4);
    if version < 1 {
        return Err(StartInfoError::NoMemoryMap);
    }
    Ok(StartInfo {
        version,
        nr_modules: u32_at(b, 12),
        modlist_paddr: u64_at(b, 16),
        cmdline_paddr: u64_at(b, 24),
        memmap_paddr: u64_at(b, 40),
        memmap_entries: u32_at(b, 48),
    })
}

/// Parses one module-list entry.
pub fn parse_module(b: &[u8; MODLIST_ENTRY_SIZE]) -> Module {
    Module {
        paddr: u64_at(b, 0),
        size: u64_at(b, 8),
    }
}

/// Parses one memory-map entry.
pub fn parse_memory_entry(b: &[u8; MEMMAP_ENTRY_SIZE]) -> MemoryEntry {
    MemoryEntry {
        addr: u64_at(b, 0),
        size: u64_at(b, 8),
        kind: u32_at(b, 16),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(magic: u32, version: u32) -> Vec<u8> {
        let mut b = vec![0u8; START_INFO_SIZE];
        b[0..4].copy_from_slice(&magic.to_le_bytes());
        b[4..8].copy_from_slice(&version.to_le_bytes());
        b[12..16].copy_from_slice(&1u32.to_le_bytes());
        b[16..24].copy_from_slice(&0x1234u64.to_le_bytes());
        b[40..48].copy_from_slice(&0x5678u64.to_le_bytes());
        b[48..52].copy_from_slice(&6u32.to_le_bytes());
        b
    }

    #[test]
    fn parses_version_1() {
        let s = parse_start_info(&info(START_INFO_MAGIC, 1)).unwrap();
        assert_eq!(s.nr_modules, 1);
        assert_eq!(s.modlist_paddr, 0x1234);
        assert_eq!(s.memmap_paddr, 0x5678);
        assert_eq!(s.memmap_entries, 6);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            parse_start_info(&info(1, 1)),
            Err(StartInfoError::BadMagic(1))
        );
        assert_eq!(
            parse_start_info(&info(START_INFO_MAGIC, 0)),
            Err(StartInfoError::NoMemoryMap)
        );
        assert_eq!(parse_start_info(&[0; 8]), Err(StartInfoError::Truncated));
    }

    #[test]
    fn parses_entries() {
        let mut m = [0u8; MEMMAP_ENTRY_SIZE];
        m[0..8].copy_from_slice(&0x10_0000u64.to_le_bytes());
        m[8..16].copy_from_slice(&0x700_0000u64.to_le_bytes());
        m[16..20].copy_from_slice(&1u32.to_le_bytes());
        let e = parse_memory_entry(&m);
        assert_eq!(
            (e.addr, e.size, e.kind),
            (0x10_0000, 0x700_0000, MEMMAP_RAM)
        );
    }
}
