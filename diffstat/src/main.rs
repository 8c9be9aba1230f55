//! `bilby-diffstat`: the command line over the library. It parses options,
//! runs one comparison (or a series) and writes one report format; every
//! error becomes a one-line message and exit status 2, never a panic.
#![deny(unsafe_code)]

use anyhow::{bail, Context, Result};
use bilby_diffstat::{
    chart, churn,
    compare::{compare, Options},
    lines::Algorithm,
    output, port,
    port::PortSpec,
    source::Tree,
};
use clap::Parser;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Porting effort by changed lines, churn and shared-code hooks.
///
/// Compare two trees (`OLD NEW`), two revisions of a git repository
/// (`--git REPO A B`, read from its objects, no checkout), or a series of
/// versions (`--series V1 V2 ...`). With `--minimal --numstat --no-renames`
/// the output equals `git diff --no-index --numstat --minimal --no-renames`.
#[derive(Parser, Debug)]
#[command(name = "bilby-diffstat", version)]
struct Cli {
    /// Two trees (or, with --series, two or more), or revisions with --git.
    #[arg(value_name = "TREE", required = true)]
    trees: Vec<OsString>,

    /// Read the TREEs as revisions of this git repository.
    #[arg(long, value_name = "REPO")]
    git: Option<PathBuf>,

    /// Treat the TREEs as a series of versions and report churn per step.
    #[arg(long)]
    series: bool,

    /// Shortest edit scripts: added/removed equal `git diff --minimal`.
    #[arg(long, conflicts_with = "algorithm")]
    minimal: bool,

    /// Line diff algorithm.
    #[arg(long, value_enum, default_value_t = Algorithm::Minimal)]
    algorithm: Algorithm,

    /// Ignore whitespace when comparing lines (`git diff -w`); whitespace-only
    /// changes are then not counted at all.
    #[arg(short = 'w', long)]
    ignore_all_space: bool,

    /// Do not pair removed with added files as renames.
    #[arg(long)]
    no_renames: bool,

    /// Minimum similarity in percent for an inexact rename.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100))]
    rename_threshold: u32,

    /// A port: a named set (um, xen, x86, l4) or its directory (arch/l4).
    /// Repeatable. With two trees, OLD is upstream and NEW the ported tree,
    /// so every changed shared file counts as a hook; with --series, hooks
    /// are the named hook paths and shared files testing the port's CONFIG
    /// symbol.
    #[arg(long, value_name = "PORT")]
    port: Vec<String>,

    /// git-compatible numstat lines.
    #[arg(long, group = "format")]
    numstat: bool,

    /// JSON (schema in SCHEMA.md, versioned).
    #[arg(long, group = "format")]
    json: bool,

    /// CSV, one row per file.
    #[arg(long, group = "format")]
    csv: bool,

    /// Markdown (series and port reports), as in diffstat/REPORT.md.
    #[arg(long, group = "format")]
    markdown: bool,

    /// Also write an SVG chart of churn per step and port.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,

    /// List every file in the table (default: only when there are at most 100).
    #[arg(long)]
    files: bool,

    /// Never show a progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn main() {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => {}
        Err(e) => {
            // A closed pipe (`| head`) is not an error worth a message.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                std::process::exit(0);
            }
            eprintln!(
                "bilby-diffstat: error: {}",
                format!("{e:#}").replace('\n', " ")
            );
            std::process::exit(2);
        }
    }
}

/// A progress bar that appears only on a terminal and only after a second.
fn progress(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let shown = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if !shown.is_finished() {
            shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    });
    Some(bar)
}

fn open_trees(cli: &Cli) -> Result<Vec<Tree>> {
    cli.trees
        .iter()
        .map(|t| match &cli.git {
            Some(repo) => {
                let rev = t
                    .to_str()
                    .with_context(|| format!("revision {t:?} is not valid UTF-8"))?;
                Tree::open_git(repo, rev)
            }
            None => Tree::open_path(t),
        })
        .collect()
}

