//! Line diffs: which lines of the old and the new version changed.
//!
//! Lines are split on `\n` and keep it, as git's xdiff does, so a last line
//! without a newline differs from the same text with one. The `minimal`
//! algorithm reproduces what `git diff --minimal` counts: git's xdiff first
//! trims the common ends and discards lines that cannot or are unlikely to
//! match (`xdl_cleanup_records`), then finds a shortest edit script of what
//! is left. We apply the same discard rule and then any shortest edit script
//! (Myers, without heuristics): the counts follow from the LCS, so they are
//! the same. The `histogram` and `myers` algorithms are imara-diff's faster
//! heuristic ones; their counts can be larger than git's.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A line diff algorithm. Its name goes into every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// Git xdiff's discard rule, then a shortest edit script: equals
    /// `git diff --minimal` counts.
    #[default]
    Minimal,
    /// imara-diff's Myers with git's speed heuristics (not always minimal).
    Myers,
    /// imara-diff's histogram diff (fast, readable, not minimal).
    Histogram,
}

impl Algorithm {
    /// The name printed in reports.
    pub fn describe(self) -> &'static str {
        match self {
            Algorithm::Minimal => {
                "minimal: git xdiff discard rule + shortest edit script (Myers, no heuristics); \
                 counts equal `git diff --minimal`"
            }
            Algorithm::Myers => {
                "myers: imara-diff Myers with speed heuristics (may exceed minimal)"
            }
            Algorithm::Histogram => "histogram: imara-diff histogram diff (may exceed minimal)",
        }
    }
}

/// Splits `data` into lines, each keeping its `\n`.
pub fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(data.len() / 32 + 1);
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', data) {
        out.push(&data[start..=nl]);
        start = nl + 1;
    }
    if start < data.len() {
        out.push(&data[start..]);
    }
    out
}

/// FNV-1a style hasher over 8-byte words: lines are short, std's SipHash
/// would dominate the run time.
#[derive(Default)]
struct LineHasher(u64);

impl Hasher for LineHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h ^ w).wrapping_mul(0x0100_0000_01b3).rotate_left(23);
        }
        for &b in chunks.remainder() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

type LineMap<'a> = HashMap<&'a [u8], u32, BuildHasherDefault<LineHasher>>;

/// Which lines changed: `removed[i]` for old line i, `added[j]` for new line j.
#[derive(Debug, Default, Clone)]
pub struct LineDiff {
    pub removed: Vec<bool>,
    pub added: Vec<bool>,
}

impl LineDiff {
    pub fn count_removed(&self) -> u64 {
        self.removed.iter().filter(|&&b| b).count() as u64
    }
    pub fn count_added(&self) -> u64 {
        self.added.iter().filter(|&&b| b).count() as u64
    }

    /// The changed regions, as (old range, new range) pairs in order.
    pub fn hunks(&self) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
        let (mut i, mut j) = (0, 0);
        let (n, m) = (self.removed.len(), self.added.len());
        let mut out = Vec::new();
        while i < n || j < m {
            if i < n && j < m && !self.removed[i] && !self.added[j] {
                i += 1;
                j += 1;
                continue;
            }
            let (si, sj) = (i, j);
            while i < n && self.removed[i] {
                i += 1;
            }
            while j < m && self.added[j] {
                j += 1;
            }
            if si == i && sj == j {
                // Unbalanced masks (cannot happen for an edit script); stop safely.
                break;
            }
            out.push((si..i, sj..j));
        }
        out
    }
}

/// Diffs two line lists with `algo`.
pub fn diff(old: &[&[u8]], new: &[&[u8]], algo: Algorithm) -> LineDiff {
    let (a, b, classes) = intern(old, new);
    match algo {
        Algorithm::Minimal => diff_minimal(&a, &b, classes),
        Algorithm::Myers => diff_imara(&a, &b, classes, imara_diff::Algorithm::Myers),
        Algorithm::Histogram => diff_imara(&a, &b, classes, imara_diff::Algorithm::Histogram),
    }
}

