//! The ABI baseline: a committed, machine-readable snapshot of the last
//! released ABI, and the check that the crate only changes it as the
//! versioning rules allow.
//!
//! Rules: changing or removing an existing item needs a major bump; adding
//! an item needs a minor bump (or a major one). Every violation is reported
//! with the item's name.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::util;

/// Path of the baseline, relative to the workspace root.
pub const BASELINE: &str = "abi/baseline/abi.json";

/// One version of the ABI: its number and every item with its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Item name (`const X`, `enum E::V`, `struct S`, `field S.f`, …) to
    /// its value (a number, a layout, a string).
    pub items: BTreeMap<String, String>,
}

/// The snapshot of the ABI as the `bilby-abi` crate defines it now.
pub fn current() -> Snapshot {
    use bilby_abi::model;
    let mut items = BTreeMap::new();
    for c in model::CONSTANTS {
        // The version numbers are the snapshot's own fields, not items.
        if c.name.starts_with("BILBY_ABI_") {
            continue;
        }
        items.insert(format!("const {}", c.name), c.value.to_string());
    }
    for (name, value) in model::STRINGS {
        items.insert(format!("string {name}"), format!("{value:?}"));
    }
    for e in model::ENUMERATIONS {
        items.insert(format!("enum {}", e.name), "repr=u32".into());
        for (v, value) in e.variants {
            items.insert(format!("enum {}::{v}", e.name), value.to_string());
        }
    }
    for s in model::STRUCTURES {
        items.insert(
            format!("struct {}", s.name),
            format!("size={} align={}", s.size, s.align),
        );
        for f in s.fields {
            items.insert(
                format!("field {}.{}", s.name, f.name),
                format!("offset={} size={}", f.offset, f.size),
            );
        }
    }
    Snapshot {
        major: bilby_abi::BILBY_ABI_MAJOR,
        minor: bilby_abi::BILBY_ABI_MINOR,
        items,
    }
}

/// Checks `now` against `base`; returns every violation, each naming its item.
pub fn compare(base: &Snapshot, now: &Snapshot) -> Vec<String> {
    let mut errors = Vec::new();
    let version = (now.major, now.minor);
    let base_version = (base.major, base.minor);
    if version < base_version {
        errors.push(format!(
            "ABI version went backwards: {}.{} is older than the baseline {}.{}",
            now.major, now.minor, base.major, base.minor
        ));
        return errors;
    }
    let major_bumped = now.major > base.major;
    let minor_bumped = major_bumped || now.minor > base.minor;
    for (name, old) in &base.items {
        match now.items.get(name) {
            None if !major_bumped => errors.push(format!(
                "`{name}` was removed without a major version bump (BILBY_ABI_MAJOR is still {})",
                now.major
            )),
            Some(new) if new != old && !major_bumped => errors.push(format!(
                "`{name}` changed from {old} to {new} without a major version bump (BILBY_ABI_MAJOR is still {})",
                now.major
            )),
            _ => {}
        }
    }
    for name in now.items.keys() {
        if !base.items.contains_key(name) && !minor_bumped {
            errors.push(format!(
                "`{name}` was added without a minor version bump (the ABI is still {}.{})",
                now.major, now.minor
            ));
        }
    }
    errors
}

/// `cargo xtask abi-check [--bless]`.
pub fn command(args: &[String]) -> Result<()> {
    let bless = match args {
        [] => false,
        [a] if a == "--bless" => true,
        _ => bail!("usage: cargo xtask abi-check [--bless]"),
    };
    let path = util::root().join(BASELINE);
    let now = current();
    if bless {
        let text = serde_json::to_string_pretty(&now)? + "\n";
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "xtask: wrote {BASELINE}: ABI {}.{} with {} items",
            now.major,
            now.minor,
            now.items.len()
        );
        return Ok(());
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let base: Snapshot =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let errors = compare(&base, &now);
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("abi-check: {e}");
        }
        bail!(
            "{} ABI rule violation(s) against the baseline {}.{}",
            errors.len(),
            base.major,
            base.minor
        );
    }
    eprintln!(
        "xtask: ABI {}.{} is compatible with the baseline {}.{} ({} items)",
        now.major,
        now.minor,
        base.major,
        base.minor,
        base.items.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Snapshot {
        current()
    }

    #[test]
    fn the_crate_matches_itself() {
        assert!(compare(&base(), &current()).is_empty());
    }

    #[test]
    fn the_committed_baseline_parses_and_holds() {
        let text = std::fs::read_to_string(util::root().join(BASELINE)).unwrap();
        let b: Snapshot = serde_json::from_str(&text).unwrap();
        assert_eq!(compare(&b, &current()), Vec::<String>::new());
    }

    #[test]
    fn a_changed_item_without_major_bump_is_caught() {
        let mut now = base();
        now.minor += 1;
        now.items
            .insert("enum Hypercall::IpcCall".into(), "42".into());
        let errs = compare(&base(), &now);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("`enum Hypercall::IpcCall` changed from 5 to 42"));
        now.major += 1;
        now.minor = 0;
        assert!(compare(&base(), &now).is_empty());
    }

    #[test]
    fn a_removed_item_without_major_bump_is_caught() {
        let mut now = base();
        now.items.remove("field UserRegisters.r10");
        let errs = compare(&base(), &now);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("`field UserRegisters.r10` was removed"));
        now.major += 1;
        assert!(compare(&base(), &now).is_empty());
    }

    #[test]
    fn an_added_item_without_minor_bump_is_caught() {
        let mut now = base();
        now.items
            .insert("enum Hypercall::Teleport".into(), "99".into());
        let errs = compare(&base(), &now);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("`enum Hypercall::Teleport` was added without a minor"));
        now.minor += 1;
        assert!(compare(&base(), &now).is_empty());
    }

    #[test]
    fn a_layout_change_is_a_change() {
        let mut now = base();
        now.items
            .insert("struct Utcb".into(), "size=720 align=8".into());
        let errs = compare(&base(), &now);
        assert!(errs[0].contains("`struct Utcb` changed"), "{errs:?}");
    }

    #[test]
    fn a_version_going_backwards_is_caught() {
        let mut old = base();
        old.minor += 1;
        assert!(compare(&old, &base())[0].contains("went backwards"));
    }
}
