//! Capability slots: how a capability is stored in a task's capability
//! space (two words), and the checks every lookup makes.

use bilby_abi::{CapKind, Status, CAP_NULL, CAP_SPACE_SLOTS};

/// Bytes per slot in a capability page.
pub const SLOT_BYTES: u64 = 16;
/// Slots per capability page (one 4 KiB frame).
pub const SLOTS_PER_PAGE: u32 = 256;
/// Capability pages per task.
pub const PAGES_PER_SPACE: usize = (CAP_SPACE_SLOTS / SLOTS_PER_PAGE) as usize;

/// A decoded capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap {
    /// What it names.
    pub kind: CapKind,
    /// `CAP_RIGHT_*` bits.
    pub rights: u8,
    /// Index of the object in the kernel's table of that kind.
    pub object: u32,
    /// The badge receivers see (endpoints) or 0.
    pub badge: u64,
}

impl Cap {
    /// Packs the first word of a slot (the second is the badge).
    pub fn encode(&self) -> u64 {
        (self.kind as u64) | (u64::from(self.rights) << 8) | (u64::from(self.object) << 32)
    }

    /// Unpacks a slot; an empty or corrupt slot is `None`.
    pub fn decode(word: u64, badge: u64) -> Option<Cap> {
        let kind = match CapKind::try_from((word & 0xff) as u32) {
            Ok(CapKind::Null) | Err(_) => return None,
            Ok(k) => k,
        };
        Some(Cap {
            kind,
            rights: ((word >> 8) & 0xff) as u8,
            object: (word >> 32) as u32,
            badge,
        })
    }
}

/// Checks a slot number from user space and splits it into (page, index in page).
pub fn split_slot(slot: u64) -> Result<(usize, u64), Status> {
    if slot == u64::from(CAP_NULL) || slot >= u64::from(CAP_SPACE_SLOTS) {
        return Err(Status::InvalidCapability);
    }
    Ok((
        (slot / u64::from(SLOTS_PER_PAGE)) as usize,
        slot % u64::from(SLOTS_PER_PAGE),
    ))
}

/// Checks that `cap` is of `kind` and has all of `rights`.
pub fn check(cap: Option<Cap>, kind: CapKind, rights: u8) -> Result<Cap, Status> {
    let cap = cap.ok_or(Status::InvalidCapability)?;
    if cap.kind != kind {
        return Err(Status::WrongCapabilityKind);
    }
    if cap.rights & rights != rights {
        return Err(Status::InsufficientRights);
    }
    Ok(cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bilby_abi::{CAP_RIGHTS_ALL, CAP_RIGHT_COPY, CAP_RIGHT_USE};

    #[test]
    fn round_trip() {
        let c = Cap {
            kind: CapKind::Endpoint,
            rights: CAP_RIGHTS_ALL as u8,
            object: 77,
            badge: 0xdead,
        };
        assert_eq!(Cap::decode(c.encode(), 0xdead), Some(c));
        assert_eq!(Cap::decode(0, 0), None);
        assert_eq!(Cap::decode(0x99, 0), None);
    }

    #[test]
    fn slots_are_checked() {
        assert_eq!(split_slot(0), Err(Status::InvalidCapability));
        assert_eq!(split_slot(4096), Err(Status::InvalidCapability));
        assert_eq!(split_slot(u64::MAX), Err(Status::InvalidCapability));
        assert_eq!(split_slot(1), Ok((0, 1)));
        assert_eq!(split_slot(257), Ok((1, 1)));
        assert_eq!(split_slot(4095), Ok((15, 255)));
    }

    #[test]
    fn kinds_and_rights_are_checked() {
        let c = Cap {
            kind: CapKind::Thread,
            rights: CAP_RIGHT_COPY as u8,
            object: 1,
            badge: 0,
        };
        assert_eq!(
            check(None, CapKind::Thread, 0),
            Err(Status::InvalidCapability)
        );
        assert_eq!(
            check(Some(c), CapKind::Task, 0),
            Err(Status::WrongCapabilityKind)
        );
        assert_eq!(
            check(Some(c), CapKind::Thread, CAP_RIGHT_USE as u8),
            Err(Status::InsufficientRights)
        );
        assert_eq!(check(Some(c), CapKind::Thread, CAP_RIGHT_COPY as u8), Ok(c));
    }
}
