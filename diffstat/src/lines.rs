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

/// A fast 64-bit hash of a byte string (not for adversarial input).
pub fn hash_bytes(data: &[u8]) -> u64 {
    let mut h = LineHasher::default();
    h.write(data);
    h.write(&(data.len() as u64).to_le_bytes());
    h.finish()
}

type LineMap<'a> = HashMap<&'a [u8], u32, BuildHasherDefault<LineHasher>>;

/// A changed region: the old lines it removes and the new lines it adds.
pub type Hunk = (std::ops::Range<usize>, std::ops::Range<usize>);

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
    pub fn hunks(&self) -> Vec<Hunk> {
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
    if let Some(d) = one_sided(old.len(), new.len()) {
        return d;
    }
    let (a, b, classes) = intern(old, new);
    diff_ids(&a, &b, classes, algo)
}

/// The diff when one side has no lines (an added or removed file): every
/// line of the other side changed, whatever the algorithm, with nothing to
/// hash or match.
fn one_sided(old: usize, new: usize) -> Option<LineDiff> {
    (old == 0 || new == 0).then(|| LineDiff {
        removed: vec![true; old],
        added: vec![true; new],
    })
}

/// git's whitespace for `-w` (its own `isspace`: no \v or \f).
fn git_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// A line compared and hashed with git's whitespace left out.
struct NoSpace<'a>(&'a [u8]);

impl NoSpace<'_> {
    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.iter().copied().filter(|&c| !git_space(c))
    }
}

impl PartialEq for NoSpace<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes().eq(other.bytes())
    }
}

impl Eq for NoSpace<'_> {}

impl std::hash::Hash for NoSpace<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for c in self.bytes() {
            h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
        }
        state.write_u64(h);
    }
}

/// Line ids under `-w`: lines equal once git's whitespace is dropped share one.
fn intern_ignoring_space<'a>(old: &[&'a [u8]], new: &[&'a [u8]]) -> (Vec<u32>, Vec<u32>, u32) {
    let mut map: HashMap<NoSpace<'a>, u32, BuildHasherDefault<LineHasher>> =
        HashMap::with_capacity_and_hasher(old.len() + new.len(), BuildHasherDefault::default());
    let mut id = |l: &'a [u8]| {
        let n = map.len() as u32;
        *map.entry(NoSpace(l)).or_insert(n)
    };
    let a: Vec<u32> = old.iter().map(|l| id(l)).collect();
    let b: Vec<u32> = new.iter().map(|l| id(l)).collect();
    let n = map.len() as u32;
    (a, b, n)
}

/// Like [`diff`], but lines that differ only in whitespace are equal, as
/// with `git diff -w` (`--ignore-all-space`).
pub fn diff_ignoring_space(old: &[&[u8]], new: &[&[u8]], algo: Algorithm) -> LineDiff {
    if let Some(d) = one_sided(old.len(), new.len()) {
        return d;
    }
    let (a, b, classes) = intern_ignoring_space(old, new);
    diff_ids(&a, &b, classes, algo)
}

/// (added, removed) of `git diff -w --minimal --numstat`, without an edit script.
pub fn count_minimal_ignoring_space(a: &[u8], b: &[u8]) -> (u64, u64) {
    if a.is_empty() || b.is_empty() {
        return (count_lines(b) as u64, count_lines(a) as u64);
    }
    let (ia, ib, classes) = intern_ignoring_space(&split_lines(a), &split_lines(b));
    count_minimal_ids(&ia, &ib, classes)
}

/// Counts of a minimal diff of two id sequences, with git's trimming and
/// discard rule, by edit distance alone.
fn count_minimal_ids(a: &[u32], b: &[u32], classes: u32) -> (u64, u64) {
    let (pre, ea, eb) = trim_ids(a, b);
    if pre == ea || pre == eb {
        return ((eb - pre) as u64, (ea - pre) as u64);
    }
    let (ca, cb) = (occurrences(a, classes), occurrences(b, classes));
    let mut scratch_a = vec![false; a.len()];
    let mut scratch_b = vec![false; b.len()];
    let (_, ra) = cleanup(a, pre, ea, &cb, &mut scratch_a);
    let (_, rb) = cleanup(b, pre, eb, &ca, &mut scratch_b);
    let d = edit_distance(&ra, &rb);
    let lcs = (ra.len() + rb.len() - d) / 2;
    let kept_a = (ea - pre) as u64;
    let kept_b = (eb - pre) as u64;
    (kept_b - lcs as u64, kept_a - lcs as u64)
}

