//! Churn across a series of versions: for each step, the lines of each port
//! that changed, relative to the port's size, and the port-touched shared
//! files that upstream changed in that step. Summed over several ports, this
//! is the cost of keeping a port alive on N architectures.

use crate::compare::{compare, Options};
use crate::port::{analyze, PortReport, PortSpec};
use crate::source::Tree;
use anyhow::Result;
use serde::Serialize;

/// One step (version i to i+1) of one port.
#[derive(Debug, Clone, Serialize)]
pub struct StepPort {
    pub port: String,
    /// Own lines at the start of the step (text files).
    pub lines: u64,
    /// Own lines at the end of the step.
    pub lines_after: u64,
    /// Added + removed own lines.
    pub churned: u64,
    /// churned / lines.
    pub relative_churn: f64,
    /// Added + removed lines in the port's hooks in shared code.
    pub hook_churned: u64,
    pub hook_config_hunks: u64,
    pub report: PortReport,
}

/// One step of the series.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub from: String,
    pub to: String,
    pub ports: Vec<StepPort>,
    /// Sum over the ports.
    pub total_churned: u64,
    pub total_hook_churned: u64,
}

/// Runs every step of a series for the given ports.
pub fn series(
    trees: &[Tree],
    ports: &[PortSpec],
    opts: &Options,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    let mut opts = opts.clone();
    opts.ports = ports.to_vec();
    for (i, w) in trees.windows(2).enumerate() {
        progress(i, trees.len() - 1);
        let cmp = compare(&w[0], &w[1], &opts, None)?;
        let mut sp = Vec::new();
        for spec in ports {
            let r = analyze(&cmp, spec, &w[0], &w[1], false)?;
            let lines = r.old_size.lines.total();
            let churned = r.own.churn();
            sp.push(StepPort {
                port: spec.name.clone(),
                lines,
                lines_after: r.new_size.lines.total(),
                churned,
                relative_churn: if lines == 0 {
                    0.0
                } else {
                    churned as f64 / lines as f64
                },
                hook_churned: r.hooks.churn(),
                hook_config_hunks: r.hook_config_hunks,
                report: r,
            });
        }
        steps.push(Step {
            from: w[0].label(),
            to: w[1].label(),
            total_churned: sp.iter().map(|p| p.churned).sum(),
            total_hook_churned: sp.iter().map(|p| p.hook_churned).sum(),
            ports: sp,
        });
    }
    Ok(steps)
}
