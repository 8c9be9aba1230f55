//! `--minimal --numstat --no-renames` must print exactly what
//! `git diff --no-index --numstat --minimal --no-renames` prints, on trees
//! generated from fixed seeds: edits with many repeated lines (which drive
//! xdiff's discard rule), moved files, binaries, symlinks, mode changes,
//! files without a final newline, file/directory clashes, odd names.

mod common;

use common::{git, git_command, stdout_of, tool, write_file};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// xorshift64*: a tiny seeded generator, so failures replay exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const COMMON: [&str; 8] = [
    "}\n",
    "\n",
    "\t}\n",
    "{\n",
    "\treturn 0;\n",
    "#endif\n",
    "\tbreak;\n",
    " */\n",
];

fn line(r: &mut Rng) -> Vec<u8> {
    if r.chance(45) {
        COMMON[r.below(COMMON.len() as u64) as usize]
            .as_bytes()
            .to_vec()
    } else if r.chance(5) {
        format!("\tx = {};  \n", r.below(5)).into_bytes()
    } else {
        format!("\tcall_{}(a, b);\n", r.below(400)).into_bytes()
    }
}

fn text(r: &mut Rng) -> Vec<u8> {
    let n = match r.below(10) {
        0 => 0,
        1..=6 => r.below(60),
        _ => 100 + r.below(900),
    };
    let mut out = Vec::new();
    for _ in 0..n {
        out.extend(line(r));
    }
    if r.chance(10) && out.ends_with(b"\n") {
        out.pop();
    }
    out
}

/// Edits runs of lines: deletes, inserts, replacements, moves of blocks.
fn edit(r: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = data
        .split_inclusive(|&c| c == b'\n')
        .map(|l| l.to_vec())
        .collect();
    for _ in 0..1 + r.below(6) {
        let len = lines.len() as u64;
        let at = r.below(len + 1) as usize;
        let run = 1 + r.below(12) as usize;
        match r.below(5) {
            0 => {
                let end = (at + run).min(lines.len());
                lines.drain(at..end);
            }
            1 | 2 => {
                for k in 0..run {
                    lines.insert((at + k).min(lines.len()), line(r));
                }
            }
            3 => {
                for k in at..(at + run).min(lines.len()) {
                    lines[k] = line(r);
                }
            }
            4 if r.chance(50) => {
                // Re-space lines: changes that vanish under -w.
                for k in at..(at + run).min(lines.len()) {
                    let l = &mut lines[k];
                    let pos = r.below(l.len() as u64) as usize;
                    l.insert(pos, if r.chance(50) { b' ' } else { b'\t' });
                }
            }
            _ => {
                // Move a block elsewhere.
                let end = (at + run).min(lines.len());
                let block: Vec<Vec<u8>> = lines.drain(at..end).collect();
                let to = r.below(lines.len() as u64 + 1) as usize;
                for (k, l) in block.into_iter().enumerate() {
                    lines.insert(to + k, l);
                }
            }
        }
    }
    let mut out: Vec<u8> = lines.concat();
    if r.chance(8) {
        if out.ends_with(b"\n") {
            out.pop();
        } else {
            out.push(b'\n');
        }
    }
    out
}

fn name(r: &mut Rng, k: usize) -> Vec<u8> {
    match r.below(30) {
        0 => format!("sp ace{k}.c").into_bytes(),
        1 => {
            let mut v = format!("bad{k}").into_bytes();
            v.extend_from_slice(b"\xff\xfe.h");
            v
        }
        2 => format!("q\"uote{k}").into_bytes(),
        3 => format!("a.b{k}").into_bytes(),
        _ => format!("f{k}.{}", ["c", "h", "S", "rs"][r.below(4) as usize]).into_bytes(),
    }
}

