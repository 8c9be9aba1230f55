//! Churn across a series of versions: for each step, the lines of each port
//! that changed, relative to the port's size, and the port-touched shared
//! files that upstream changed in that step. Summed over several ports, this
//! is the cost of keeping a port alive on N architectures.

use crate::compare::{compare, Comparison, Options};
use crate::port::{analyze, is_under, PortReport, PortSpec};
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
    /// The whole tree's changes by area (each arch, and shared code).
    pub areas: std::collections::BTreeMap<String, crate::output::Totals>,
    /// Files changed in the whole tree (text, binary, generated).
    pub files_changed: u64,
}

impl StepPort {
    fn new(report: PortReport) -> StepPort {
        let lines = report.old_size.lines.total();
        let churned = report.own.churn();
        StepPort {
            port: report.spec.name.clone(),
            lines,
            lines_after: report.new_size.lines.total(),
            churned,
            relative_churn: if lines == 0 {
                0.0
            } else {
                churned as f64 / lines as f64
            },
            hook_churned: report.hooks.churn(),
            hook_config_hunks: report.hook_config_hunks,
            report,
        }
    }
}

impl Step {
    /// The step from `from` to `to`: its comparison and the ports' reports on it.
    pub fn new(from: String, to: String, cmp: &Comparison, reports: Vec<PortReport>) -> Step {
        let ports: Vec<StepPort> = reports.into_iter().map(StepPort::new).collect();
        Step {
            areas: crate::output::by_area(&cmp.files).0,
            files_changed: cmp.files.len() as u64,
            from,
            to,
            total_churned: ports.iter().map(|p| p.churned).sum(),
            total_hook_churned: ports.iter().map(|p| p.hook_churned).sum(),
            ports,
        }
    }
}

/// Runs every step of a series for the given ports.
pub fn series(
    trees: &[Tree],
    ports: &[PortSpec],
    opts: &Options,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    let mut opts = opts.clone();
    opts.ports = ports.to_vec();
    for (i, w) in trees.windows(2).enumerate() {
        if let Some(p) = progress {
            p.set_message(format!("(step {} of {})", i + 1, trees.len() - 1));
        }
        let cmp = compare(&w[0], &w[1], &opts, progress)?;
        let reports = ports
            .iter()
            .map(|spec| analyze(&cmp, spec, &w[0], &w[1], false))
            .collect::<Result<_>>()?;
        steps.push(Step::new(w[0].label(), w[1].label(), &cmp, reports));
    }
    Ok(steps)
}

