//! Parsing the benchmark's `BENCH …` lines and the statistics over them.
//!
//! The line format is documented at the top of `bench/linux_syscall.c`;
//! Bilby's guest benchmarks print the same format, so one parser serves
//! native Linux, UML, the host and Bilby.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;

/// Everything one benchmark run printed.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// `BENCH info key=… value=…` lines, in the order printed.
    pub info: BTreeMap<String, String>,
    /// `BENCH result …` lines by operation name.
    pub results: BTreeMap<String, OpResult>,
    /// `BENCH stages name=… <stage>=<n>…` lines (Bilby's per-stage
    /// breakdown) by operation name.
    pub stages: BTreeMap<String, BTreeMap<String, u64>>,
}

/// One `BENCH result` line: `rounds` rounds of `iters` operations each.
#[derive(Debug, Clone, PartialEq)]
pub struct OpResult {
    pub iters: u64,
    /// The last operation's return value (`-38` is `-ENOSYS`).
    pub ret: i64,
    /// The rdtsc delta of every round.
    pub cycles: Vec<u64>,
    /// Extra numeric fields (Bilby's counters, for instance), by name.
    pub extra: BTreeMap<String, i64>,
}

impl Run {
    /// The result named `name`, or an error naming what was printed instead.
    pub fn result(&self, name: &str) -> Result<&OpResult> {
        self.results.get(name).with_context(|| {
            format!(
                "the benchmark printed no result `{name}` (it printed: {:?})",
                self.results.keys().collect::<Vec<_>>()
            )
        })
    }

    /// An info value, or `-` if the benchmark did not print it.
    pub fn info(&self, key: &str) -> String {
        self.info.get(key).cloned().unwrap_or_else(|| "-".into())
    }
}

/// Parses a log (a serial console, a process's stdout) for one complete run.
///
/// Lines without `BENCH ` are ignored (kernel messages share the console),
/// and so is whatever precedes `BENCH ` on a line. A run must have `begin`,
/// then `end`, and its lines must be well-formed.
pub fn parse_log(log: &str) -> Result<Run> {
    let mut run = Run::default();
    let (mut begun, mut ended) = (false, false);
    for (n, raw) in log.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        // Firmware and kernel output may precede a line on the same console
        // row (SeaBIOS ends with escape codes and no newline).
        let Some(rest) = line.find("BENCH ").map(|at| &line[at + "BENCH ".len()..]) else {
            continue;
        };
        let mut words = rest.split(' ').filter(|w| !w.is_empty());
        let kind = words.next().unwrap_or("");
        let fields: BTreeMap<&str, &str> = words
            .map(|w| w.split_once('=').unwrap_or((w, "")))
            .collect();
        let at = || format!("line {}: {line:?}", n + 1);
        match kind {
            "begin" => {
                if fields.get("version") != Some(&"1") {
                    bail!("unsupported benchmark output version at {}", at());
                }
                if begun {
                    bail!("a second `BENCH begin` at {}", at());
                }
                begun = true;
            }
            "end" => {
                if !begun {
                    bail!("`BENCH end` before `BENCH begin` at {}", at());
                }
                ended = true;
            }
            "info" => {
                let key = field(&fields, "key").with_context(at)?;
                let value = field(&fields, "value").with_context(at)?;
                run.info
                    .insert(key.to_string(), percent_decode(value).with_context(at)?);
            }
            "result" => {
                let name = field(&fields, "name").with_context(at)?.to_string();
                let r = parse_result(&fields).with_context(at)?;
                if run.results.insert(name.clone(), r).is_some() {
                    bail!("result `{name}` printed twice, again at {}", at());
                }
            }
            "stages" => {
                let name = field(&fields, "name").with_context(at)?.to_string();
                let mut stages = BTreeMap::new();
                for (k, v) in fields.iter().filter(|(k, _)| **k != "name") {
                    let n: u64 = v
                        .parse()
                        .with_context(|| format!("stage `{k}`={v:?} at {}", at()))?;
                    stages.insert(k.to_string(), n);
                }
                if run.stages.insert(name.clone(), stages).is_some() {
                    bail!("stages of `{name}` printed twice, again at {}", at());
                }
            }
            "error" => bail!("the benchmark reported a failure at {}", at()),
            other => bail!("unknown BENCH line kind `{other}` at {}", at()),
        }
    }
    if !begun {
        bail!("no `BENCH begin` line: the benchmark did not start");
    }
    if !ended {
        bail!("no `BENCH end` line: the benchmark did not finish");
    }
    Ok(run)
}

/// Decodes `%XX` escapes (the benchmark escapes space, tab and `%` in values).
fn percent_decode(s: &str) -> Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .with_context(|| format!("bad %-escape in {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn field<'a>(fields: &BTreeMap<&str, &'a str>, key: &str) -> Result<&'a str> {
    match fields.get(key) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => bail!("missing field `{key}`"),
    }
}