/// Maps equal lines to equal ids (git's record classes).
fn intern<'a>(old: &[&'a [u8]], new: &[&'a [u8]]) -> (Vec<u32>, Vec<u32>, u32) {
    let mut map: LineMap<'a> =
        HashMap::with_capacity_and_hasher(old.len() + new.len(), BuildHasherDefault::default());
    let mut id = |l: &'a [u8]| {
        let n = map.len() as u32;
        *map.entry(l).or_insert(n)
    };
    let a: Vec<u32> = old.iter().map(|l| id(l)).collect();
    let b: Vec<u32> = new.iter().map(|l| id(l)).collect();
    let n = map.len() as u32;
    (a, b, n)
}

fn diff_imara(a: &[u32], b: &[u32], classes: u32, algo: imara_diff::Algorithm) -> LineDiff {
    let before: Vec<imara_diff::Token> = a.iter().map(|&t| imara_diff::Token(t)).collect();
    let after: Vec<imara_diff::Token> = b.iter().map(|&t| imara_diff::Token(t)).collect();
    let mut d = imara_diff::Diff::default();
    d.compute_with(algo, &before, &after, classes);
    let mut out = LineDiff {
        removed: vec![false; a.len()],
        added: vec![false; b.len()],
    };
    for h in d.hunks() {
        for i in h.before {
            out.removed[i as usize] = true;
        }
        for j in h.after {
            out.added[j as usize] = true;
        }
    }
    out
}

/// xdiff's integer square root approximation (`xdl_bogosqrt`).
fn bogosqrt(mut n: usize) -> usize {
    let mut i = 1;
    while n > 0 {
        i <<= 1;
        n >>= 2;
    }
    i
}

const MAX_EQLIMIT: usize = 1024;
const SIMSCAN_WINDOW: usize = 100;
const KPDIS_RUN: usize = 4;

/// Discard state of a line: 0 no match on the other side, 1 some, 2 many.
fn mmatch_discardable(dis: &[u8], i: usize, s: usize, e: usize) -> bool {
    let s = if i - s > SIMSCAN_WINDOW {
        i - SIMSCAN_WINDOW
    } else {
        s
    };
    let e = if e - i > SIMSCAN_WINDOW {
        i + SIMSCAN_WINDOW
    } else {
        e
    };
    let (mut rdis0, mut rpdis0) = (0usize, 1usize);
    let mut r = 1;
    while i >= s + r {
        match dis[i - r] {
            0 => rdis0 += 1,
            2 => rpdis0 += 1,
            _ => break,
        }
        r += 1;
    }
    if rdis0 == 0 {
        return false;
    }
    let (mut rdis1, mut rpdis1) = (0usize, 1usize);
    let mut r = 1;
    while i + r <= e {
        match dis[i + r] {
            0 => rdis1 += 1,
            2 => rpdis1 += 1,
            _ => break,
        }
        r += 1;
    }
    if rdis1 == 0 {
        return false;
    }
    let rdis = rdis0 + rdis1;
    let rpdis = rpdis0 + rpdis1;
    rpdis * KPDIS_RUN < rpdis + rdis
}

/// git's discard rule over `x[start..=end]` against the other side's counts.
/// Marks discarded lines in `changed`; returns the kept (index, class) lists.
fn cleanup(
    x: &[u32],
    start: usize,
    end_excl: usize,
    other_count: &[u32],
    changed: &mut [bool],
) -> (Vec<usize>, Vec<u32>) {
    let mlim = bogosqrt(x.len()).min(MAX_EQLIMIT);
    let dis: Vec<u8> = (start..end_excl)
        .map(|i| {
            let nm = other_count[x[i] as usize] as usize;
            if nm == 0 {
                0
            } else if nm >= mlim {
                2
            } else {
                1
            }
        })
        .collect();
    let mut idx = Vec::with_capacity(dis.len());
    let mut cls = Vec::with_capacity(dis.len());
    let last = dis.len().saturating_sub(1);
    for (k, &d) in dis.iter().enumerate() {
        let keep = d == 1 || (d == 2 && !mmatch_discardable(&dis, k, 0, last));
        if keep {
            idx.push(start + k);
            cls.push(x[start + k]);
        } else {
            changed[start + k] = true;
        }
    }
    (idx, cls)
}