/// Common leading and trailing ids, as `xdl_trim_ends` trims them: returns
/// (prefix length, end of `a`'s middle, end of `b`'s middle).
fn trim_ids(a: &[u32], b: &[u32]) -> (usize, usize, usize) {
    let lim = a.len().min(b.len());
    let mut pre = 0;
    while pre < lim && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < lim - pre && a[a.len() - 1 - suf] == b[b.len() - 1 - suf] {
        suf += 1;
    }
    (pre, a.len() - suf, b.len() - suf)
}

/// How often each id occurs in `ids` (ids below `classes`).
fn occurrences(ids: &[u32], classes: u32) -> Vec<u32> {
    let mut n = vec![0u32; classes as usize];
    ids.iter().for_each(|&t| n[t as usize] += 1);
    n
}

fn diff_ids(a: &[u32], b: &[u32], classes: u32, algo: Algorithm) -> LineDiff {
    match algo {
        Algorithm::Minimal => diff_minimal(a, b, classes),
        Algorithm::Myers => diff_imara(a, b, classes, imara_diff::Algorithm::Myers),
        Algorithm::Histogram => diff_imara(a, b, classes, imara_diff::Algorithm::Histogram),
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
    cleanup_with_limit(x, start, end_excl, other_count, changed, mlim)
}

fn cleanup_with_limit(
    x: &[u32],
    start: usize,
    end_excl: usize,
    other_count: &[u32],
    changed: &mut [bool],
    mlim: usize,
) -> (Vec<usize>, Vec<u32>) {
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
    let (pre, ea, eb) = trim_ids(a, b);
    if pre == ea {
        out.added[pre..eb].iter_mut().for_each(|x| *x = true);
        return out;
    }
    if pre == eb {
        out.removed[pre..ea].iter_mut().for_each(|x| *x = true);
        return out;
    }
    // Occurrence counts over the whole files, as xdiff's classifier keeps them.
    let (ca, cb) = (occurrences(a, classes), occurrences(b, classes));
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

/// Number of lines (git records) in `data`.
pub fn count_lines(data: &[u8]) -> usize {
    let n = memchr::memchr_iter(b'\n', data).count();
    n + usize::from(!data.is_empty() && data[data.len() - 1] != b'\n')
}

/// Length of the common prefix of two equally long slices, compared in
/// 64-byte blocks (memcmp) before the byte that differs is looked for.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .position(|(x, y)| x != y)
        .unwrap_or(n - i)
}

/// Length of the common suffix of two equally long slices.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut k = 0; // bytes known equal at the end
    while k + BLOCK <= n && a[n - k - BLOCK..n - k] == b[n - k - BLOCK..n - k] {
        k += BLOCK;
    }
    k + a[..n - k]
        .iter()
        .rev()
        .zip(b[..n - k].iter().rev())
        .position(|(x, y)| x != y)
        .unwrap_or(n - k)
}