fn parse_result(fields: &BTreeMap<&str, &str>) -> Result<OpResult> {
    let iters: u64 = field(fields, "iters")?.parse().context("iters")?;
    let rounds: usize = field(fields, "rounds")?.parse().context("rounds")?;
    let ret: i64 = field(fields, "ret")?.parse().context("ret")?;
    let cycles = field(fields, "cycles")?
        .split(',')
        .map(|c| {
            c.parse::<u64>()
                .with_context(|| format!("cycle count {c:?}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if iters == 0 {
        bail!("iters=0");
    }
    if cycles.len() != rounds {
        bail!("rounds={rounds} but {} cycle counts", cycles.len());
    }
    let mut extra = BTreeMap::new();
    for (k, v) in fields {
        if !matches!(*k, "name" | "iters" | "rounds" | "ret" | "cycles") {
            let v: i64 = v.parse().with_context(|| format!("field `{k}`={v:?}"))?;
            extra.insert(k.to_string(), v);
        }
    }
    Ok(OpResult {
        iters,
        ret,
        cycles,
        extra,
    })
}

/// Order statistics of per-operation figures.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    pub min: f64,
    pub p1: f64,
    pub median: f64,
    pub p99: f64,
    pub max: f64,
}

impl Stats {
    /// Statistics over `values` (nearest-rank percentiles); `None` if empty.
    pub fn of(values: &[f64]) -> Option<Stats> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let k = ((p / 100.0) * v.len() as f64).ceil() as usize;
            v[k.clamp(1, v.len()) - 1]
        };
        let median = if v.len() % 2 == 1 {
            v[v.len() / 2]
        } else {
            (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
        };
        Some(Stats {
            min: v[0],
            p1: rank(1.0),
            median,
            p99: rank(99.0),
            max: v[v.len() - 1],
        })
    }
}

impl OpResult {
    /// Cycles per operation in every round.
    pub fn per_op(&self) -> Vec<f64> {
        self.cycles
            .iter()
            .map(|&c| c as f64 / self.iters as f64)
            .collect()
    }

    /// Statistics of cycles per operation over the rounds.
    pub fn stats(&self) -> Stats {
        Stats::of(&self.per_op()).expect("a parsed result has at least one round")
    }
}

/// The median of `values` (which must not be empty).
pub fn median(values: &[f64]) -> Option<f64> {
    Stats::of(values).map(|s| s.median)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
[    0.1] Linux version 6.1
Booting from ROM..\x1bc\x1b[?7l\x1b[2JBENCH begin version=1\r
BENCH info key=release value=6.1.0-56-amd64
BENCH info key=vuln value=Mitigation:%20__user%2525
[    0.2] random: crng init done
BENCH result name=getpid iters=10 rounds=3 ret=1 cycles=3210,3300,3210
BENCH result name=hcall iters=4 rounds=1 ret=0 cycles=40 mode_switches=8
BENCH stages name=hcall to_peer=300 in_peer=20 back=280 tsc_overhead=7
BENCH end
";

    #[test]
    fn parses_a_run_among_kernel_messages() {
        let run = parse_log(LOG).unwrap();
        assert_eq!(run.info("release"), "6.1.0-56-amd64");
        assert_eq!(run.info("absent"), "-");
        assert_eq!(run.info("vuln"), "Mitigation: __user%25");
        let g = run.result("getpid").unwrap();
        assert_eq!(g.iters, 10);
        assert_eq!(g.ret, 1);
        assert_eq!(g.cycles, vec![3210, 3300, 3210]);
        let s = g.stats();
        assert_eq!((s.min, s.median, s.max), (321.0, 321.0, 330.0));
        assert_eq!(run.result("hcall").unwrap().extra["mode_switches"], 8);
        assert_eq!(run.stages["hcall"]["in_peer"], 20);
        assert_eq!(run.stages["hcall"].len(), 4);
        assert!(run.result("nope").is_err());
    }

    #[test]
    fn rejects_incomplete_or_malformed_runs() {
        let cases = [
            ("", "no `BENCH begin`"),
            ("BENCH begin version=1\n", "did not finish"),
            ("BENCH begin version=2\nBENCH end\n", "version"),
            ("BENCH end\n", "before"),
            (
                "BENCH begin version=1\nBENCH result name=a iters=1 rounds=2 ret=0 cycles=5\nBENCH end\n",
                "rounds=2",
            ),
            (
                "BENCH begin version=1\nBENCH result name=a iters=0 rounds=1 ret=0 cycles=5\nBENCH end\n",
                "iters=0",
            ),
            (
                "BENCH begin version=1\nBENCH result name=a iters=1 rounds=1 ret=0 cycles=x\nBENCH end\n",
                "cycle count",
            ),
            ("BENCH begin version=1\nBENCH bogus\nBENCH end\n", "unknown"),
            (
                "BENCH begin version=1\nBENCH error what=cap_copy status=9\n",
                "reported a failure",
            ),
            (
                "BENCH begin version=1\nBENCH info key=a value=%2\nBENCH end\n",
                "%-escape",
            ),
            (
                "BENCH begin version=1\nBENCH result name=a iters=1 rounds=1 ret=0 cycles=1\nBENCH result name=a iters=1 rounds=1 ret=0 cycles=1\nBENCH end\n",
                "twice",
            ),
        ];
        for (log, want) in cases {
            let e = format!("{:#}", parse_log(log).unwrap_err());
            assert!(e.contains(want), "{log:?}: {e}");
        }
    }

    #[test]
    fn statistics() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = Stats::of(&v).unwrap();
        assert_eq!(
            (s.min, s.p1, s.median, s.p99, s.max),
            (1.0, 1.0, 50.5, 99.0, 100.0)
        );
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[]), None);
        assert_eq!(Stats::of(&[f64::NAN]), None);
    }
}
