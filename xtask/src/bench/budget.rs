//! The regression guard: Bilby's path lengths against committed budgets.
//!
//! Path lengths under TCG `-icount shift=0` are exact, so a budget is a hard
//! instruction count, not a tolerance. `bench/budgets.json` holds one budget
//! per Bilby path (the last measured figure plus a small margin) and the
//! native-Linux reference the targets are relative to. A path that grows
//! past its budget fails `cargo xtask test`; a fast path that shrinks it
//! should lower the budget in the same commit. Issue 6's targets are not
//! gated here: the report says which are met and by how much they are missed.

use super::bilby::{self, Path};
use super::report::Report;
use super::{guest, remove_run_dir, run_dir};
use crate::kernel::TCG_CPU;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A budget is the measured path length plus this share, rounded up.
pub const MARGIN: f64 = 0.05;

/// `bench/budgets.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budgets {
    /// Free text for people reading the file.
    #[serde(rename = "//")]
    comment: Option<String>,
    pub reference: Reference,
    /// Instructions per op, by [`Path::id`].
    pub budgets: BTreeMap<String, u64>,
}

/// The native-Linux figure the targets are relative to, and where it came from.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// `<package> <version>` of Debian's kernel, as in the report.
    pub kernel_package: String,
    pub tcg_cpu: String,
    pub getpid_instructions_per_op: u64,
    pub invalid_syscall_instructions_per_op: u64,
}

impl Budgets {
    pub fn parse(text: &str) -> Result<Budgets> {
        let b: Budgets = serde_json::from_str(text).context("parsing bench/budgets.json")?;
        b.validate()?;
        Ok(b)
    }

    /// Every path has a budget and none is unknown.
    fn validate(&self) -> Result<()> {
        for k in self.budgets.keys() {
            if !Path::ALL.iter().any(|p| p.id() == k) {
                bail!("bench/budgets.json: unknown path `{k}`");
            }
        }
        if self.reference.getpid_instructions_per_op == 0 {
            bail!("bench/budgets.json: the getpid reference is 0");
        }
        for p in Path::ALL {
            self.budget(p)?;
        }
        Ok(())
    }

    /// Paths whose budget is above issue 6's target, with the target.
    pub fn above_target(&self) -> Vec<(Path, u64, f64)> {
        let getpid = self.reference.getpid_instructions_per_op as f64;
        Path::ALL
            .into_iter()
            .filter_map(|p| {
                let b = self.budget(p).ok()?;
                let target = p.target_ratio() * getpid;
                (b as f64 > target).then_some((p, b, target))
            })
            .collect()
    }

    pub fn budget(&self, p: Path) -> Result<u64> {
        self.budgets
            .get(p.id())
            .copied()
            .with_context(|| format!("bench/budgets.json: no budget for `{}`", p.id()))
    }

    /// Failures of `figures` against the budgets and the designed switch counts.
    pub fn violations(&self, figures: &bilby::Figures) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for p in Path::ALL {
            let f = figures
                .paths
                .get(&p)
                .with_context(|| format!("no Bilby figure for `{}`", p.id()))?;
            let budget = self.budget(p)?;
            if f.instructions_per_op > budget as f64 {
                out.push(format!(
                    "`{}`: {} instructions/op, over its budget of {budget}",
                    p.id(),
                    f.instructions_per_op
                ));
            }
            let (modes, spaces) = p.expected_switches();
            if f.mode_switches_per_op != modes as f64
                || f.address_space_switches_per_op != spaces as f64
            {
                out.push(format!(
                    "`{}`: {}/{} mode/address-space switches per op, the design says {modes}/{spaces}",
                    p.id(),
                    f.mode_switches_per_op,
                    f.address_space_switches_per_op
                ));
            }
        }
        Ok(out)
    }
}

/// `cargo xtask bench kernel --bless-budgets`: rewrites `bench/budgets.json`
/// from the committed `bench/REPORT.json` (its Bilby figures plus
/// [`MARGIN`], and its native reference). Run it after a change that
/// shortens a path, or, deliberately, after one that lengthens it.
pub fn bless() -> Result<()> {
    let dir = super::bench_dir();
    let report: Report = serde_json::from_str(
        &std::fs::read_to_string(dir.join("REPORT.json")).context("reading bench/REPORT.json")?,
    )
    .context("parsing bench/REPORT.json")?;
    let b = from_report(&report)?;
    let text = serde_json::to_string_pretty(&b)? + "\n";
    std::fs::write(dir.join("budgets.json"), text).context("writing bench/budgets.json")?;
    for (k, v) in &b.budgets {
        eprintln!("xtask: budgets: {k} = {v}");
    }
    Ok(())
}

