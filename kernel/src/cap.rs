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
#[inline]
pub fn split_slot(slot: u64) -> Result<(usize, u64), Status> {
    if slot == u64::from(CAP_NULL) || slot >= u64::from(CAP_SPACE_SLOTS) {
        return Err(Status::InvalidCapability);
    }
    Ok((
        (slot / u64::from(SLOTS_PER_PAGE)) as usize,
        slot % u64::from(SLOTS_PER_PAGE),
    ))
}

/// The capability in a slot's two words if it is of `kind` and has all of
/// `rights`: the check every hypercall makes on a capability argument, so
/// it decodes no more than it checks. Only endpoints carry their badge.
#[inline(always)]
pub fn check(word: u64, badge: u64, kind: CapKind, rights: u8) -> Result<Cap, Status> {
    let found = word & 0xff;
    if found != kind as u64 {
        return Err(if found == CapKind::Null as u64 {
            Status::InvalidCapability
        } else {
            Status::WrongCapabilityKind
        });
    }
    let cap_rights = (word >> 8) as u8;
    if cap_rights & rights != rights {
        return Err(Status::InsufficientRights);
    }
    Ok(Cap {
        kind,
        rights: cap_rights,
        object: (word >> 32) as u32,
        badge: if kind == CapKind::Endpoint { badge } else { 0 },
    })
}

/// [`check`] for a capability that names an entry of a table of `OBJECTS`
/// objects (a power of two): the entry's index if the slot's first word
/// holds a capability of `kind` with all of `rights` and an index inside
/// the table. One masked compare tests all three (the IPC fast paths).
#[inline(always)]
pub fn check_in_table<const OBJECTS: usize>(word: u64, kind: CapKind, rights: u8) -> Option<usize> {
    const {
        assert!(OBJECTS.is_power_of_two() && OBJECTS as u64 <= 1 << 32);
    }
    let rights = u64::from(rights) << 8;
    // Kind, the wanted rights bits, and the index bits the table lacks.
    let mask = 0xff | rights | !(((OBJECTS as u64 - 1) << 32) | 0xffff_ffff);
    (word & mask == kind as u64 | rights).then_some((word >> 32) as usize)
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
        // An empty slot.
        assert_eq!(
            check(0, 0, CapKind::Thread, 0),
            Err(Status::InvalidCapability)
        );
        assert_eq!(
            check(c.encode(), c.badge, CapKind::Task, 0),
            Err(Status::WrongCapabilityKind)
        );
        assert_eq!(
            check(c.encode(), c.badge, CapKind::Thread, CAP_RIGHT_USE as u8),
            Err(Status::InsufficientRights)
        );
        assert_eq!(
            check(c.encode(), c.badge, CapKind::Thread, CAP_RIGHT_COPY as u8),
            Ok(c)
        );
    }

    #[test]
    fn table_checks_agree_with_check() {
        use bilby_abi::{CAP_RIGHTS_ALL, CAP_RIGHT_COPY, CAP_RIGHT_USE};
        let mut seen = 0;
        for kind in [CapKind::Endpoint, CapKind::Thread, CapKind::Null] {
            for rights in [0, CAP_RIGHT_USE, CAP_RIGHT_COPY, CAP_RIGHTS_ALL] {
                for object in [0u32, 1, 255, 256, 257, 1 << 20, u32::MAX] {
                    let c = Cap {
                        kind,
                        rights: rights as u8,
                        object,
                        badge: 0,
                    };
                    let word = c.encode() | 0x00ff_0000; // reserved bits are ignored
                    for want in [CAP_RIGHT_USE, CAP_RIGHT_USE | CAP_RIGHT_COPY] {
                        let full = check(word, 0, CapKind::Endpoint, want as u8)
                            .ok()
                            .map(|c| c.object as usize)
                            .filter(|&o| o < 256);
                        let fast = check_in_table::<256>(word, CapKind::Endpoint, want as u8);
                        assert_eq!(fast, full, "{c:?} wanting {want}");
                        seen += usize::from(fast.is_some());
                    }
                }
            }
        }
        assert!(seen > 0);
    }

    #[test]
    fn corrupt_kinds_are_refused_and_only_endpoints_carry_badges() {
        assert_eq!(
            check(0x99, 0, CapKind::Thread, 0),
            Err(Status::WrongCapabilityKind)
        );
        let e = Cap {
            kind: CapKind::Endpoint,
            rights: CAP_RIGHTS_ALL as u8,
            object: 9,
            badge: 0xbad9e,
        };
        assert_eq!(
            check(e.encode(), e.badge, CapKind::Endpoint, CAP_RIGHT_USE as u8),
            Ok(e)
        );
        let t = Cap {
            kind: CapKind::Task,
            ..e
        };
        assert_eq!(
            check(t.encode(), 0x77, CapKind::Task, 0),
            Ok(Cap { badge: 0, ..t })
        );
    }
}
