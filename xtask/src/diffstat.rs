//! bilby-diffstat's corpus test, benchmark and report.

use anyhow::{bail, Result};

/// `cargo xtask bench diffstat`.
pub fn bench(_args: &[String]) -> Result<()> {
    bail!("bilby-diffstat is not written yet (issue 4)")
}

/// `cargo xtask diffstat-report`.
pub fn report(_args: &[String]) -> Result<()> {
    bail!("bilby-diffstat is not written yet (issue 4)")
}

/// The corpus test on Debian's Linux trees, run by `cargo xtask test`.
pub fn corpus_test(_quick: bool) -> Result<()> {
    bail!("bilby-diffstat is not written yet (issue 4)")
}