/// Budgets from a report: every Bilby path must have been measured.
pub fn from_report(report: &Report) -> Result<Budgets> {
    let n = &report.native_linux;
    let native = |op: &str| -> Result<u64> {
        let v = n
            .ops
            .iter()
            .find(|o| o.op == op)
            .with_context(|| format!("the report has no native `{op}`"))?
            .instructions_per_op;
        Ok(v.round() as u64)
    };
    let mut budgets = BTreeMap::new();
    for row in &report.bilby.rows {
        let m = row.measured.as_ref().with_context(|| {
            format!(
                "the report has no Bilby figure for `{}` ({})",
                row.path, report.bilby.status
            )
        })?;
        // The margin absorbs toolchain noise; a path that meets its issue-6
        // target gets no margin past it, so a met target stays met.
        let with_margin = (m.instructions_per_op * (1.0 + MARGIN)).ceil() as u64;
        let target = (row.target_ratio * report.bilby.native_getpid_instructions).floor() as u64;
        let budget = if m.instructions_per_op <= target as f64 {
            with_margin.min(target)
        } else {
            with_margin
        };
        budgets.insert(row.path.clone(), budget);
    }
    let b = Budgets {
        comment: Some(format!(
            "Path-length budgets for Bilby: instructions per operation under QEMU TCG \
             -icount shift=0, loop overhead removed, on the TCG CPU named below. `cargo xtask \
             test` measures Bilby's paths and fails when one exceeds its budget or shows other \
             mode/address-space switch counts than the design's. Each budget is what `cargo \
             xtask bench kernel` measured (bench/REPORT.json of {}) plus {:.0}%, rounded up, \
             but never past issue 6's target for a path that meets it (null hypercall 0.8x, \
             IPC call+reply 1.8x, virtualized syscall 2.0x native Linux getpid), so a met \
             target stays met; regenerate with `cargo xtask bench kernel --bless-budgets` \
             when a fast path shortens a path. The \
             reference is native Linux from the same report; the non-quick test re-measures it \
             and fails if the same kernel gives a different count.",
            report.date_utc,
            MARGIN * 100.0
        )),
        reference: Reference {
            kernel_package: n.kernel_package.clone(),
            tcg_cpu: n.tcg_cpu.clone(),
            getpid_instructions_per_op: native("getpid")?,
            invalid_syscall_instructions_per_op: native("invalid_syscall")?,
        },
        budgets,
    };
    b.validate()?;
    Ok(b)
}

/// The step of `cargo xtask test`.
///
/// Always: the budgets are well-formed and agree with the committed report,
/// and Bilby's paths, measured now (one small TCG boot), are within their
/// budgets with the designed mode/address-space switch counts. Not `quick`:
/// native Linux is measured again too (one TCG boot of Debian's kernel,
/// under a minute) and must reproduce the reference exactly when the same
/// kernel is installed.
pub fn check(quick: bool) -> Result<()> {
    let dir = super::bench_dir();
    let text =
        std::fs::read_to_string(dir.join("budgets.json")).context("reading bench/budgets.json")?;
    let budgets = Budgets::parse(&text)?;
    let reference = &budgets.reference;
    if reference.tcg_cpu != TCG_CPU {
        bail!(
            "bench/budgets.json was measured on TCG CPU `{}`, the benchmark now uses `{}`: \
             re-measure and update the reference",
            reference.tcg_cpu,
            TCG_CPU
        );
    }

    let report_text = std::fs::read_to_string(dir.join("REPORT.json"))
        .context("reading bench/REPORT.json (run `cargo xtask bench kernel`)")?;
    let report: Report = serde_json::from_str(&report_text).context("parsing bench/REPORT.json")?;
    check_reference(reference, &report.native_linux, "bench/REPORT.json")?;
    for row in &report.bilby.rows {
        if let (Some(m), Ok(p)) = (&row.measured, path_by_id(&row.path)) {
            let budget = budgets.budget(p)?;
            if m.instructions_per_op > budget as f64 {
                bail!(
                    "bench/REPORT.json: `{}` measured {} instructions/op, over its budget {budget}",
                    row.path,
                    m.instructions_per_op
                );
            }
        }
    }

    let run = run_dir();
    if !quick {
        let bin = guest::build(&run)?;
        let fresh = super::measure_native(&bin, &run)?;
        check_reference(reference, &fresh, "this run")?;
    }

    for (p, b, target) in budgets.above_target() {
        eprintln!(
            "xtask: budgets: note: `{}` budget {b} is above its target of {target:.0} \
             (a fast path is still to come)",
            p.id()
        );
    }
    let figures = bilby::measure(&run)?;
    let v = budgets.violations(&figures)?;
    if !v.is_empty() {
        bail!("Bilby paths over budget:\n  {}", v.join("\n  "));
    }
    for p in Path::ALL {
        eprintln!(
            "xtask: budgets: {} {:.3} instructions/op (budget {})",
            p.id(),
            figures.paths[&p].instructions_per_op,
            budgets.budget(p)?
        );
    }
    remove_run_dir(&run);
    Ok(())
}

fn path_by_id(id: &str) -> Result<Path> {
    Path::ALL
        .into_iter()
        .find(|p| p.id() == id)
        .with_context(|| format!("unknown Bilby path `{id}`"))
}

