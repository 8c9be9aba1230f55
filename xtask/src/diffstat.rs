//! bilby-diffstat's corpus test, benchmark and report, all on Debian's two
//! Linux source trees (`linux-source-6.1`, `linux-source-6.12`), unpacked
//! once into `target/linux-trees/` and reused.
//!
//! - `corpus_test`: `bilby-diffstat --minimal --numstat --no-renames` must
//!   print exactly what `git diff --no-index --numstat --minimal --no-renames`
//!   prints for the two trees.
//! - `bench`: both tools on the two trees, wall / CPU / peak RSS, median of
//!   several runs, written to `bench/diffstat/REPORT.{md,json}`.
//! - `report`: regenerates `diffstat/REPORT.md` (and its chart) with the tool.
//!
//! Nothing here decides a speed target by timing a test: the benchmark only
//! writes what it measured.

use crate::util;
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const TREES: [(&str, &str, &str); 2] = [
    (
        "linux-source-6.1",
        "/usr/src/linux-source-6.1.tar.xz",
        "linux-source-6.1",
    ),
    (
        "linux-source-6.12",
        "/usr/src/linux-source-6.12.tar.xz",
        "linux-source-6.12",
    ),
];

/// Where the unpacked trees live.
fn trees_dir() -> PathBuf {
    util::root().join("target/linux-trees")
}