/// Where one port's own paths lie inside (or equal) another's, in words:
/// those lines are in the sum twice.
fn overlaps(ports: &[StepPort]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        for (j, q) in ports.iter().enumerate() {
            for inner in &p.report.spec.own {
                for outer in &q.report.spec.own {
                    if i < j && inner == outer {
                        out.push(format!("{inner} belongs to {} and {}", p.port, q.port));
                    } else if i != j
                        && inner != outer
                        && is_under(outer.as_bytes(), inner.as_bytes())
                    {
                        out.push(format!("{inner} lies inside {outer}"));
                    }
                }
            }
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The series as a Markdown report (what `diffstat/REPORT.md` holds).
pub fn render_markdown(
    steps: &[Step],
    algorithm: crate::lines::Algorithm,
    command: &str,
) -> String {
    let mut s = String::new();
    s.push_str("# Porting effort: churn and shared-code hooks\n\n");
    s.push_str("Produced by `bilby-diffstat`; do not edit by hand.\n\n");
    s.push_str(&format!(
        "Command: `{command}`\n\nAlgorithm: {}\n\n",
        algorithm.describe()
    ));
    s.push_str(
        "Definitions: *own lines* are the text lines (code + comment + blank; binary and \
         generated files apart) under the port's own directories; *churned* = added + removed \
         own lines in the step, renames detected without a file-count limit; *relative churn* = \
         churned / own lines at the start of the step; *hooks* are shared files outside the \
         port's directories that are its named hook paths or that test its `CONFIG_` symbol, \
         changed in the step; *CONFIG hunks* are changed hunks of those files that sit in or \
         open a conditional on the symbol; *hook lines* are all changed lines of named hook \
         paths, and only the CONFIG-hunk lines of files that merely test the symbol; *relative hook \
         churn* = changed lines under the named hook paths / their lines at the start of the step.\n\n",
    );
    for st in steps {
        s.push_str(&format!("## {} → {}\n\n", st.from, st.to));
        s.push_str("### Shared-code hooks (what breaks on every rebase)\n\n");
        s.push_str("| port | hook paths | hook-path lines | symbols | hook files changed | hook lines +/- | relative hook churn | CONFIG hunks |\n|---|---|---:|---|---:|---:|---:|---:|\n");
        for p in &st.ports {
            let r = &p.report;
            let hook_lines = r.hook_paths_size.as_ref().map(|z| z.lines.total());
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | +{} / -{} | {} | {} |\n",
                p.port,
                if r.spec.hooks.is_empty() {
                    "—".to_string()
                } else {
                    r.spec.hooks.join(", ")
                },
                hook_lines.map_or("—".to_string(), |n| n.to_string()),
                r.spec
                    .symbols
                    .iter()
                    .map(|x| format!("`CONFIG_{x}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                r.hooks.files,
                r.hooks.added,
                r.hooks.removed,
                hook_lines.filter(|&n| n > 0).map_or("—".to_string(), |n| {
                    let named: u64 = r
                        .hook_files
                        .iter()
                        .filter(|h| h.why == "hook path")
                        .map(|h| h.added + h.removed)
                        .sum();
                    pct(named as f64 / n as f64)
                }),
                p.hook_config_hunks
            ));
        }
        s.push_str("\n### Size and churn of the ports' own code\n\n");
        s.push_str("| port | own paths | files | own lines (code / comment / blank) | lines after | churned (+/-) | relative churn | own files changed | own files added |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for p in &st.ports {
            let r = &p.report;
            s.push_str(&format!(
                "| {} | {} | {} → {} | {} ({} / {} / {}) | {} | {} (+{} / -{}) | {} | {} | {} |\n",
                p.port,
                r.spec.own.join(", "),
                r.old_size.files,
                r.new_size.files,
                p.lines,
                r.old_size.lines.code,
                r.old_size.lines.comment,
                r.old_size.lines.blank,
                p.lines_after,
                p.churned,
                r.own.added,
                r.own.removed,
                pct(p.relative_churn),
                r.own.files,
                r.own_added.files
            ));
        }
        let lines: u64 = st.ports.iter().map(|p| p.lines).sum();
        s.push_str(&format!(
            "\nSum over the {} ports (the cost of maintaining them together): {} churned own lines \
             of {} ({}), plus {} changed lines in their shared-code hooks.\n\n",
            st.ports.len(),
            st.total_churned,
            lines,
            pct(if lines == 0 { 0.0 } else { st.total_churned as f64 / lines as f64 }),
            st.total_hook_churned
        ));
        let overlaps = overlaps(&st.ports);
        if !overlaps.is_empty() {
            s.push_str(&format!(
                "Note: the ports overlap ({}), so the sum counts those lines twice.\n\n",
                overlaps.join("; ")
            ));
        }
        for p in &st.ports {
            let mut hooks = p.report.hook_files.clone();
            hooks.sort_by(|a, b| {
                (b.added + b.removed)
                    .cmp(&(a.added + a.removed))
                    .then(a.path.cmp(&b.path))
            });
            s.push_str(&format!(
                "### {}: hook files changed upstream in this step ({}; top 25 by hook lines)\n\n",
                p.port,
                hooks.len()
            ));
            if hooks.is_empty() {
                s.push_str("None.\n\n");
                continue;
            }
            s.push_str("| file | why | hook lines +/- | CONFIG hunks | whole file +/- |\n|---|---|---:|---:|---:|\n");
            for h in hooks.iter().take(25) {
                s.push_str(&format!(
                    "| `{}` | {} | +{} / -{} | {} | +{} / -{} |\n",
                    h.path, h.why, h.added, h.removed, h.config_hunks, h.file_added, h.file_removed
                ));
            }
            s.push('\n');
        }
        s.push_str(&format!(
            "### Arch-specific vs shared changes, whole tree ({} files changed)\n\n",
            st.files_changed
        ));
        s.push_str("| area | files | added | removed | churned |\n|---|---:|---:|---:|---:|\n");
        let mut areas: Vec<_> = st.areas.iter().collect();
        areas.sort_by(|a, b| b.1.churn().cmp(&a.1.churn()).then(a.0.cmp(b.0)));
        for (name, t) in areas {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                name,
                t.files,
                t.added,
                t.removed,
                t.churn()
            ));
        }
        s.push('\n');
    }
    s
}