/// Common leading and trailing whole lines of `a` and `b`, found on bytes
/// (no hashing), limited as `xdl_trim_ends` limits them. Returns
/// (prefix lines, prefix bytes, suffix lines, suffix bytes).
fn trim_ends(a: &[u8], b: &[u8], na: usize, nb: usize) -> (usize, usize, usize, usize) {
    let lim = a.len().min(b.len());
    let first_diff = common_prefix(&a[..lim], &b[..lim]);
    // Whole lines before the first difference: those whose '\n' lies before it.
    let (pre_lines, pre_bytes) = match memchr::memrchr(b'\n', &a[..first_diff]) {
        Some(nl) => (memchr::memchr_iter(b'\n', &a[..=nl]).count(), nl + 1),
        None => (0, 0),
    };
    let max_suf = na.min(nb) - pre_lines;
    if max_suf == 0 {
        return (pre_lines, pre_bytes, 0, 0);
    }
    let same_tail = common_suffix(
        &a[a.len() - (lim - pre_bytes)..],
        &b[b.len() - (lim - pre_bytes)..],
    );
    // Lines that start inside the equal tail (line starts are the same in
    // both files there, except at the tail's first byte, checked apart).
    let (ta, tb) = (a.len() - same_tail, b.len() - same_tail);
    let starts_line = |d: &[u8], i: usize| i == 0 || d[i - 1] == b'\n';
    let tail = &a[ta..];
    let mut starts: Vec<usize> = Vec::new(); // offsets from the end of the file
    if starts_line(a, ta) && starts_line(b, tb) && ta < a.len() {
        starts.push(a.len() - ta);
    }
    // Line starts strictly inside the tail: after each '\n' that is not the last byte.
    let inner = memchr::memchr_iter(b'\n', tail)
        .filter(|&nl| ta + nl + 1 < a.len())
        .count();
    let total = starts.len() + inner;
    let suf_lines = total.min(max_suf);
    if suf_lines == 0 {
        return (pre_lines, pre_bytes, 0, 0);
    }
    // Byte length of the last `suf_lines` lines of `a`.
    let body = if a.last() == Some(&b'\n') {
        &a[..a.len() - 1]
    } else {
        a
    };
    let mut seen = 0;
    let mut suf_bytes = a.len();
    for nl in memchr::memrchr_iter(b'\n', body) {
        seen += 1;
        if seen == suf_lines {
            suf_bytes = a.len() - (nl + 1);
            break;
        }
    }
    (pre_lines, pre_bytes, suf_lines, suf_bytes)
}

/// Edit distance of two id sequences (greedy forward Myers, no heuristics).
fn edit_distance(a: &[u32], b: &[u32]) -> usize {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let off = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    for d in 0..=max as isize {
        let mut k = -d;
        while k <= d {
            let i = (k + off) as usize;
            let mut x = if k == -d || (k != d && v[i - 1] < v[i + 1]) {
                v[i + 1]
            } else {
                v[i - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[i] = x;
            if x >= n && y >= m {
                return d as usize;
            }
            k += 2;
        }
    }
    max
}

/// (added, removed) exactly as `git diff --minimal --numstat` counts them,
/// without building an edit script: the fast path for `--numstat`.
pub fn count_minimal<'x>(a: &'x [u8], b: &'x [u8]) -> (u64, u64) {
    let (na, nb) = (count_lines(a), count_lines(b));
    if na == 0 || nb == 0 {
        return (nb as u64, na as u64);
    }
    let (_, pre_b, _, suf_b) = trim_ends(a, b, na, nb);
    let (mid_a, mid_b) = (&a[pre_b..a.len() - suf_b], &b[pre_b..b.len() - suf_b]);
    let (ma, mb) = (split_lines(mid_a), split_lines(mid_b));
    if ma.is_empty() || mb.is_empty() {
        return (mb.len() as u64, ma.len() as u64);
    }
    // Ids for the middle lines only; the trimmed lines are the same in both
    // files and only add to the occurrence counts of lines that also occur
    // in a middle.
    let mut map: LineMap<'x> =
        HashMap::with_capacity_and_hasher(ma.len() + mb.len(), BuildHasherDefault::default());
    let mut lens = [0u64; 4];
    let mut id = |l: &'x [u8]| {
        let n = map.len() as u32;
        *map.entry(l).or_insert(n)
    };
    let ia: Vec<u32> = ma.iter().map(|l| id(l)).collect();
    let ib: Vec<u32> = mb.iter().map(|l| id(l)).collect();
    for l in ma.iter().chain(&mb) {
        let k = l.len().min(255);
        lens[k / 64] |= 1 << (k % 64);
    }
    let classes = map.len() as u32;
    let (mut ca, mut cb) = (occurrences(&ia, classes), occurrences(&ib, classes));
    for region in [&a[..pre_b], &a[a.len() - suf_b..]] {
        for l in split_lines(region) {
            let k = l.len().min(255);
            if lens[k / 64] & (1 << (k % 64)) == 0 {
                continue;
            }
            if let Some(&t) = map.get(l) {
                ca[t as usize] += 1;
                cb[t as usize] += 1;
            }
        }
    }
    let mut ra_changed = vec![false; ia.len()];
    let mut rb_changed = vec![false; ib.len()];
    // Full-length id vectors are not needed: cleanup sees the whole-file
    // record count through `nrec`.
    let (_, ra) = cleanup_counts(&ia, na, &cb, &mut ra_changed);
    let (_, rb) = cleanup_counts(&ib, nb, &ca, &mut rb_changed);
    let discarded_a = (ia.len() - ra.len()) as u64;
    let discarded_b = (ib.len() - rb.len()) as u64;
    let d = edit_distance(&ra, &rb);
    // d = (|ra| - lcs) + (|rb| - lcs)
    let lcs = (ra.len() + rb.len() - d) / 2;
    (
        discarded_b + (rb.len() - lcs) as u64,
        discarded_a + (ra.len() - lcs) as u64,
    )
}