/// The same kernel on the same CPU must give exactly the reference path
/// lengths; another kernel is reported, not failed (Debian updates it).
fn check_reference(
    reference: &Reference,
    native: &super::report::NativeLinux,
    source: &str,
) -> Result<()> {
    if native.kernel_package != reference.kernel_package || native.tcg_cpu != reference.tcg_cpu {
        eprintln!(
            "xtask: budgets: {source} measured {} on `{}`, the reference is {} on `{}`; \
             not compared",
            native.kernel_package, native.tcg_cpu, reference.kernel_package, reference.tcg_cpu
        );
        return Ok(());
    }
    for (op, want) in [
        ("getpid", reference.getpid_instructions_per_op),
        (
            "invalid_syscall",
            reference.invalid_syscall_instructions_per_op,
        ),
    ] {
        let got = native
            .ops
            .iter()
            .find(|o| o.op == op)
            .with_context(|| format!("{source} has no native `{op}`"))?
            .instructions_per_op;
        if got != want as f64 {
            bail!(
                "{source}: native Linux `{op}` took {got} instructions/op, the reference says \
                 {want} for the same kernel and CPU: the measurement is not exact any more"
            );
        }
    }
    eprintln!(
        "xtask: budgets: {source} reproduces the native reference ({})",
        reference.kernel_package
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
        "//": "test",
        "reference": {"kernel_package": "k 1", "tcg_cpu": "max",
                      "getpid_instructions_per_op": 300,
                      "invalid_syscall_instructions_per_op": 200},
        "budgets": {"null_hypercall": 240, "ipc_call_reply_registers": 540,
                    "ipc_call_reply_utcb64": 540, "virtualized_syscall": 600}
    }"#;

    #[test]
    fn parses_budgets_and_names_those_above_target() {
        let b = Budgets::parse(GOOD).unwrap();
        assert_eq!(b.budget(Path::VirtualizedSyscall).unwrap(), 600);
        assert!(b.above_target().is_empty());
        let loose = GOOD.replace("\"null_hypercall\": 240", "\"null_hypercall\": 241");
        let above = Budgets::parse(&loose).unwrap().above_target();
        assert_eq!(above.len(), 1);
        assert_eq!((above[0].0, above[0].1), (Path::NullHypercall, 241));
    }

    #[test]
    fn budgets_from_the_committed_report() {
        let text = std::fs::read_to_string(crate::util::root().join("bench/REPORT.json")).unwrap();
        let mut report: Report = serde_json::from_str(&text).unwrap();
        if report.bilby.rows.iter().all(|r| r.measured.is_some()) {
            let b = from_report(&report).unwrap();
            for row in &report.bilby.rows {
                let m = row.measured.as_ref().unwrap().instructions_per_op;
                let budget = b.budgets[&row.path] as f64;
                let target = row.target_ratio * report.bilby.native_getpid_instructions;
                assert!(budget >= m && budget < m * 1.05 + 1.0, "{}", row.path);
                if m <= target {
                    // A met target stays met: no margin past it.
                    assert!(budget <= target, "{}: {budget} past {target}", row.path);
                } else {
                    assert!(budget >= m * 1.05, "{}", row.path);
                }
            }
            let text = serde_json::to_string(&b).unwrap();
            assert_eq!(Budgets::parse(&text).unwrap().budgets, b.budgets);
        }
        report.bilby.rows[0].measured = None;
        assert!(from_report(&report).is_err());
    }

    #[test]
    fn rejects_missing_or_unknown_budgets() {
        let cases = [
            (GOOD.replace("\"null_hypercall\": 240,", ""), "no budget"),
            (
                GOOD.replace("\"null_hypercall\"", "\"nul_hypercall\""),
                "unknown path",
            ),
            (
                GOOD.replace("\"//\": \"test\",", "\"extra\": 1,"),
                "parsing",
            ),
            (
                GOOD.replace(
                    "\"getpid_instructions_per_op\": 300",
                    "\"getpid_instructions_per_op\": 0",
                ),
                "is 0",
            ),
        ];
        for (text, want) in cases {
            let e = format!("{:#}", Budgets::parse(&text).unwrap_err());
            assert!(e.contains(want), "{want}: {e}");
        }
    }

    #[test]
    fn flags_paths_over_budget_or_with_wrong_switches() {
        let b = Budgets::parse(GOOD).unwrap();
        let mut f = bilby::Figures::default();
        for p in Path::ALL {
            let (m, a) = p.expected_switches();
            f.paths.insert(
                p,
                bilby::PathFigures {
                    instructions_per_op: b.budget(p).unwrap() as f64,
                    mode_switches_per_op: m as f64,
                    address_space_switches_per_op: a as f64,
                    kvm_cycles_per_op: None,
                    stages: None,
                },
            );
        }
        assert!(b.violations(&f).unwrap().is_empty());
        f.paths
            .get_mut(&Path::IpcUtcb64)
            .unwrap()
            .instructions_per_op = 541.0;
        f.paths
            .get_mut(&Path::VirtualizedSyscall)
            .unwrap()
            .mode_switches_per_op = 8.0;
        let v = b.violations(&f).unwrap();
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v[0].contains("ipc_call_reply_utcb64") && v[0].contains("541"));
        assert!(v[1].contains("virtualized_syscall") && v[1].contains("8/2"));
        f.paths.remove(&Path::NullHypercall);
        assert!(b.violations(&f).is_err());
    }
}
