//! Rename detection with no file-count limit.
//!
//! git gives up on inexact renames past `diff.renameLimit` (1,000 files by
//! default in `git diff`); a kernel release moves more than that. Here every
//! removed file is matched against every added one through an inverted index
//! of line hashes, so the cost grows with shared lines, not with the product
//! of the two file counts. Exact renames (same bytes) go first; then pairs
//! by similarity, best first: common lines / lines of the larger file.

use crate::compare::{file_stat, Comparison, FileStat, Options, Status};
use crate::lines::hash_bytes as hash_line;
use crate::source::{Entry, Tree};
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::collections::HashMap;

/// Keys here are hashes or small indices: hash them by a multiply, not SipHash.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// Lines shared by more added files than this are too common to suggest a pair.
const COMMON_LINE_FILES: usize = 24;
/// Candidates examined per removed file.
const MAX_CANDIDATES: usize = 16;

struct Side {
    idx: usize,
    len: u64,
    content: u64,
    hashes: Vec<u64>,
    /// Where the file was read from, to read a matched pair again.
    source: Entry,
}

/// What rename detection keeps of an added or removed file: hashes and the
/// tree entry, not the content, so memory stays small however many files
/// moved.
#[derive(Debug, Clone, Default)]
pub struct Signature {
    content: u64,
    hashes: Vec<u64>,
    /// The entry the file was read from (set by the comparison's walk).
    pub source: Option<Entry>,
}

/// Hashes a file for rename detection (called while the file is in memory,
/// with its lines as the caller split them).
pub fn signature(data: &[u8], lines: &[&[u8]]) -> Signature {
    let mut hashes: Vec<u64> = lines
        .iter()
        .filter(|l| l.trim_ascii().len() > 1)
        .map(|l| hash_line(l))
        .collect();
    hashes.sort_unstable();
    Signature {
        content: hash_line(data),
        hashes,
        source: None,
    }
}

fn sides(files: &mut [FileStat], idxs: &[usize], old: bool) -> Vec<Side> {
    idxs.iter()
        .filter_map(|&i| {
            let f = &mut files[i];
            let sig = *f.rename_sig.take()?;
            Some(Side {
                idx: i,
                len: if old { f.old_bytes } else { f.new_bytes },
                content: sig.content,
                hashes: sig.hashes,
                source: sig.source?,
            })
        })
        .collect()
}