/// [`cleanup`] over a middle region given as its own slice, with the whole
/// file's record count `nrec` for the limit.
fn cleanup_counts(
    mid: &[u32],
    nrec: usize,
    other_count: &[u32],
    scratch: &mut [bool],
) -> (Vec<usize>, Vec<u32>) {
    let mlim = bogosqrt(nrec).min(MAX_EQLIMIT);
    cleanup_with_limit(mid, 0, mid.len(), other_count, scratch, mlim)
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
        assert_eq!(bogosqrt(1000), 32);
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

    fn both(a: &str, b: &str) {
        let full = counts(a, b, Algorithm::Minimal);
        let fast = count_minimal(a.as_bytes(), b.as_bytes());
        assert_eq!(full, fast, "{a:?} vs {b:?}");
    }

    #[test]
    fn fast_count_agrees_with_edit_script() {
        both("x\nx\n", "x\n");
        both("y\n", "x\ny\n");
        both("a\nb", "a\nb\n");
        both("a\nb\nc\n", "a\nc\n");
        both("", "a");
        both("a", "");
        both("p\nq\nr\ns\n", "p\nX\nr\ns\nt");
        both("same\nend", "same\nend\n");
        both("}\n}\n}\nA\n}\n", "}\nB\n}\n}\n");
    }

    fn rand(x: &mut u64, n: u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x % n
    }

    fn random_text(x: &mut u64, len: u64) -> String {
        (0..len)
            .map(|_| ["a\n", "b\n", "\n", "}\n", "c"][rand(x, 5) as usize])
            .collect()
    }

    #[test]
    fn fast_count_agrees_on_random_inputs() {
        // Small alphabets make long shared runs, repeated lines and
        // missing final newlines likely: the trimming edge cases.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3000 {
            let n = rand(&mut x, 30);
            let base = random_text(&mut x, n);
            let side = |x: &mut u64| {
                let (p, q) = (rand(x, 4), rand(x, 4));
                format!("{}{}{}", random_text(x, p), base, random_text(x, q))
            };
            let a = side(&mut x);
            let b = side(&mut x);
            both(&a, &b);
        }
    }

    #[test]
    fn ignoring_space_counts_agree() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let (p, q) = (rand(&mut x, 20), rand(&mut x, 20));
            let a = random_text(&mut x, p).replace('b', " b\t");
            let b = random_text(&mut x, q);
            let d = diff_ignoring_space(
                &split_lines(a.as_bytes()),
                &split_lines(b.as_bytes()),
                Algorithm::Minimal,
            );
            assert_eq!(
                (d.count_added(), d.count_removed()),
                count_minimal_ignoring_space(a.as_bytes(), b.as_bytes()),
                "{a:?} vs {b:?}"
            );
        }
        assert_eq!(count_minimal_ignoring_space(b"a b\n", b"ab"), (0, 0));
    }

    #[test]
    fn one_sided_diffs_mark_every_line() {
        let x = split_lines(b"a\n \n\nb");
        for algo in [Algorithm::Minimal, Algorithm::Myers, Algorithm::Histogram] {
            let d = diff(&[], &x, algo);
            assert_eq!((d.added, d.removed), (vec![true; 4], vec![]));
            let d = diff_ignoring_space(&x, &[], algo);
            assert_eq!((d.added, d.removed), (vec![], vec![true; 4]));
        }
        assert_eq!(count_minimal(b"", b"a\n \n\nb"), (4, 0));
        assert_eq!(count_minimal_ignoring_space(b"a\n \n", b""), (0, 2));
    }

    #[test]
    fn empty_sides() {
        assert_eq!(counts("", "x\ny\n", Algorithm::Minimal), (2, 0));
        assert_eq!(counts("x\ny\n", "", Algorithm::Minimal), (0, 2));
        assert_eq!(counts("", "", Algorithm::Minimal), (0, 0));
    }
}
