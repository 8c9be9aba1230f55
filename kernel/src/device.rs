//! Device memory (ABI 1.1): which physical ranges `DeviceMemoryIssue` may
//! hand out. Pure: the firmware's RAM list comes from the caller.

use bilby_abi::{Status, DEVICE_MEMORY_LIMIT, IO_APIC_BASE, LOCAL_APIC_BASE, PAGE_SIZE};

/// The pages of the interrupt controllers, which the kernel keeps.
pub const INTERRUPT_CONTROLLERS: [u64; 2] = [LOCAL_APIC_BASE, IO_APIC_BASE];

/// The pages a RAM entry of the firmware's map (`addr`, `size` bytes)
/// touches, `[start, end)`: rounded outward, so that no page of device
/// memory holds a byte of RAM.
pub fn ram_pages(addr: u64, size: u64) -> (u64, u64) {
    let end = addr.saturating_add(size);
    (
        addr & !(PAGE_SIZE - 1),
        end.saturating_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1),
    )
}

/// Checks a request for `pages` pages of device memory at `phys` (user
/// registers) against the firmware's RAM ranges `ram` (`[start, end)`);
/// returns the range `[start, end)`.
pub fn check(phys: u64, pages: u64, ram: &[(u64, u64)]) -> Result<(u64, u64), Status> {
    if !phys.is_multiple_of(PAGE_SIZE) {
        return Err(Status::Unaligned);
    }
    if pages == 0 {
        return Err(Status::InvalidArgument);
    }
    let end = pages
        .checked_mul(PAGE_SIZE)
        .and_then(|len| phys.checked_add(len))
        .filter(|&end| end <= DEVICE_MEMORY_LIMIT)
        .ok_or(Status::InvalidAddress)?;
    let overlaps = |(s, e): (u64, u64)| phys < e && s < end;
    if ram.iter().any(|&r| overlaps(r))
        || INTERRUPT_CONTROLLERS
            .iter()
            .any(|&b| overlaps((b, b + PAGE_SIZE)))
    {
        return Err(Status::InvalidAddress);
    }
    Ok((phys, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAM: [(u64, u64); 2] = [(0, 0x9_f000), (0x10_0000, 0x1000_0000)];
    const HPET: u64 = 0xFED0_0000;

    #[test]
    fn accepts_device_ranges() {
        assert_eq!(check(HPET, 1, &RAM), Ok((HPET, HPET + 0x1000)));
        assert_eq!(check(0xA_0000, 32, &RAM), Ok((0xA_0000, 0xC_0000)));
        assert_eq!(check(0x1000_0000, 1, &RAM).map(|_| ()), Ok(()));
        let top = DEVICE_MEMORY_LIMIT - PAGE_SIZE;
        assert_eq!(check(top, 1, &RAM), Ok((top, DEVICE_MEMORY_LIMIT)));
    }

    #[test]
    fn ram_entries_cover_every_page_they_touch() {
        // The conventional memory below the EBDA ends mid-page.
        let low = ram_pages(0, 0x9_fc00);
        assert_eq!(low, (0, 0xa_0000));
        assert_eq!(check(0x9_f000, 1, &[low]), Err(Status::InvalidAddress));
        assert_eq!(check(0xa_0000, 1, &[low]).map(|_| ()), Ok(()));
        assert_eq!(ram_pages(0x10_0800, 0x1000), (0x10_0000, 0x10_2000));
        assert_eq!(ram_pages(0x10_0000, 0x1000), (0x10_0000, 0x10_1000));
    }

    #[test]
    fn refuses_ram_controllers_and_bad_ranges() {
        assert_eq!(check(HPET + 8, 1, &RAM), Err(Status::Unaligned));
        assert_eq!(check(HPET, 0, &RAM), Err(Status::InvalidArgument));
        // Any overlap with RAM, at either end.
        assert_eq!(check(0x10_0000, 1, &RAM), Err(Status::InvalidAddress));
        assert_eq!(check(0x9_e000, 2, &RAM), Err(Status::InvalidAddress));
        assert_eq!(
            check(0xFFF_F000, 2, &RAM).map(|_| ()),
            Err(Status::InvalidAddress)
        );
        assert_eq!(check(0, 1, &RAM), Err(Status::InvalidAddress));
        for b in INTERRUPT_CONTROLLERS {
            assert_eq!(check(b, 1, &RAM), Err(Status::InvalidAddress));
            assert_eq!(check(b - PAGE_SIZE, 2, &RAM), Err(Status::InvalidAddress));
            assert_eq!(check(b + PAGE_SIZE, 1, &RAM).map(|_| ()), Ok(()));
        }
        assert_eq!(
            check(DEVICE_MEMORY_LIMIT, 1, &RAM),
            Err(Status::InvalidAddress)
        );
        assert_eq!(check(HPET, u64::MAX, &RAM), Err(Status::InvalidAddress));
        assert_eq!(
            check(0xFFFF_FFFF_FFFF_F000, 1, &RAM),
            Err(Status::InvalidAddress)
        );
    }
}
