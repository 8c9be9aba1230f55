//! Comparing two trees: pairing entries, reading both sides, diffing lines,
//! and finding renames. Files are processed in parallel (rayon); the result
//! keeps git's no-index order.

use crate::classify::{self, ClassCounts, Lang};
use crate::lines::{self, Algorithm};
use crate::source::{path_order, Entry, Kind, Tree};
use crate::{port, rename};
use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// git's `FIRST_FEW_BYTES`: a NUL in these makes a file binary.
const BINARY_SNIFF: usize = 8000;
/// git's default `core.bigFileThreshold`: larger files are binary.
const BIG_FILE: usize = 512 << 20;

/// Options of one comparison.
#[derive(Debug, Clone)]
pub struct Options {
    pub algorithm: Algorithm,
    pub renames: bool,
    /// Minimum similarity (percent) for an inexact rename.
    pub rename_threshold: u32,
    /// Classify lines into code / comment / blank and spot whitespace-only changes.
    pub classify: bool,
    /// Ports whose `CONFIG_` conditionals are counted per file.
    pub ports: Vec<crate::port::PortSpec>,
    /// Lines differing only in whitespace are equal (`git diff -w`).
    pub ignore_all_space: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            algorithm: Algorithm::Minimal,
            renames: true,
            rename_threshold: 50,
            classify: true,
            ports: Vec::new(),
            ignore_all_space: false,
        }
    }
}

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Added,
    Removed,
    Modified,
    /// Same content, different mode (executable bit).
    ModeChanged,
    /// File became symlink or the other way round.
    TypeChanged,
    Renamed,
}

impl Status {
    pub fn letter(self) -> char {
        match self {
            Status::Added => 'A',
            Status::Removed => 'D',
            Status::Modified => 'M',
            Status::ModeChanged => 'm',
            Status::TypeChanged => 'T',
            Status::Renamed => 'R',
        }
    }
}

/// Per-file result.
#[derive(Debug, Clone, Serialize)]
pub struct FileStat {
    /// Path relative to the old tree root (None when added).
    #[serde(serialize_with = "ser_opt_bytes")]
    pub old_path: Option<Vec<u8>>,
    /// Path relative to the new tree root (None when removed).
    #[serde(serialize_with = "ser_opt_bytes")]
    pub new_path: Option<Vec<u8>>,
    pub status: Status,
    /// Similarity in percent, for renames.
    pub similarity: Option<u32>,
    pub lang: Lang,
    pub binary: bool,
    /// Why the file counts as generated (None: hand-written).
    pub generated: Option<&'static str>,
    pub symlink: bool,
    pub added: u64,
    pub removed: u64,
    /// Changed lines that replace another line (per hunk: min(added, removed)).
    pub modified: u64,
    /// Added lines that only re-space a removed line of the same hunk.
    pub whitespace_only: u64,
    pub added_by_class: ClassCounts,
    pub removed_by_class: ClassCounts,
    /// Lines of the old and new version, by class.
    pub old_lines: ClassCounts,
    pub new_lines: ClassCounts,
    pub old_bytes: u64,
    pub new_bytes: u64,
    /// Line hashes for rename detection (added and removed files only).
    #[serde(skip)]
    pub rename_sig: Option<Box<crate::rename::Signature>>,
    /// Per port (by name) whose CONFIG symbols this file tests: the hunks
    /// that sit in or open such a conditional. Absent: no mention.
    pub config: std::collections::BTreeMap<String, crate::port::ConfigHits>,
}

fn ser_opt_bytes<S: serde::Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(b) => s.serialize_str(&String::from_utf8_lossy(b)),
        None => s.serialize_none(),
    }
}

impl FileStat {
    /// The path a file is known by: new path, or old for removed files.
    pub fn path(&self) -> &[u8] {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or(b"")
    }
}

/// A whole comparison.
#[derive(Debug)]
pub struct Comparison {
    pub files: Vec<FileStat>,
    /// Entries that were neither files nor links (FIFOs, sockets, devices, submodules).
    pub skipped: Vec<Vec<u8>>,
    pub old_prefix: Vec<u8>,
    pub new_prefix: Vec<u8>,
    pub old_label: String,
    pub new_label: String,
    pub algorithm: Algorithm,
    pub renames: bool,
    /// Files compared (pairs with content on at least one side).
    pub files_seen: u64,
    /// Both sides are git revisions (names print as `git diff A B` does).
    pub revisions: bool,
}

/// One slot of the merged walk.
#[derive(Debug)]
struct Pair<'a> {
    old: Option<&'a Entry>,
    new: Option<&'a Entry>,
}