/// Multiset intersection size of two sorted lists.
fn common(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn basename(p: &[u8]) -> &[u8] {
    p.rsplit(|&c| c == b'/').next().unwrap_or(p)
}

fn has_source(f: &FileStat) -> bool {
    f.rename_sig.as_ref().is_some_and(|s| s.source.is_some())
}

/// Replaces matched removed/added pairs in `cmp` by renames.
pub fn detect(cmp: &mut Comparison, old: &Tree, new: &Tree, opts: &Options) -> Result<()> {
    let removed: Vec<usize> = (0..cmp.files.len())
        .filter(|&i| {
            let f = &cmp.files[i];
            f.status == Status::Removed && !f.symlink && f.old_bytes > 0 && has_source(f)
        })
        .collect();
    let added: Vec<usize> = (0..cmp.files.len())
        .filter(|&i| {
            let f = &cmp.files[i];
            f.status == Status::Added && !f.symlink && f.new_bytes > 0 && has_source(f)
        })
        .collect();
    if removed.is_empty() || added.is_empty() {
        return Ok(());
    }
    let rs = sides(&mut cmp.files, &removed, true);
    let ads = sides(&mut cmp.files, &added, false);

    let mut taken_r = vec![false; rs.len()];
    let mut taken_a = vec![false; ads.len()];
    let mut matches: Vec<(usize, usize, u32)> = Vec::new();

    // Exact renames: same bytes; a same-named file wins among equals.
    let mut by_content: FastMap<(u64, u64), Vec<usize>> = FastMap::default();
    for (k, a) in ads.iter().enumerate() {
        by_content.entry((a.len, a.content)).or_default().push(k);
    }
    for (r, s) in rs.iter().enumerate() {
        if let Some(cands) = by_content.get(&(s.len, s.content)) {
            let rname = basename(cmp.files[s.idx].old_path.as_deref().unwrap_or(b""));
            let pick = cands
                .iter()
                .copied()
                .filter(|&k| !taken_a[k])
                .min_by_key(|&k| {
                    basename(cmp.files[ads[k].idx].new_path.as_deref().unwrap_or(b"")) != rname
                });
            if let Some(k) = pick {
                taken_r[r] = true;
                taken_a[k] = true;
                matches.push((r, k, 100));
            }
        }
    }

    // Inexact: candidates through shared, not-too-common lines.
    // The index: (line hash, added file) pairs, sorted, built in parallel.
    let mut postings: Vec<(u64, u32)> = ads
        .par_iter()
        .enumerate()
        .filter(|(k, _)| !taken_a[*k])
        .flat_map_iter(|(k, a)| {
            let mut last = None;
            a.hashes.iter().filter_map(move |&h| {
                let fresh = last != Some(h);
                last = Some(h);
                fresh.then_some((h, k as u32))
            })
        })
        .collect();
    postings.par_sort_unstable();
    // The same for the removed side, then a merge join: every (removed,
    // added) pair sharing a not-too-common line, once per shared line.
    let mut rpost: Vec<(u64, u32)> = rs
        .par_iter()
        .enumerate()
        .filter(|(r, _)| !taken_r[*r])
        .flat_map_iter(|(r, s)| {
            let mut last = None;
            s.hashes.iter().filter_map(move |&h| {
                let fresh = last != Some(h);
                last = Some(h);
                fresh.then_some((h, r as u32))
            })
        })
        .collect();
    rpost.par_sort_unstable();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < rpost.len() && j < postings.len() {
        let (hr, hk) = (rpost[i].0, postings[j].0);
        if hr < hk {
            i += 1;
        } else if hr > hk {
            j += 1;
        } else {
            let ie = i + rpost[i..].iter().take_while(|p| p.0 == hr).count();
            let je = j + postings[j..].iter().take_while(|p| p.0 == hr).count();
            if je - j <= COMMON_LINE_FILES {
                for x in &rpost[i..ie] {
                    for y in &postings[j..je] {
                        pairs.push((x.1, y.1));
                    }
                }
            }
            (i, j) = (ie, je);
        }
    }
    drop(rpost);
    drop(postings);
    pairs.par_sort_unstable();
    // Group by removed file: (added file, shared lines) runs.
    let mut groups: Vec<(usize, Vec<(u32, u32)>)> = Vec::new();
    let mut p = 0;
    while p < pairs.len() {
        let r = pairs[p].0;
        let mut cands = Vec::new();
        while p < pairs.len() && pairs[p].0 == r {
            let k = pairs[p].1;
            let n = pairs[p..].iter().take_while(|q| **q == (r, k)).count() as u32;
            cands.push((k, n));
            p += n as usize;
        }
        groups.push((r as usize, cands));
    }
    drop(pairs);
    let threshold = opts.rename_threshold.min(100);
    let mut scored: Vec<(u32, usize, usize)> = groups
        .into_par_iter()
        .flat_map_iter(|(r, mut cands)| {
            let s = &rs[r];
            cands.sort_unstable_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
            cands.truncate(MAX_CANDIDATES);
            let out: Vec<(u32, usize, usize)> = cands
                .into_iter()
                .filter_map(|(k, _)| {
                    let a = &ads[k as usize];
                    let big = s.hashes.len().max(a.hashes.len());
                    if big == 0 {
                        return None;
                    }
                    let score = (common(&s.hashes, &a.hashes) * 100 / big) as u32;
                    (score >= threshold).then_some((score, r, k as usize))
                })
                .collect();
            out
        })
        .collect();
    scored.sort_unstable_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    for (score, r, k) in scored {
        if !taken_r[r] && !taken_a[k] {
            taken_r[r] = true;
            taken_a[k] = true;
            matches.push((r, k, score));
        }
    }
    if matches.is_empty() {
        return Ok(());
    }

    // Rebuild: the rename takes the added file's place; the removal goes.
    // Only matched pairs are read again, from the entries the walk found.
    let files = &cmp.files;
    let stats: Vec<Result<(usize, usize, FileStat)>> = matches
        .par_iter()
        .map_init(
            || (old.thread_repo(), new.thread_repo()),
            |(orepo, nrepo), &(r, k, score)| {
                let (rside, aside) = (&rs[r], &ads[k]);
                let (ri, ai) = (rside.idx, aside.idx);
                let op = files[ri].old_path.clone();
                let np = files[ai].new_path.clone();
                let a = old
                    .read(&rside.source, orepo.as_ref())
                    .context("reading a rename candidate")?;
                let b = new
                    .read(&aside.source, nrepo.as_ref())
                    .context("reading a rename candidate")?;
                let mut st = file_stat(op, np, Status::Renamed, false, &a, &b, opts);
                st.similarity = Some(if a == b { 100 } else { score.min(99) });
                Ok((ri, ai, st))
            },
        )
        .collect();
    let mut drop = vec![false; cmp.files.len()];
    let mut replace: HashMap<usize, FileStat> = HashMap::new();
    for st in stats {
        let (ri, ai, st) = st?;
        drop[ri] = true;
        replace.insert(ai, st);
    }
    let files = std::mem::take(&mut cmp.files);
    cmp.files = files
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !drop[*i])
        .map(|(i, f)| replace.remove(&i).unwrap_or(f))
        .collect();
    Ok(())
}
