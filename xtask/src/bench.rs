//! Kernel benchmarks: path lengths and times against native Linux and UML.

use anyhow::{bail, Result};

/// `cargo xtask bench kernel`.
pub fn kernel_bench(_args: &[String]) -> Result<()> {
    bail!("the kernel benchmark is not written yet (issue 6)")
}

/// Path-length budgets checked by `cargo xtask test`.
pub fn budget_test(_quick: bool) -> Result<()> {
    bail!("the kernel benchmark is not written yet (issue 6)")
}