/// Merges the two sorted entry lists in git's no-index order. A file facing
/// a directory becomes a removal (or addition) of the file, followed by the
/// directory's contents, as git emits them.
fn pair_up<'a>(
    old: &'a [Entry],
    new: &'a [Entry],
    index_order: bool,
    skipped: &mut Vec<Vec<u8>>,
) -> Vec<Pair<'a>> {
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    let (mut i, mut j) = (0, 0);
    let content = |e: &'a Entry, skipped: &mut Vec<Vec<u8>>| -> Option<&'a Entry> {
        if e.kind.has_content() {
            Some(e)
        } else {
            if e.kind == Kind::Special {
                skipped.push(e.path.clone());
            }
            None
        }
    };
    while i < old.len() || j < new.len() {
        let ord = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if index_order => a.path.cmp(&b.path),
            (Some(a), Some(b)) => path_order(&a.path, &b.path),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (o, n) = match ord {
            std::cmp::Ordering::Less => {
                i += 1;
                (content(&old[i - 1], skipped), None)
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                (None, content(&new[j - 1], skipped))
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                (content(&old[i - 1], skipped), content(&new[j - 1], skipped))
            }
        };
        if o.is_some() || n.is_some() {
            out.push(Pair { old: o, new: n });
        }
    }
    out
}

