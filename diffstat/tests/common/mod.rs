//! Helpers shared by the integration tests: the binary under test, git
//! without anyone's configuration, and file trees written in one call.

// Each test binary includes this module and uses only some of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

/// The `bilby-diffstat` binary built by cargo for this test run.
pub fn tool() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("bilby-diffstat").expect("binary built by cargo")
}

/// The stdout of a run that must succeed; on failure, its stderr.
pub fn stdout_of(out: Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Like [`stdout_of`], as text.
pub fn text_of(out: Output) -> String {
    String::from_utf8(stdout_of(out)).expect("UTF-8 output")
}

/// git in `dir` with no system or user configuration and a fixed identity.
pub fn git_command(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid");
    c
}

/// Runs git in `dir`; it must succeed.
pub fn git(dir: &Path, args: &[&str]) {
    let st = git_command(dir).args(args).status().expect("git runs");
    assert!(st.success(), "git {args:?}");
}

/// Writes `data` to `path`, creating its directories.
pub fn write_file(path: &Path, data: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().expect("a path below a directory")).unwrap();
    std::fs::write(path, data).unwrap();
}