/// Installs the source packages and unpacks each tree once (atomically: a
/// half-unpacked tree is never mistaken for a finished one).
fn ensure_trees() -> Result<PathBuf> {
    let mut pkgs: Vec<(&str, &str)> = TREES.iter().map(|(p, t, _)| (*p, *t)).collect();
    // tar -J runs xz.
    pkgs.push(("xz-utils", "/usr/bin/xz"));
    util::ensure_packages(&pkgs)?;
    let dir = trees_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (_, tarball, top) in TREES {
        let dest = dir.join(top);
        if dest.join("Makefile").is_file() {
            continue;
        }
        let tmp = dir.join(format!(".unpack-{top}"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        eprintln!("xtask: unpacking {tarball} into {}", dir.display());
        util::run(
            Command::new("nice")
                .args(["-n", "19", "tar", "-xJf", tarball, "-C"])
                .arg(&tmp),
        )?;
        let _ = std::fs::remove_dir_all(&dest);
        std::fs::rename(tmp.join(top), &dest)
            .with_context(|| format!("moving the unpacked {top} into place"))?;
        std::fs::remove_dir_all(&tmp)?;
    }
    Ok(dir)
}

/// Builds the release binary and returns its path.
fn build_tool() -> Result<PathBuf> {
    util::cargo(&["build", "--release", "-q", "-p", "bilby-diffstat"])?;
    let bin = util::root().join("target/release/bilby-diffstat");
    if !bin.is_file() {
        bail!("{} missing after the build", bin.display());
    }
    Ok(bin)
}

/// git without any user or system configuration, and never inside our repo.
fn git_cmd(cwd: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(cwd)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env(
            "GIT_CEILING_DIRECTORIES",
            cwd.parent().unwrap_or(Path::new("/")),
        )
        .env("LC_ALL", "C");
    c
}

/// Runs `cmd` (niced) with stdout to `out`; returns its exit code.
fn run_to_file(cmd: &mut Command, out: &Path) -> Result<i32> {
    let f = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let st = cmd
        .stdout(f)
        .stderr(Stdio::inherit())
        .status()
        .with_context(|| format!("spawning {cmd:?}"))?;
    Ok(st.code().unwrap_or(-1))
}

/// `cargo xtask test`'s corpus step.
pub fn corpus_test(quick: bool) -> Result<()> {
    if quick {
        eprintln!("xtask: --quick: skipping the diffstat corpus test on the Linux trees");
        return Ok(());
    }
    let dir = ensure_trees()?;
    let bin = build_tool()?;
    let out = util::root().join("target/diffstat-corpus");
    std::fs::create_dir_all(&out)?;
    // Exact counts, then the same with -w (git's whitespace rules).
    for (name, extra) in [("minimal", &[][..]), ("minimal-w", &["-w"][..])] {
        corpus_compare(&dir, &bin, &out, name, extra)?;
    }
    Ok(())
}

/// Runs both tools with `extra` options and requires identical numstat.
fn corpus_compare(dir: &Path, bin: &Path, out: &Path, name: &str, extra: &[&str]) -> Result<()> {
    let (a, b) = (TREES[0].2, TREES[1].2);
    let ours = out.join(format!("bilby-diffstat-{name}.numstat"));
    let theirs = out.join(format!("git-{name}.numstat"));
    let t = Instant::now();
    let code = run_to_file(
        Command::new("nice")
            .args(["-n", "19"])
            .arg(bin)
            .args(["--quiet", "--minimal", "--numstat", "--no-renames"])
            .args(extra)
            .args([a, b])
            .current_dir(dir),
        &ours,
    )?;
    if code != 0 {
        bail!("bilby-diffstat exited with {code}");
    }
    let ours_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let code = run_to_file(
        git_cmd(dir)
            .args([
                "-c",
                "core.quotePath=true",
                "diff",
                "--no-index",
                "--numstat",
            ])
            .args(["--minimal", "--no-renames"])
            .args(extra)
            .args([a, b]),
        &theirs,
    )?;
    if code != 1 {
        bail!("git diff --no-index exited with {code} (1 expected: the trees differ)");
    }
    let git_s = t.elapsed().as_secs_f64();
    let (x, y) = (std::fs::read(&ours)?, std::fs::read(&theirs)?);
    let nx = x.iter().filter(|&&c| c == b'\n').count();
    let ny = y.iter().filter(|&&c| c == b'\n').count();
    if x != y {
        let first = x
            .split(|&c| c == b'\n')
            .zip(y.split(|&c| c == b'\n'))
            .enumerate()
            .find(|(_, (p, q))| p != q)
            .map(|(i, (p, q))| {
                format!(
                    "line {}: ours {:?}, git {:?}",
                    i + 1,
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(q)
                )
            })
            .unwrap_or_else(|| "one output is a prefix of the other".into());
        bail!(
            "{name}: numstat differs from git's ({nx} vs {ny} lines); first difference at \
             {first}; both outputs are in {}",
            out.display()
        );
    }
    if ny < 1000 {
        bail!("{name}: only {ny} numstat lines: the trees look wrong");
    }
    eprintln!(
        "xtask: diffstat corpus ({name}{}): {ny} files, identical to git's numstat \
         (bilby-diffstat {ours_s:.1}s, git {git_s:.1}s, both niced)",
        if extra.is_empty() {
            String::new()
        } else {
            format!(" {}", extra.join(" "))
        }
    );
    Ok(())
}

/// One measured run of a child.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Sample {
    wall_s: f64,
    user_s: f64,
    sys_s: f64,
    max_rss_mib: f64,
    exit: i32,
}

/// Spawns `cmd` and reaps it with `wait4`, which returns that child's own
/// CPU time and peak RSS.
fn measure(cmd: &mut Command, out: &Path) -> Result<Sample> {
    let f = File::create(out)?;
    let t = Instant::now();
    let child = cmd
        .stdout(f)
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("spawning {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; zero is a valid bit pattern.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unreaped child (std never waits for it: we
    // drop `child` without calling wait), and both pointers are to live locals.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = t.elapsed().as_secs_f64();
    drop(child);
    if r != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok(Sample {
        wall_s: wall,
        user_s: tv(ru.ru_utime),
        sys_s: tv(ru.ru_stime),
        max_rss_mib: ru.ru_maxrss as f64 / 1024.0,
        exit,
    })
}

#[derive(Debug, serde::Serialize)]
struct Config {
    name: String,
    command: String,
    /// Exit code every run must give.
    expect_exit: i32,
    samples: Vec<Sample>,
    median: Option<Sample>,
    output_lines: usize,
    /// Numstat lines that differ from `git --minimal --no-renames` (None:
    /// not comparable line by line, e.g. with renames).
    lines_differing_from_git_minimal: Option<usize>,
}

/// Field by field medians (every sample has the same, expected, exit code).
fn median(samples: &[Sample]) -> Option<Sample> {
    let mid = |f: fn(&Sample) -> f64| {
        crate::bench::parse::median(&samples.iter().map(f).collect::<Vec<_>>())
    };
    Some(Sample {
        wall_s: mid(|s| s.wall_s)?,
        user_s: mid(|s| s.user_s)?,
        sys_s: mid(|s| s.sys_s)?,
        max_rss_mib: mid(|s| s.max_rss_mib)?,
        exit: samples.first()?.exit,
    })
}

fn read_first_line(path: &str, key: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn command_output(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// One benchmarked command: git or bilby-diffstat with `args` before the
/// two trees. The report shows the command it runs, from the same list.
struct Bench {
    name: &'static str,
    git: bool,
    args: &'static [&'static str],
    /// Its numstat lines pair up with `git --minimal --no-renames`'s (no
    /// renames pairing files differently).
    comparable: bool,
}

/// Indices into [`BENCHES`] that the summary compares.
const GIT_DEFAULT: usize = 0;
const GIT_MINIMAL: usize = 1;
const EXACT: usize = 2;
const RENAMES: usize = 3;

const BENCHES: [Bench; 6] = [
    Bench {
        name: "git (default Myers)",
        git: true,
        args: &[],
        comparable: false,
    },
    Bench {
        name: "git --minimal --no-renames",
        git: true,
        args: &["--minimal", "--no-renames"],
        comparable: true,
    },
    Bench {
        name: "bilby-diffstat --minimal --no-renames (exact)",
        git: false,
        args: &["--minimal", "--no-renames"],
        comparable: true,
    },
    Bench {
        name: "bilby-diffstat --minimal (renames on, no limit)",
        git: false,
        args: &["--minimal"],
        comparable: false,
    },
    Bench {
        name: "bilby-diffstat --algorithm histogram --no-renames (imara-diff)",
        git: false,
        args: &["--algorithm", "histogram", "--no-renames"],
        comparable: true,
    },
    Bench {
        name: "bilby-diffstat --algorithm myers --no-renames (imara-diff)",
        git: false,
        args: &["--algorithm", "myers", "--no-renames"],
        comparable: true,
    },
];

impl Bench {
    /// git exits 1 when the trees differ; bilby-diffstat exits 0.
    fn expect_exit(&self) -> i32 {
        i32::from(self.git)
    }

    fn argv(&self) -> Vec<&'static str> {
        let (a, b) = (TREES[0].2, TREES[1].2);
        let head: &[&str] = if self.git {
            &["diff", "--no-index", "--numstat"]
        } else {
            &["--quiet", "--numstat"]
        };
        [head, self.args, &[a, b]].concat()
    }

    /// The command, to run in the trees' directory `dir`.
    fn command(&self, dir: &Path, bin: &Path) -> Command {
        let mut c = if self.git {
            git_cmd(dir)
        } else {
            let mut c = Command::new(bin);
            c.current_dir(dir);
            c
        };
        c.args(self.argv());
        c
    }

    /// The command as the report shows it.
    fn shown(&self, bin: &Path) -> String {
        let prog = if self.git {
            "git".to_string()
        } else {
            bin.display().to_string()
        };
        format!("{prog} {}", self.argv().join(" "))
    }
}

/// `cargo xtask bench diffstat [--runs N]`.
pub fn bench(args: &[String]) -> Result<()> {
    let runs: usize = match args.iter().position(|a| a == "--runs") {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .context("--runs needs a positive number")?,
        None => 3,
    };
    let dir = ensure_trees()?;
    let bin = build_tool()?;
    let (a, b) = (TREES[0].2, TREES[1].2);
    let scratch = util::root().join("target/diffstat-bench");
    std::fs::create_dir_all(&scratch)?;
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut results: Vec<Config> = BENCHES
        .iter()
        .map(|c| Config {
            name: c.name.to_string(),
            command: c.shown(&bin),
            expect_exit: c.expect_exit(),
            samples: Vec::new(),
            median: None,
            output_lines: 0,
            lines_differing_from_git_minimal: None,
        })
        .collect();
    // One warm-up round (page cache), then `runs` rounds, tools interleaved
    // so that load from elsewhere hits both alike.
    let out_file = |k: usize| scratch.join(format!("out-{k}.txt"));
    for round in 0..=runs {
        for (k, c) in BENCHES.iter().enumerate() {
            let s = measure(&mut c.command(&dir, &bin), &out_file(k))?;
            if s.exit != c.expect_exit() {
                bail!("{}: exit {} (expected {})", c.name, s.exit, c.expect_exit());
            }
            eprintln!(
                "xtask: bench diffstat round {round}: {}: wall {:.2}s user {:.2}s sys {:.2}s rss {:.0} MiB",
                c.name, s.wall_s, s.user_s, s.sys_s, s.max_rss_mib
            );
            if round > 0 {
                results[k].samples.push(s);
            }
        }
    }
    let reference = std::fs::read(out_file(GIT_MINIMAL))?;
    let reference: Vec<&[u8]> = reference.split(|&c| c == b'\n').collect();
    for (k, (r, c)) in results.iter_mut().zip(&BENCHES).enumerate() {
        r.median = median(&r.samples);
        let out = std::fs::read(out_file(k))?;
        let lines: Vec<&[u8]> = out.split(|&c| c == b'\n').collect();
        // `split` yields one piece more than there are newlines.
        r.output_lines = lines.len() - 1;
        if c.comparable && lines.len() == reference.len() {
            r.lines_differing_from_git_minimal =
                Some(lines.iter().zip(&reference).filter(|(p, q)| p != q).count());
        }
    }
    // Same number of lines, none differing: the same bytes.
    let exact_same = results[EXACT].lines_differing_from_git_minimal == Some(0);
    let load_after = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let machine = serde_json::json!({
        "nproc": command_output(&mut Command::new("nproc")),
        "cpu": read_first_line("/proc/cpuinfo", "model name"),
        "memory": read_first_line("/proc/meminfo", "MemTotal"),
        "kernel": command_output(Command::new("uname").arg("-r")),
        "git": command_output(Command::new("git").arg("--version")),
        "loadavg_before": load_before.trim(),
        "loadavg_after": load_after.trim(),
    });
    let out_dir = util::root().join("bench/diffstat");
    std::fs::create_dir_all(&out_dir)?;
    // Keep a short history of earlier runs: on a shared machine one run's
    // wall times say as much about the neighbours as about the tools.
    let previous: Option<serde_json::Value> = std::fs::read(out_dir.join("REPORT.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let mut history: Vec<serde_json::Value> = previous
        .as_ref()
        .and_then(|p| p["history"].as_array().cloned())
        .unwrap_or_default();
    let summary = |i: usize| results[i].median.map(|m| (m.wall_s, m.user_s + m.sys_s));
    if let (Some((gw, gc)), Some((ow, oc)), Some((rw, _))) =
        (summary(GIT_DEFAULT), summary(EXACT), summary(RENAMES))
    {
        history.push(serde_json::json!({
            "date": command_output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])),
            "loadavg_before": load_before.trim(),
            "git_wall_s": gw,
            "git_cpu_s": gc,
            "exact_wall_s": ow,
            "exact_cpu_s": oc,
            "renames_wall_s": rw,
        }));
    }
    let keep = history.len().saturating_sub(10);
    history.drain(..keep);
    let json = serde_json::json!({
        "benchmark": "bilby-diffstat vs git diff --no-index --numstat",
        "trees": [a, b],
        "runs": runs,
        "machine": machine,
        "exact_output_identical_to_git_minimal": exact_same,
        "configs": results,
        "history": history,
    });
    std::fs::write(
        out_dir.join("REPORT.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    std::fs::write(
        out_dir.join("REPORT.md"),
        render_bench(&json, &results, runs),
    )?;
    eprintln!("xtask: wrote bench/diffstat/REPORT.md and REPORT.json");
    Ok(())
}

fn render_bench(json: &serde_json::Value, results: &[Config], runs: usize) -> String {
    let m = &json["machine"];
    let med = |i: usize| results[i].median;
    let mut s = String::new();
    s.push_str("# bilby-diffstat benchmark\n\n");
    s.push_str("Written by `cargo xtask bench diffstat`; do not edit by hand.\n\n");
    s.push_str(&format!(
        "Trees: Debian `linux-source-6.1` vs `linux-source-6.12`, unpacked. \
         Median of {runs} runs after one warm-up round (page cache warm), the tools interleaved. \
         Wall time from spawn to reap; CPU time and peak RSS from `wait4` on the child.\n\n"
    ));
    s.push_str(&format!(
        "Machine: {} CPUs ({}), {}, Linux {}, {}. Load average before: `{}`, after: `{}` \
         (the machine is shared with other work; wall times move with it).\n\n",
        m["nproc"].as_str().unwrap_or("?"),
        m["cpu"].as_str().unwrap_or("?"),
        m["memory"].as_str().unwrap_or("?"),
        m["kernel"].as_str().unwrap_or("?"),
        m["git"].as_str().unwrap_or("?"),
        m["loadavg_before"].as_str().unwrap_or("?"),
        m["loadavg_after"].as_str().unwrap_or("?"),
    ));
    s.push_str("| tool | wall s | user s | sys s | CPU s | peak RSS MiB | output lines | lines ≠ git --minimal |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in results {
        if let Some(x) = r.median {
            s.push_str(&format!(
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {} | {} |\n",
                r.name,
                x.wall_s,
                x.user_s,
                x.sys_s,
                x.user_s + x.sys_s,
                x.max_rss_mib,
                r.output_lines,
                r.lines_differing_from_git_minimal
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "n/a".into())
            ));
        }
    }
    s.push('\n');
    if let (Some(g), Some(gm), Some(o), Some(or)) =
        (med(GIT_DEFAULT), med(GIT_MINIMAL), med(EXACT), med(RENAMES))
    {
        let ratio = o.wall_s / g.wall_s;
        s.push_str(&format!(
            "Exact mode vs git's default: **{:.2}×** git's wall time (target ≤ 0.30×: {}); \
             vs `git --minimal`: {:.2}×. With rename detection: {:.2}× git's default. \
             Peak RSS {:.0} MiB (target ≤ 1024 MiB: {}).\n\n\
             CPU time (user + sys), which load elsewhere on the machine moves less: exact mode \
             {:.2}× git's default, {:.2}× `git --minimal`; bilby-diffstat spreads it over both \
             cores, git runs on one. git's default detects renames but stops inexact rename \
             detection at its rename limit; bilby-diffstat's rename mode has no limit, so the \
             two rename outputs differ in their pairing.\n\n",
            ratio,
            if ratio <= 0.30 { "met" } else { "**missed**" },
            o.wall_s / gm.wall_s,
            or.wall_s / g.wall_s,
            o.max_rss_mib.max(or.max_rss_mib),
            if o.max_rss_mib.max(or.max_rss_mib) <= 1024.0 {
                "met"
            } else {
                "**missed**"
            },
            (o.user_s + o.sys_s) / (g.user_s + g.sys_s),
            (o.user_s + o.sys_s) / (gm.user_s + gm.sys_s),
        ));
    }
    s.push_str(&format!(
        "Output of `bilby-diffstat --numstat --minimal --no-renames` identical to \
         `git diff --no-index --numstat --minimal --no-renames`: **{}**.\n\n",
        json["exact_output_identical_to_git_minimal"]
    ));
    if let Some(h) = json["history"].as_array().filter(|h| h.len() > 1) {
        s.push_str("Recent runs of this benchmark (medians; the load average shows how busy the shared machine was):\n\n");
        s.push_str("| date | load avg before | git default wall s | exact wall s | wall ratio | CPU ratio | with renames wall s |\n|---|---|---:|---:|---:|---:|---:|\n");
        for r in h {
            let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
            s.push_str(&format!(
                "| {} | `{}` | {:.2} | {:.2} | {:.2}× | {:.2}× | {:.2} |\n",
                r["date"].as_str().unwrap_or("?"),
                r["loadavg_before"].as_str().unwrap_or("?"),
                f("git_wall_s"),
                f("exact_wall_s"),
                f("exact_wall_s") / f("git_wall_s"),
                f("exact_cpu_s") / f("git_cpu_s"),
                f("renames_wall_s"),
            ));
        }
        s.push('\n');
    }
    s.push_str("Commands (run in `target/linux-trees/`):\n\n");
    for r in results {
        s.push_str(&format!("- {}: `{}`\n", r.name, r.command));
    }
    s
}

/// `cargo xtask diffstat-report`: regenerates `diffstat/REPORT.md`.
pub fn report(_args: &[String]) -> Result<()> {
    let dir = ensure_trees()?;
    let bin = build_tool()?;
    let (a, b) = (TREES[0].2, TREES[1].2);
    let svg = util::root().join("diffstat/churn.svg");
    let out = Command::new("nice")
        .args(["-n", "19"])
        .arg(&bin)
        .args([
            "--quiet",
            "--series",
            "--markdown",
            "--port",
            "um",
            "--port",
            "xen",
            "--port",
            "x86",
            "--svg",
        ])
        .arg(&svg)
        .args([a, b])
        .current_dir(&dir)
        .stderr(Stdio::inherit())
        .output()
        .context("running bilby-diffstat")?;
    if !out.status.success() {
        bail!("bilby-diffstat failed ({})", out.status);
    }
    let mut md = String::from_utf8(out.stdout).context("report is not UTF-8")?;
    md.push_str("\n![churn per step and port](churn.svg)\n");
    md.push_str(
        "\nRegenerate with `cargo xtask diffstat-report` (unpacks Debian's \
         `linux-source-6.1` and `linux-source-6.12` into `target/linux-trees/`, \
         runs the command above there, and writes this file and `churn.svg`).\n",
    );
    std::fs::write(util::root().join("diffstat/REPORT.md"), md)?;
    eprintln!("xtask: wrote diffstat/REPORT.md and diffstat/churn.svg");
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The corpus step on its own (`cargo test -p xtask -- --ignored corpus`);
    /// `cargo xtask test` runs it as one of its steps.
    #[test]
    #[ignore = "unpacks two Linux trees; run by `cargo xtask test`"]
    fn corpus() {
        super::corpus_test(false).unwrap();
    }

    #[test]
    fn median_of_samples() {
        let s = |w: f64| super::Sample {
            wall_s: w,
            user_s: w,
            sys_s: 0.0,
            max_rss_mib: 1.0,
            exit: 0,
        };
        let m = super::median(&[s(3.0), s(1.0), s(2.0)]).unwrap();
        assert_eq!(m.wall_s, 2.0);
        assert!(super::median(&[]).is_none());
    }
}