/// Reads both sides of everything and diffs them.
pub fn compare(
    old: &Tree,
    new: &Tree,
    opts: &Options,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Comparison> {
    let (oe, ne) = rayon::join(|| old.entries(), || new.entries());
    let (oe, ne) = (oe?, ne?);
    let mut skipped = Vec::new();
    let revisions = matches!(old, Tree::Git { .. }) && matches!(new, Tree::Git { .. });
    let pairs = pair_up(&oe, &ne, revisions, &mut skipped);
    if let Some(p) = progress {
        p.set_length(pairs.len() as u64);
        p.set_position(0);
    }
    let done = AtomicU64::new(0);
    let results: Vec<Result<Option<FileStat>>> = pairs
        .par_iter()
        .map_init(
            || (old.thread_repo(), new.thread_repo()),
            |(orepo, nrepo), pair| {
                let r = compare_pair(old, new, orepo.as_ref(), nrepo.as_ref(), pair, opts);
                let n = done.fetch_add(1, Ordering::Relaxed);
                if let Some(p) = progress {
                    if n.is_multiple_of(256) {
                        p.set_position(n);
                    }
                }
                r
            },
        )
        .collect();
    let mut files = Vec::with_capacity(results.len());
    for r in results {
        if let Some(f) = r? {
            files.push(f);
        }
    }
    let mut cmp = Comparison {
        files,
        skipped,
        old_prefix: old.path_prefix(),
        new_prefix: new.path_prefix(),
        old_label: old.label(),
        new_label: new.label(),
        algorithm: opts.algorithm,
        renames: opts.renames,
        files_seen: pairs.len() as u64,
        revisions,
    };
    if opts.renames {
        crate::rename::detect(&mut cmp, old, new, opts)?;
    }
    Ok(cmp)
}

/// True when git would call this content binary.
pub fn is_binary(data: &[u8]) -> bool {
    data.len() > BIG_FILE || memchr::memchr(0, &data[..data.len().min(BINARY_SNIFF)]).is_some()
}

fn compare_pair(
    old: &Tree,
    new: &Tree,
    orepo: Option<&gix::Repository>,
    nrepo: Option<&gix::Repository>,
    pair: &Pair<'_>,
    opts: &Options,
) -> Result<Option<FileStat>> {
    // Same blob id in git mode: nothing to read.
    if let (Some(o), Some(n)) = (pair.old, pair.new) {
        if o.oid.is_some() && o.oid == n.oid && o.kind == n.kind {
            return Ok(None);
        }
    }
    let a = match pair.old {
        Some(e) => Some(old.read(e, orepo)?),
        None => None,
    };
    let b = match pair.new {
        Some(e) => Some(new.read(e, nrepo)?),
        None => None,
    };
    let status = match (pair.old, pair.new) {
        (Some(o), Some(n)) => {
            if a == b && o.kind == n.kind {
                return Ok(None);
            }
            let link = |k: Kind| k == Kind::Symlink;
            if link(o.kind) != link(n.kind) {
                Status::TypeChanged
            } else if a == b {
                Status::ModeChanged
            } else {
                Status::Modified
            }
        }
        (None, Some(_)) => Status::Added,
        (Some(_), None) => Status::Removed,
        (None, None) => return Ok(None),
    };
    let mut st = file_stat(
        pair.old.map(|e| e.path.clone()),
        pair.new.map(|e| e.path.clone()),
        status,
        pair.old.is_some_and(|e| e.kind == Kind::Symlink)
            || pair.new.is_some_and(|e| e.kind == Kind::Symlink),
        a.as_deref().unwrap_or(b""),
        b.as_deref().unwrap_or(b""),
        opts,
    );
    if let Some(sig) = st.rename_sig.as_deref_mut() {
        sig.source = pair.old.or(pair.new).cloned();
    }
    // As git does: a modified file whose changes all vanish under -w, with
    // its mode unchanged, is not listed.
    let same_kind = pair.old.map(|e| e.kind) == pair.new.map(|e| e.kind);
    if opts.ignore_all_space
        && st.status == Status::Modified
        && same_kind
        && !st.binary
        && st.added == 0
        && st.removed == 0
    {
        return Ok(None);
    }
    Ok(Some(st))
}

/// Computes all counts of one file pair (either side may be empty).
pub fn file_stat(
    old_path: Option<Vec<u8>>,
    new_path: Option<Vec<u8>>,
    status: Status,
    symlink: bool,
    a: &[u8],
    b: &[u8],
    opts: &Options,
) -> FileStat {
    let path = new_path.as_deref().or(old_path.as_deref()).unwrap_or(b"");
    let lang = if symlink {
        Lang::Other
    } else {
        classify::lang_of(path)
    };
    let generated = if symlink {
        None
    } else {
        classify::generated_reason(path, if b.is_empty() { a } else { b })
    };
    let mut st = FileStat {
        old_path,
        new_path,
        status,
        similarity: None,
        lang,
        binary: is_binary(a) || is_binary(b),
        generated,
        symlink,
        added: 0,
        removed: 0,
        modified: 0,
        whitespace_only: 0,
        added_by_class: ClassCounts::default(),
        removed_by_class: ClassCounts::default(),
        old_lines: ClassCounts::default(),
        new_lines: ClassCounts::default(),
        old_bytes: a.len() as u64,
        new_bytes: b.len() as u64,
        config: Default::default(),
        rename_sig: None,
    };
    // Rename detection keeps line hashes of added and removed files.
    let rename_side = match status {
        Status::Added => b,
        Status::Removed => a,
        _ => b"",
    };
    let wants_signature = opts.renames && !symlink && !rename_side.is_empty();
    if st.binary || a == b {
        if wants_signature {
            st.rename_sig = Some(Box::new(rename::signature(
                rename_side,
                &lines::split_lines(rename_side),
            )));
        }
        return st;
    }
    if !opts.classify && opts.algorithm == Algorithm::Minimal && opts.ports.is_empty() {
        (st.added, st.removed) = if wants_signature {
            // One side is empty: every line of the other changed.
            let lines = lines::split_lines(rename_side);
            st.rename_sig = Some(Box::new(rename::signature(rename_side, &lines)));
            (lines::count_lines(b) as u64, lines::count_lines(a) as u64)
        } else if opts.ignore_all_space {
            lines::count_minimal_ignoring_space(a, b)
        } else {
            lines::count_minimal(a, b)
        };
        return st;
    }
    let la = lines::split_lines(a);
    let lb = lines::split_lines(b);
    if wants_signature {
        let side = if status == Status::Added { &lb } else { &la };
        st.rename_sig = Some(Box::new(rename::signature(rename_side, side)));
    }
    let d = if opts.ignore_all_space {
        lines::diff_ignoring_space(&la, &lb, opts.algorithm)
    } else {
        lines::diff(&la, &lb, opts.algorithm)
    };
    st.added = d.count_added();
    st.removed = d.count_removed();
    if !opts.classify && opts.ports.is_empty() {
        return st;
    }
    let hunks = d.hunks();
    for spec in &opts.ports {
        if let Some(n) = port::config_hits(lang, (a, b), (&la, &lb), &hunks, &spec.symbols) {
            st.config.insert(spec.name.clone(), n);
        }
    }
    if !opts.classify {
        return st;
    }
    let ca = classify::classify_lines(lang, &la);
    let cb = classify::classify_lines(lang, &lb);
    for (i, c) in ca.iter().enumerate() {
        st.old_lines.add(*c);
        if d.removed[i] {
            st.removed_by_class.add(*c);
        }
    }
    for (j, c) in cb.iter().enumerate() {
        st.new_lines.add(*c);
        if d.added[j] {
            st.added_by_class.add(*c);
        }
    }
    for (ro, rn) in hunks {
        st.modified += ro.len().min(rn.len()) as u64;
        st.whitespace_only += whitespace_only(&la[ro], &lb[rn]);
    }
    st
}

/// Lines of `new` that equal a line of `old` once all whitespace is removed
/// (each old line used once), but are not blank.
fn whitespace_only(old: &[&[u8]], new: &[&[u8]]) -> u64 {
    if old.is_empty() || new.is_empty() {
        return 0;
    }
    let squash = |l: &[u8]| -> Vec<u8> {
        l.iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect()
    };
    let mut pool: Vec<Vec<u8>> = old.iter().map(|l| squash(l)).collect();
    let mut n = 0;
    for l in new {
        let s = squash(l);
        if s.is_empty() {
            continue;
        }
        if let Some(p) = pool.iter().position(|o| *o == s) {
            pool.swap_remove(p);
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_only_pairs() {
        let o = lines::split_lines(b"int a;\nint  b;\n");
        let n = lines::split_lines(b"int a; \n\tint b;\nint c;\n");
        assert_eq!(whitespace_only(&o, &n), 2);
    }

    #[test]
    fn binary_sniff_window() {
        let mut v = vec![b'a'; 9000];
        assert!(!is_binary(&v));
        v[8500] = 0;
        assert!(!is_binary(&v));
        v[7999] = 0;
        assert!(is_binary(&v));
    }
}
