//! Bad input: each case must give one clear line on stderr and a non-zero
//! exit, never a panic; inputs that are odd but valid (invalid UTF-8 names
//! and contents, links into themselves inside a tree) must simply work.

mod common;

use common::{git, git_command, text_of, tool};
use std::fs;
use std::os::unix::ffi::OsStrExt;

/// Runs the tool, expects failure with one stderr line containing `needle`.
fn fails_with(args: &[&std::ffi::OsStr], needle: &str) {
    let out = tool().args(args).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success: {err}"
    );
    assert_eq!(out.status.code(), Some(2), "exit code (stderr: {err})");
    assert!(err.contains(needle), "stderr {err:?} lacks {needle:?}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

fn two_dirs() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    fs::create_dir(t.path().join("a")).unwrap();
    fs::create_dir(t.path().join("b")).unwrap();
    fs::write(t.path().join("a/f.c"), "int a;\n").unwrap();
    fs::write(t.path().join("b/f.c"), "int b;\n").unwrap();
    t
}

/// `OLD NEW`, both relative to the trees of [`two_dirs`], must fail with `needle`.
fn pair_fails_with(old: &str, new: &str, needle: &str) {
    let t = two_dirs();
    let (a, b) = (t.path().join(old), t.path().join(new));
    fails_with(&[a.as_os_str(), b.as_os_str()], needle);
}

#[test]
fn missing_path() {
    pair_fails_with("a", "nope", "no such file or directory");
}

#[test]
fn file_in_place_of_directory() {
    pair_fails_with("a", "b/f.c", "is a file, but the other side is a directory");
}

#[test]
fn symlink_loop_as_root() {
    let t = two_dirs();
    let l = t.path().join("loop");
    std::os::unix::fs::symlink(&l, &l).unwrap();
    let a = t.path().join("a");
    fails_with(&[a.as_os_str(), l.as_os_str()], "symlink loop");
}

#[test]
fn symlink_loop_inside_tree_is_a_link() {
    let t = two_dirs();
    std::os::unix::fs::symlink("self", t.path().join("b/self")).unwrap();
    std::os::unix::fs::symlink("..", t.path().join("b/up")).unwrap();
    let s = text_of(
        tool()
            .current_dir(t.path())
            .args(["--numstat", "--no-renames", "a", "b"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        s,
        "1\t1\t{a => b}/f.c\n1\t0\t/dev/null => b/self\n1\t0\t/dev/null => b/up\n"
    );
}

#[test]
fn wrong_argument_count() {
    let t = two_dirs();
    let a = t.path().join("a");
    fails_with(&[a.as_os_str()], "expected two trees");
}

#[test]
fn unknown_port_spec() {
    let t = two_dirs();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    fails_with(
        &[os("--port"), os("arch/x y"), a.as_os_str(), b.as_os_str()],
        "expected a named set",
    );
}

#[test]
fn not_a_git_repository() {
    let t = two_dirs();
    fails_with(
        &[os("--git"), t.path().as_os_str(), os("HEAD~1"), os("HEAD")],
        "not a git repository",
    );
}

fn small_repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    git(r, &["init", "-q", "-b", "main"]);
    fs::write(r.join("a.c"), "int a;\n").unwrap();
    git(r, &["add", "."]);
    git(r, &["commit", "-q", "-m", "one"]);
    fs::write(r.join("a.c"), "int a;\nint b;\n").unwrap();
    fs::write(r.join("b.h"), "#define B\n").unwrap();
    git(r, &["add", "."]);
    git(r, &["commit", "-q", "-m", "two"]);
    t
}

#[test]
fn unknown_revision() {
    let t = small_repo();
    fails_with(
        &[
            os("--git"),
            t.path().as_os_str(),
            os("HEAD"),
            os("no-such-rev"),
        ],
        "unknown revision `no-such-rev`",
    );
}

#[test]
fn git_mode_reads_objects() {
    let t = small_repo();
    let ours = text_of(
        tool()
            .args(["--numstat", "--git"])
            .arg(t.path())
            .args(["HEAD~1", "HEAD"])
            .output()
            .unwrap(),
    );
    // Same lines as `git diff --numstat HEAD~1 HEAD`.
    let expect = git_command(t.path())
        .args([
            "diff",
            "--numstat",
            "--minimal",
            "--no-renames",
            "HEAD~1",
            "HEAD",
        ])
        .output()
        .unwrap();
    assert_eq!(ours, String::from_utf8(expect.stdout).unwrap());
}

#[test]
fn invalid_utf8_names_and_contents_work() {
    let t = two_dirs();
    let name = std::ffi::OsStr::from_bytes(b"bad\xff\xfename.c");
    fs::write(t.path().join("a").join(name), b"\xc3\x28 old\n\xff\n").unwrap();
    fs::write(t.path().join("b").join(name), b"\xc3\x28 new\n\xff\n").unwrap();
    for fmt in ["--numstat", "--json", "--csv", "--files"] {
        let out = tool()
            .current_dir(t.path())
            .args([fmt, "--no-renames", "a", "b"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{fmt}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if fmt == "--numstat" {
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                "1\t1\t\"a/bad\\377\\376name.c\" => \"b/bad\\377\\376name.c\"\n1\t1\t{a => b}/f.c\n"
            );
        }
    }
}

#[test]
fn unreadable_file() {
    // Root reads everything; drop to `nobody` through setpriv when we are root.
    let t = two_dirs();
    let f = t.path().join("b/f.c");
    fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    fs::set_permissions(
        t.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("bilby-diffstat");
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let mut cmd = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let out = cmd
        .current_dir(t.path())
        .args(["--numstat", "a", "b"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("f.c: cannot read: Permission denied"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
