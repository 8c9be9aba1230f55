//! I/O-port capabilities (ABI 1.1): the range a capability names, packed
//! into its object word, and the checks behind `IoPortsIssue`,
//! `IoPortRead` and `IoPortWrite`. Pure: the port access itself is in
//! `arch::io`.

use bilby_abi::Status;

/// Number of x86 I/O ports.
pub const PORT_SPACE: u32 = 0x1_0000;

/// The master PIC (command, data).
pub const PIC1: u16 = 0x20;
/// The slave PIC (command, data).
pub const PIC2: u16 = 0xA0;
/// The PIT: channels 0-2, then the mode/command port at `PIT + 3`.
pub const PIT: u16 = 0x40;
/// The PIT channel 2 gate and speaker control.
pub const PIT_GATE: u16 = 0x61;
/// QEMU's `isa-debug-exit` device (a 32-bit port).
pub const DEBUG_EXIT: u16 = 0xF4;
/// The COM1 UART's eight registers.
pub const COM1: u16 = 0x3F8;

/// Ports the kernel drives itself and never hands out: the PIC pair, the
/// PIT and its gate, the `isa-debug-exit` device and the COM1 console.
/// Inclusive ranges. `arch::io` names every port it touches by the
/// constants above, so a port it drives cannot be missing here.
pub const KERNEL_PORTS: [(u16, u16); 6] = [
    (PIC1, PIC1 + 1),
    (PIT, PIT + 3),
    (PIT_GATE, PIT_GATE),
    (PIC2, PIC2 + 1),
    (DEBUG_EXIT, DEBUG_EXIT + 3),
    (COM1, COM1 + 7),
];

/// An inclusive range of ports, as an I/O-port capability names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    /// First port.
    pub first: u16,
    /// Last port (inclusive).
    pub last: u16,
}

impl PortRange {
    /// Every port: what the control capability may issue from.
    pub const ALL: PortRange = PortRange {
        first: 0,
        last: 0xFFFF,
    };

    /// Packs the range into a capability's object word.
    pub const fn encode(self) -> u32 {
        (self.first as u32) | ((self.last as u32) << 16)
    }

    /// Unpacks a capability's object word.
    pub const fn decode(object: u32) -> PortRange {
        PortRange {
            first: object as u16,
            last: (object >> 16) as u16,
        }
    }

    /// Whether `other` lies inside this range.
    pub const fn contains(self, other: PortRange) -> bool {
        other.first >= self.first && other.last <= self.last
    }

    /// Whether the two ranges share a port.
    pub const fn overlaps(self, other: PortRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

/// The range `IoPortsIssue` asks for (`first`, `count` from user registers)
/// checked against the source capability's range: non-empty, inside the
/// port space and the source, and clear of the kernel's ports.
pub fn issue(source: PortRange, first: u64, count: u64) -> Result<PortRange, Status> {
    if count == 0 || first >= u64::from(PORT_SPACE) || count > u64::from(PORT_SPACE) - first {
        return Err(Status::InvalidArgument);
    }
    let wanted = PortRange {
        first: first as u16,
        last: (first + count - 1) as u16,
    };
    if !source.contains(wanted) {
        return Err(Status::InsufficientRights);
    }
    if KERNEL_PORTS
        .iter()
        .any(|&(first, last)| wanted.overlaps(PortRange { first, last }))
    {
        return Err(Status::InsufficientRights);
    }
    Ok(wanted)
}

/// The port and width of an access (`port`, `width` from user registers),
/// checked against the capability's range: width 1, 2 or 4, and every byte
/// accessed inside the range.
pub fn access(range: PortRange, port: u64, width: u64) -> Result<(u16, u8), Status> {
    if !matches!(width, 1 | 2 | 4) {
        return Err(Status::InvalidArgument);
    }
    if port >= u64::from(PORT_SPACE) || port + width > u64::from(PORT_SPACE) {
        return Err(Status::InvalidArgument);
    }
    let bytes = PortRange {
        first: port as u16,
        last: (port + width - 1) as u16,
    };
    if !range.contains(bytes) {
        return Err(Status::InsufficientRights);
    }
    Ok((port as u16, width as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTC: PortRange = PortRange {
        first: 0x70,
        last: 0x71,
    };

    #[test]
    fn encode_round_trips() {
        for r in [RTC, PortRange::ALL, PortRange { first: 7, last: 7 }] {
            assert_eq!(PortRange::decode(r.encode()), r);
        }
    }

    #[test]
    fn issue_checks_bounds_source_and_kernel_ports() {
        assert_eq!(issue(PortRange::ALL, 0x70, 2), Ok(RTC));
        assert_eq!(
            issue(RTC, 0x71, 1),
            Ok(PortRange {
                first: 0x71,
                last: 0x71
            })
        );
        assert_eq!(issue(PortRange::ALL, 0x70, 0), Err(Status::InvalidArgument));
        assert_eq!(
            issue(PortRange::ALL, 0x1_0000, 1),
            Err(Status::InvalidArgument)
        );
        assert_eq!(
            issue(PortRange::ALL, 0xFFFF, 2),
            Err(Status::InvalidArgument)
        );
        assert_eq!(
            issue(PortRange::ALL, 0xFFFF, 1),
            Ok(PortRange {
                first: 0xFFFF,
                last: 0xFFFF
            })
        );
        assert_eq!(
            issue(PortRange::ALL, u64::MAX, 2),
            Err(Status::InvalidArgument)
        );
        assert_eq!(
            issue(PortRange::ALL, 1, u64::MAX),
            Err(Status::InvalidArgument)
        );
        // Wider than the source.
        assert_eq!(issue(RTC, 0x70, 3), Err(Status::InsufficientRights));
        assert_eq!(issue(RTC, 0x6F, 1), Err(Status::InsufficientRights));
        // Any overlap with a kernel port, at either end.
        for &(first, last) in &KERNEL_PORTS {
            assert_eq!(
                issue(PortRange::ALL, first.into(), 1),
                Err(Status::InsufficientRights)
            );
            assert_eq!(
                issue(PortRange::ALL, last.into(), 1),
                Err(Status::InsufficientRights)
            );
            assert_eq!(
                issue(PortRange::ALL, u64::from(first) - 1, 2),
                Err(Status::InsufficientRights)
            );
            assert_eq!(
                issue(PortRange::ALL, u64::from(last) + 1, 1).map(|_| ()),
                Ok(())
            );
        }
        assert_eq!(
            issue(PortRange::ALL, 0, 0x1_0000),
            Err(Status::InsufficientRights)
        );
    }

    #[test]
    fn access_checks_width_and_every_byte() {
        assert_eq!(access(RTC, 0x70, 1), Ok((0x70, 1)));
        assert_eq!(access(RTC, 0x70, 2), Ok((0x70, 2)));
        assert_eq!(access(RTC, 0x71, 2), Err(Status::InsufficientRights));
        assert_eq!(access(RTC, 0x70, 4), Err(Status::InsufficientRights));
        assert_eq!(access(RTC, 0x72, 1), Err(Status::InsufficientRights));
        for w in [0, 3, 8, u64::MAX] {
            assert_eq!(access(RTC, 0x70, w), Err(Status::InvalidArgument));
        }
        assert_eq!(
            access(PortRange::ALL, 0xFFFF, 2),
            Err(Status::InvalidArgument)
        );
        assert_eq!(
            access(PortRange::ALL, u64::MAX, 1),
            Err(Status::InvalidArgument)
        );
        assert_eq!(access(PortRange::ALL, 0xFFFC, 4), Ok((0xFFFC, 4)));
    }
}