fn write(path: &Path, data: &[u8], exec: bool) {
    write_file(path, data);
    if exec {
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn osp(root: &Path, rel: &[u8]) -> std::path::PathBuf {
    root.join(std::ffi::OsStr::from_bytes(rel))
}

/// Builds trees `a` and `b` under `root`.
fn generate(seed: u64, root: &Path) {
    let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let (a, b) = (root.join("a"), root.join("b"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    let dirs = ["", "sub/", "sub/deep/", "other/", "sub.d/"];
    for k in 0..40 {
        let dir = dirs[r.below(dirs.len() as u64) as usize].as_bytes();
        let mut rel = dir.to_vec();
        rel.extend(name(&mut r, k));
        let old = text(&mut r);
        match r.below(20) {
            // unchanged
            0..=3 => {
                write(&osp(&a, &rel), &old, false);
                write(&osp(&b, &rel), &old, false);
            }
            4 => write(&osp(&a, &rel), &old, false),
            5 => write(&osp(&b, &rel), &old, false),
            6 => {
                // moved to another directory, maybe edited
                let mut to = b"moved/".to_vec();
                to.extend(&rel);
                write(&osp(&a, &rel), &old, false);
                let new = if r.chance(50) {
                    edit(&mut r, &old)
                } else {
                    old.clone()
                };
                write(&osp(&b, &to), &new, false);
            }
            7 => {
                // binary
                let mut bin = old.clone();
                bin.insert(r.below(bin.len() as u64 + 1) as usize, 0);
                write(&osp(&a, &rel), &bin, false);
                let mut nb = bin.clone();
                if r.chance(70) {
                    nb.push(b'x');
                }
                write(&osp(&b, &rel), &nb, false);
            }
            8 => {
                // mode change, maybe with an edit
                write(&osp(&a, &rel), &old, false);
                let new = if r.chance(50) {
                    edit(&mut r, &old)
                } else {
                    old.clone()
                };
                write(&osp(&b, &rel), &new, true);
            }
            9 => {
                // symlinks: retargeted, or a file became a link
                let pa = osp(&a, &rel);
                let pb = osp(&b, &rel);
                fs::create_dir_all(pa.parent().unwrap()).unwrap();
                fs::create_dir_all(pb.parent().unwrap()).unwrap();
                if r.chance(50) {
                    std::os::unix::fs::symlink(format!("t{}", r.below(3)), &pa).unwrap();
                } else {
                    fs::write(&pa, format!("t{}", r.below(3))).unwrap();
                }
                std::os::unix::fs::symlink(format!("t{}", r.below(3)), &pb).unwrap();
            }
            10 => {
                // file in a, directory of the same name in b
                write(&osp(&a, &rel), &old, false);
                let mut inner = rel.clone();
                inner.extend_from_slice(b"/inner.c");
                write(&osp(&b, &inner), &text(&mut r), false);
            }
            _ => {
                write(&osp(&a, &rel), &old, false);
                let new = edit(&mut r, &old);
                write(&osp(&b, &rel), &new, false);
            }
        }
    }
}

fn run_git(root: &Path, extra: &[&str]) -> Vec<u8> {
    let out = git_command(root)
        .args([
            "diff",
            "--no-index",
            "--numstat",
            "--minimal",
            "--no-renames",
        ])
        .args(extra)
        .args(["a", "b"])
        .env("GIT_CEILING_DIRECTORIES", root.parent().unwrap())
        .output()
        .expect("git is installed");
    assert!(
        out.status.code() == Some(1) || out.status.code() == Some(0),
        "git failed: {out:?}"
    );
    out.stdout
}

fn run_tool(root: &Path, extra: &[&str]) -> Vec<u8> {
    stdout_of(
        tool()
            .args(["--minimal", "--numstat", "--no-renames"])
            .args(extra)
            .args(["a", "b"])
            .current_dir(root)
            .output()
            .unwrap(),
    )
}

#[test]
fn numstat_equals_git_on_generated_trees() {
    equals_git(&[], 40);
}

#[test]
fn ignore_all_space_equals_git_w() {
    equals_git(&["-w"], 20);
}

fn equals_git(extra: &[&str], default_seeds: u64) {
    let seeds: u64 = std::env::var("DIFFSTAT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_seeds);
    let mut lines = 0;
    for seed in 0..seeds {
        let t = tempfile::tempdir().unwrap();
        generate(seed, t.path());
        let (g, ours) = (run_git(t.path(), extra), run_tool(t.path(), extra));
        if g != ours {
            let keep = t.keep();
            panic!(
                "seed {seed} {extra:?}: output differs from git (trees kept in {})\n--- git\n{}\n--- ours\n{}",
                keep.display(),
                String::from_utf8_lossy(&g),
                String::from_utf8_lossy(&ours)
            );
        }
        lines += g.iter().filter(|&&c| c == b'\n').count();
    }
    // The generator must produce real differences, or the test proves nothing.
    assert!(lines > seeds as usize * 10, "only {lines} numstat lines");
}

#[test]
fn table_json_and_csv_agree_with_numstat_counts() {
    let t = tempfile::tempdir().unwrap();
    generate(7, t.path());
    let json = tool()
        .args(["--json", "--no-renames", "a", "b"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert!(json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["schema"], "bilby-diffstat/1");
    assert_eq!(v["algorithm"], "minimal");
    let numstat = String::from_utf8(run_tool(t.path(), &[])).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), numstat.lines().count());
    for (f, l) in files.iter().zip(numstat.lines()) {
        let mut it = l.split('\t');
        let (add, del) = (it.next().unwrap(), it.next().unwrap());
        if f["binary"].as_bool().unwrap() {
            assert_eq!((add, del), ("-", "-"));
        } else {
            assert_eq!(add, f["added"].as_u64().unwrap().to_string());
            assert_eq!(del, f["removed"].as_u64().unwrap().to_string());
            let by = |k: &str| -> u64 {
                ["code", "comment", "blank"]
                    .iter()
                    .map(|c| f[k][c].as_u64().unwrap())
                    .sum()
            };
            assert_eq!(by("added_by_class"), f["added"].as_u64().unwrap());
            assert_eq!(by("removed_by_class"), f["removed"].as_u64().unwrap());
        }
    }
    let csv = tool()
        .args(["--csv", "--no-renames", "a", "b"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert!(csv.status.success());
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout).lines().count(),
        files.len() + 1
    );
}

#[test]
fn renames_are_found_beyond_gits_limit() {
    // 1,200 moved and lightly edited files: more than git's default rename limit.
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    for k in 0..1200 {
        let body: String = (0..20).map(|i| format!("line {k} {i}\n")).collect();
        write(&a.join(format!("old/f{k}.c")), body.as_bytes(), false);
        write(
            &b.join(format!("new/f{k}.c")),
            format!("{body}extra\n").as_bytes(),
            false,
        );
    }
    let out = tool()
        .args(["--json", "a", "b"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 1200);
    for f in files {
        assert_eq!(f["status"], "renamed");
        assert_eq!(f["added"], 1);
        assert_eq!(f["removed"], 0);
        let (o, n) = (
            f["old_path"].as_str().unwrap(),
            f["new_path"].as_str().unwrap(),
        );
        assert_eq!(o.trim_start_matches("old/"), n.trim_start_matches("new/"));
    }
}

#[test]
fn renames_between_git_revisions_are_read_from_the_objects() {
    // Moved and edited between two commits; the working tree then deleted,
    // so the rename can only be diffed from the objects the walk found.
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let body: String = (0..20).map(|i| format!("line {i}\n")).collect();
    git(r, &["init", "-q", "-b", "main"]);
    write(&r.join("old/f.c"), body.as_bytes(), false);
    git(r, &["add", "."]);
    git(r, &["commit", "-q", "-m", "one"]);
    git(r, &["mv", "old", "new"]);
    write(
        &r.join("new/f.c"),
        format!("{body}extra\n").as_bytes(),
        false,
    );
    git(r, &["add", "."]);
    git(r, &["commit", "-q", "-m", "two"]);
    fs::remove_dir_all(r.join("new")).unwrap();
    let out = tool()
        .args(["--json", "--git"])
        .arg(r)
        .args(["HEAD~1", "HEAD"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&stdout_of(out)).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{v}");
    assert_eq!(files[0]["status"], "renamed");
    assert_eq!(files[0]["old_path"], "old/f.c");
    assert_eq!(files[0]["new_path"], "new/f.c");
    assert_eq!(
        (files[0]["added"].as_u64(), files[0]["removed"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(files[0]["similarity"], 95);
}

#[test]
fn numstat_names_the_algorithm_on_stderr_even_when_piped() {
    // stdout stays git's numstat; the report still names its algorithm.
    let t = tempfile::tempdir().unwrap();
    write_file(&t.path().join("a/f.c"), "int a;\n");
    write_file(&t.path().join("b/f.c"), "int b;\n");
    let out = tool()
        .args(["--numstat", "--minimal"])
        .arg(t.path().join("a"))
        .arg(t.path().join("b"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = stdout_of(out);
    assert!(
        stdout.starts_with(b"1\t1\t"),
        "{}",
        String::from_utf8_lossy(&stdout)
    );
    assert!(!String::from_utf8_lossy(&stdout).contains("algorithm"));
    assert!(err.contains("algorithm: "), "stderr: {err:?}");
}
