//! being written
use anyhow::{bail, Result};

pub fn command(_args: &[String]) -> Result<()> {
    bail!("not written yet")
}
