//! Building Linux for ARCH=l4 and its boot test.

use anyhow::{bail, Result};

/// `cargo xtask linux [--source DIR]`.
pub fn command(_args: &[String]) -> Result<()> {
    bail!("the l4 arch tree is not written yet (issue 5)")
}

/// The Linux boot test run by `cargo xtask test`.
pub fn boot_test(_quick: bool) -> Result<()> {
    bail!("the l4 arch tree is not written yet (issue 5)")
}