fn run(cli: &Cli) -> Result<()> {
    if cli.series && cli.trees.len() < 2 {
        bail!("--series needs at least two versions");
    }
    if !cli.series && cli.trees.len() != 2 {
        bail!("expected two trees (OLD NEW), got {}", cli.trees.len());
    }
    let ports: Vec<PortSpec> = cli
        .port
        .iter()
        .map(|p| PortSpec::parse(p))
        .collect::<Result<_>>()?;
    if cli.series && ports.is_empty() {
        bail!("--series needs at least one --port (e.g. --port um --port xen)");
    }
    let trees = open_trees(cli)?;
    let kinds: Vec<bool> = trees
        .iter()
        .map(|t| matches!(t, Tree::File { .. }))
        .collect();
    if kinds.iter().any(|&k| k) && kinds.iter().any(|&k| !k) {
        let i = kinds.iter().position(|&k| k).unwrap_or(0);
        bail!(
            "{}: is a file, but the other side is a directory (give two directories or two files)",
            trees[i].label()
        );
    }
    let opts = Options {
        algorithm: if cli.minimal {
            Algorithm::Minimal
        } else {
            cli.algorithm
        },
        renames: !cli.no_renames,
        rename_threshold: cli.rename_threshold,
        classify: !cli.numstat,
        ports: ports.clone(),
        ignore_all_space: cli.ignore_all_space,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if cli.series {
        let bar = progress(cli.quiet);
        let steps = churn::series(&trees, &ports, &opts, bar.as_ref())?;
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        if let Some(svg) = &cli.svg {
            chart::churn_svg(svg, &steps)?;
        }
        write_series(&mut out, cli, &opts, &steps)?;
        out.flush()?;
        return Ok(());
    }
    let bar = progress(cli.quiet);
    let cmp = compare(&trees[0], &trees[1], &opts, bar.as_ref())?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let reports: Vec<port::PortReport> = ports
        .iter()
        .map(|p| port::analyze(&cmp, p, &trees[0], &trees[1], true))
        .collect::<Result<_>>()?;
    if let Some(svg) = &cli.svg {
        let steps = vec![one_step(&trees, &reports, &cmp)];
        chart::churn_svg(svg, &steps)?;
    }
    if cli.numstat {
        // numstat lines stay byte-compatible with git's, so the algorithm
        // goes to stderr (piped or not) instead of into the report.
        if !cli.quiet {
            eprintln!("bilby-diffstat: algorithm: {}", opts.algorithm.describe());
        }
        output::write_numstat(&mut out, &cmp)?;
    } else if cli.json {
        output::write_json(&mut out, &cmp, &reports)?;
    } else if cli.csv {
        output::write_csv(&mut out, &cmp)?;
    } else if cli.markdown {
        if reports.is_empty() {
            bail!("--markdown needs --port (or --series)");
        }
        let step = one_step(&trees, &reports, &cmp);
        let cmd = format!(
            "bilby-diffstat --port {} {} {}",
            cli.port.join(" --port "),
            step.from,
            step.to
        );
        out.write_all(churn::render_markdown(&[step], opts.algorithm, &cmd).as_bytes())?;
    } else {
        for r in &reports {
            write_port(&mut out, r)?;
        }
        output::write_table(&mut out, &cmp, cli.files || cmp.files.len() <= 100)?;
    }
    out.flush()?;
    Ok(())
}

fn one_step(
    trees: &[Tree],
    reports: &[port::PortReport],
    cmp: &bilby_diffstat::compare::Comparison,
) -> churn::Step {
    churn::Step::new(trees[0].label(), trees[1].label(), cmp, reports.to_vec())
}

/// The port section of the table: hooks in shared code first.
fn write_port(w: &mut dyn Write, r: &port::PortReport) -> Result<()> {
    writeln!(
        w,
        "port {} (own: {}; symbols: {})",
        r.spec.name,
        r.spec.own.join(", "),
        r.spec
            .symbols
            .iter()
            .map(|s| format!("CONFIG_{s}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        w,
        "  hooks in shared code: {} files, +{} -{} lines, {} CONFIG hunks",
        r.hooks.files, r.hooks.added, r.hooks.removed, r.hook_config_hunks
    )?;
    let rows: Vec<Vec<String>> = r
        .hook_files
        .iter()
        .map(|h| {
            vec![
                h.added.to_string(),
                h.removed.to_string(),
                h.config_hunks.to_string(),
                h.why.to_string(),
                h.path.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        let t = output::render_table(&["added", "removed", "cfg-hunks", "why", "file"], &rows);
        for l in t.lines() {
            writeln!(w, "    {l}")?;
        }
    }
    writeln!(
        w,
        "  own code: {} files changed, +{} -{} lines; {} files added ({} lines, {} bytes)",
        r.own.files,
        r.own.added,
        r.own.removed,
        r.own_added.files,
        r.own_added.lines.total(),
        r.own_added.bytes
    )?;
    writeln!(
        w,
        "  size: {} files / {} lines ({} code, {} comment, {} blank) -> {} files / {} lines ({} code, {} comment, {} blank)\n",
        r.old_size.files, r.old_size.lines.total(), r.old_size.lines.code, r.old_size.lines.comment, r.old_size.lines.blank,
        r.new_size.files, r.new_size.lines.total(), r.new_size.lines.code, r.new_size.lines.comment, r.new_size.lines.blank
    )?;
    Ok(())
}

fn write_series(w: &mut dyn Write, cli: &Cli, opts: &Options, steps: &[churn::Step]) -> Result<()> {
    if cli.markdown {
        let mut cmd = String::from("bilby-diffstat --series");
        for p in &cli.port {
            cmd.push_str(&format!(" --port {p}"));
        }
        for t in steps
            .iter()
            .map(|s| s.from.clone())
            .chain(steps.last().map(|s| s.to.clone()))
        {
            cmd.push(' ');
            cmd.push_str(&t);
        }
        w.write_all(churn::render_markdown(steps, opts.algorithm, &cmd).as_bytes())?;
        return Ok(());
    }
    if cli.json {
        let v = serde_json::json!({
            "schema": format!("{}-series", output::JSON_SCHEMA),
            "algorithm": opts.algorithm,
            "algorithm_description": opts.algorithm.describe(),
            "steps": steps,
        });
        serde_json::to_writer_pretty(&mut *w, &v)?;
        writeln!(w)?;
        return Ok(());
    }
    if cli.csv {
        writeln!(w, "from,to,port,lines,lines_after,churned,relative_churn,hook_files,hook_churned,hook_config_hunks")?;
        for s in steps {
            for p in &s.ports {
                writeln!(
                    w,
                    "{},{},{},{},{},{},{:.4},{},{},{}",
                    output::csv_field(&s.from),
                    output::csv_field(&s.to),
                    output::csv_field(&p.port),
                    p.lines,
                    p.lines_after,
                    p.churned,
                    p.relative_churn,
                    p.report.hooks.files,
                    p.hook_churned,
                    p.hook_config_hunks
                )?;
            }
        }
        return Ok(());
    }
    writeln!(
        w,
        "bilby-diffstat series: {}",
        steps
            .iter()
            .map(|s| s.from.clone())
            .chain(steps.last().map(|s| s.to.clone()))
            .collect::<Vec<_>>()
            .join(" -> ")
    )?;
    writeln!(w, "algorithm: {}\n", opts.algorithm.describe())?;
    let mut rows = Vec::new();
    for s in steps {
        for p in &s.ports {
            rows.push(vec![
                format!("{} -> {}", s.from, s.to),
                p.port.clone(),
                p.report.hooks.files.to_string(),
                p.hook_churned.to_string(),
                p.hook_config_hunks.to_string(),
                p.lines.to_string(),
                p.churned.to_string(),
                format!("{:.1}%", p.relative_churn * 100.0),
            ]);
        }
        rows.push(vec![
            format!("{} -> {}", s.from, s.to),
            format!("sum of {} ports", s.ports.len()),
            s.ports
                .iter()
                .map(|p| p.report.hooks.files)
                .sum::<u64>()
                .to_string(),
            s.total_hook_churned.to_string(),
            s.ports
                .iter()
                .map(|p| p.hook_config_hunks)
                .sum::<u64>()
                .to_string(),
            s.ports.iter().map(|p| p.lines).sum::<u64>().to_string(),
            s.total_churned.to_string(),
            String::new(),
        ]);
    }
    w.write_all(
        output::render_table(
            &[
                "step",
                "port",
                "hook files",
                "hook churn",
                "cfg hunks",
                "lines",
                "churned",
                "relative",
            ],
            &rows,
        )
        .as_bytes(),
    )?;
    for s in steps {
        for p in &s.ports {
            writeln!(w, "\n{} -> {}:", s.from, s.to)?;
            write_port(w, &p.report)?;
        }
    }
    Ok(())
}
