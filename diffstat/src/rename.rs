//! Rename detection with no file-count limit.
//!
//! git gives up on inexact renames past `diff.renameLimit` (1,000 files by
//! default in `git diff`); a kernel release moves more than that. Here every
//! removed file is matched against every added one through an inverted index
//! of line hashes, so the cost grows with shared lines, not with the product
//! of the two file counts. Exact renames (same bytes) go first; then pairs
//! by similarity, best first: common lines / lines of the larger file.

use crate::compare::{file_stat, Comparison, FileStat, Options, Status};
use crate::lines::split_lines;
use crate::source::{Entry, Kind, Tree};
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::collections::HashMap;

/// Lines shared by more added files than this are too common to suggest a pair.
const COMMON_LINE_FILES: usize = 24;
/// Candidates examined per removed file.
const MAX_CANDIDATES: usize = 16;

struct Side {
    idx: usize,
    data: Vec<u8>,
    hashes: Vec<u64>,
}

fn hash_line(l: &[u8]) -> u64 {
    // FNV-1a; good enough to bucket lines, equality is re-checked by count.
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &c in l {
        h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn load(
    tree: &Tree,
    files: &[FileStat],
    idxs: &[usize],
    path_of: impl Fn(&FileStat) -> Option<&[u8]> + Sync,
) -> Result<Vec<Side>> {
    idxs.par_iter()
        .map_init(
            || tree.thread_repo(),
            |repo, &i| {
                let f = &files[i];
                let path = path_of(f).unwrap_or(b"").to_vec();
                let entry = entry_for(tree, &path)?;
                let data = tree
                    .read(&entry, repo.as_ref())
                    .with_context(|| "reading a rename candidate")?;
                let mut hashes: Vec<u64> = split_lines(&data)
                    .iter()
                    .filter(|l| l.trim_ascii().len() > 1)
                    .map(|l| hash_line(l))
                    .collect();
                hashes.sort_unstable();
                Ok(Side {
                    idx: i,
                    data,
                    hashes,
                })
            },
        )
        .collect()
}

/// Looks an entry up again by path (trees are re-walked lazily for git ids).
fn entry_for(tree: &Tree, path: &[u8]) -> Result<Entry> {
    match tree {
        Tree::Git { .. } => {
            let repo = tree
                .thread_repo()
                .context("git tree without a repository")?;
            let Tree::Git { tree: root, .. } = tree else {
                unreachable!("matched above")
            };
            let t = repo.find_tree(*root)?;
            let p = std::str::from_utf8(path).context("non-UTF-8 path in git tree")?;
            let e = t
                .lookup_entry_by_path(p)?
                .with_context(|| format!("{p}: vanished from the tree"))?;
            let kind = match e.mode().kind() {
                gix::object::tree::EntryKind::Link => Kind::Symlink,
                gix::object::tree::EntryKind::BlobExecutable => Kind::File { exec: true },
                _ => Kind::File { exec: false },
            };
            Ok(Entry {
                path: path.to_vec(),
                kind,
                size: 0,
                oid: Some(e.object_id()),
            })
        }
        _ => Ok(Entry {
            path: path.to_vec(),
            kind: Kind::File { exec: false },
            // 0 makes the reader size the file itself.
            size: 0,
            oid: None,
        }),
    }
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

/// Replaces matched removed/added pairs in `cmp` by renames.
pub fn detect(cmp: &mut Comparison, old: &Tree, new: &Tree, opts: &Options) -> Result<()> {
    let removed: Vec<usize> = (0..cmp.files.len())
        .filter(|&i| {
            let f = &cmp.files[i];
            f.status == Status::Removed && !f.symlink && f.old_bytes > 0
        })
        .collect();
    let added: Vec<usize> = (0..cmp.files.len())
        .filter(|&i| {
            let f = &cmp.files[i];
            f.status == Status::Added && !f.symlink && f.new_bytes > 0
        })
        .collect();
    if removed.is_empty() || added.is_empty() {
        return Ok(());
    }
    let rs = load(old, &cmp.files, &removed, |f| f.old_path.as_deref())?;
    let ads = load(new, &cmp.files, &added, |f| f.new_path.as_deref())?;

    let mut taken_r = vec![false; rs.len()];
    let mut taken_a = vec![false; ads.len()];
    let mut matches: Vec<(usize, usize, u32)> = Vec::new();

    // Exact renames: same bytes; a same-named file wins among equals.
    let mut by_content: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (k, a) in ads.iter().enumerate() {
        by_content.entry(&a.data[..]).or_default().push(k);
    }
    for (r, s) in rs.iter().enumerate() {
        if let Some(cands) = by_content.get(&s.data[..]) {
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
    let mut index: HashMap<u64, Vec<u32>> = HashMap::new();
    for (k, a) in ads.iter().enumerate() {
        if taken_a[k] {
            continue;
        }
        let mut last = None;
        for &h in &a.hashes {
            if last != Some(h) {
                index.entry(h).or_default().push(k as u32);
                last = Some(h);
            }
        }
    }
    let threshold = opts.rename_threshold.min(100);
    let mut scored: Vec<(u32, usize, usize)> = rs
        .par_iter()
        .enumerate()
        .filter(|(r, _)| !taken_r[*r])
        .flat_map_iter(|(r, s)| {
            let mut hits: HashMap<u32, u32> = HashMap::new();
            let mut last = None;
            for &h in &s.hashes {
                if last == Some(h) {
                    continue;
                }
                last = Some(h);
                if let Some(list) = index.get(&h) {
                    if list.len() <= COMMON_LINE_FILES {
                        for &k in list {
                            *hits.entry(k).or_default() += 1;
                        }
                    }
                }
            }
            let mut cands: Vec<(u32, u32)> = hits.into_iter().collect();
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
    let mut drop = vec![false; cmp.files.len()];
    let mut replace: HashMap<usize, FileStat> = HashMap::new();
    for (r, k, score) in matches {
        let (ri, ai) = (rs[r].idx, ads[k].idx);
        let mut st = file_stat(
            cmp.files[ri].old_path.clone(),
            cmp.files[ai].new_path.clone(),
            Status::Renamed,
            false,
            &rs[r].data,
            &ads[k].data,
            opts,
        );
        st.similarity = Some(score);
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