struct MarkHook<'a> {
    ia: &'a [usize],
    ib: &'a [usize],
    out: &'a mut LineDiff,
}

impl similar::algorithms::DiffHook for MarkHook<'_> {
    type Error = std::convert::Infallible;
    fn delete(&mut self, old: usize, len: usize, _new: usize) -> Result<(), Self::Error> {
        for k in old..old + len {
            self.out.removed[self.ia[k]] = true;
        }
        Ok(())
    }
    fn insert(&mut self, _old: usize, new: usize, len: usize) -> Result<(), Self::Error> {
        for k in new..new + len {
            self.out.added[self.ib[k]] = true;
        }
        Ok(())
    }
}

fn diff_minimal(a: &[u32], b: &[u32], classes: u32) -> LineDiff {
    let mut out = LineDiff {
        removed: vec![false; a.len()],
        added: vec![false; b.len()],
    };
    // Trim common ends, as xdl_trim_ends does.
    let lim = a.len().min(b.len());
    let mut pre = 0;
    while pre < lim && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < lim - pre && a[a.len() - 1 - suf] == b[b.len() - 1 - suf] {
        suf += 1;
    }
    let (ea, eb) = (a.len() - suf, b.len() - suf);
    if pre == ea {
        out.added[pre..eb].iter_mut().for_each(|x| *x = true);
        return out;
    }
    if pre == eb {
        out.removed[pre..ea].iter_mut().for_each(|x| *x = true);
        return out;
    }
    // Occurrence counts over the whole files, as xdiff's classifier keeps them.
    let mut ca = vec![0u32; classes as usize];
    let mut cb = vec![0u32; classes as usize];
    a.iter().for_each(|&t| ca[t as usize] += 1);
    b.iter().for_each(|&t| cb[t as usize] += 1);
    let (ia, ra) = cleanup(a, pre, ea, &cb, &mut out.removed);
    let (ib, rb) = cleanup(b, pre, eb, &ca, &mut out.added);
    let mut hook = MarkHook {
        ia: &ia,
        ib: &ib,
        out: &mut out,
    };
    let Ok(()) = similar::algorithms::myers::diff_deadline_raw(
        &mut hook,
        &ra[..],
        0..ra.len(),
        &rb[..],
        0..rb.len(),
        None,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(a: &str, b: &str, algo: Algorithm) -> (u64, u64) {
        let d = diff(&split_lines(a.as_bytes()), &split_lines(b.as_bytes()), algo);
        (d.count_added(), d.count_removed())
    }

    #[test]
    fn last_line_without_newline_differs() {
        assert_eq!(counts("a\n", "a", Algorithm::Minimal), (1, 1));
        assert_eq!(
            counts("l1\nl2\nl3\n", "l1\nL2\nl3\nl4", Algorithm::Minimal),
            (2, 1)
        );
    }

    #[test]
    fn bogosqrt_matches_xdiff() {
        assert_eq!(bogosqrt(0), 1);
        assert_eq!(bogosqrt(1), 2);
        assert_eq!(bogosqrt(4), 4);
        assert_eq!(bogosqrt(1000), 64);
    }

    #[test]
    fn hunks_pair_up_changes() {
        let d = diff(
            &split_lines(b"a\nb\nc\nd\n"),
            &split_lines(b"a\nB\nc\nd\ne\n"),
            Algorithm::Minimal,
        );
        assert_eq!(d.hunks(), vec![(1..2, 1..2), (4..4, 4..5)]);
    }

    #[test]
    fn empty_sides() {
        assert_eq!(counts("", "x\ny\n", Algorithm::Minimal), (2, 0));
        assert_eq!(counts("x\ny\n", "", Algorithm::Minimal), (0, 2));
        assert_eq!(counts("", "", Algorithm::Minimal), (0, 0));
    }
}
