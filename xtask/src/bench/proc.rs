//! Running emulators with a deadline and collecting what they print.

use anyhow::{Context, Result};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How a supervised process ended.
#[derive(Debug)]
pub enum Ending {
    Exited(ExitStatus),
    /// Killed at the deadline.
    TimedOut(Duration),
}

/// What a supervised process printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    pub ending: Ending,
    /// stdout followed by stderr, lossily decoded.
    pub output: String,
    pub elapsed: Duration,
}

impl Outcome {
    /// A one-line description of the ending, for error messages.
    pub fn describe(&self) -> String {
        match &self.ending {
            Ending::Exited(st) => {
                format!("exited with {st} after {:.1}s", self.elapsed.as_secs_f64())
            }
            Ending::TimedOut(t) => format!("killed after the {}s timeout", t.as_secs()),
        }
    }
}

/// Runs `cmd` with stdin closed, killing it after `timeout`.
///
/// The child leads its own process group, and the whole group is killed when
/// it ends or times out: UML leaves helper processes behind that would
/// otherwise hold the output pipes open.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Outcome> {
    let start = Instant::now();
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("spawning {cmd:?}"))?;
    let stdout = child.stdout.take().context("child stdout")?;
    let stderr = child.stderr.take().context("child stderr")?;
    // Readers on their own threads, so a chatty child never blocks on a full
    // pipe; they fill shared buffers, so what was read survives a reader
    // that never sees end-of-file.
    let (out_buf, out_thread) = reader(stdout);
    let (err_buf, err_thread) = reader(stderr);
    let ending = loop {
        if let Some(st) = child.try_wait().context("waiting for the child")? {
            break Ending::Exited(st);
        }
        if start.elapsed() >= timeout {
            kill_group(child.id());
            // The child may have exited a moment ago; either way it is gone after wait().
            let _ = child.kill();
            let _ = child.wait();
            break Ending::TimedOut(timeout);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    kill_group(child.id());
    // A helper the group kill missed may hold a pipe open: wait a little, then go on.
    let grace = Instant::now();
    while !(out_thread.is_finished() && err_thread.is_finished())
        && grace.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut output = out_buf.lock().map(|b| b.clone()).unwrap_or_default();
    output.extend(err_buf.lock().map(|b| b.clone()).unwrap_or_default());
    Ok(Outcome {
        ending,
        output: String::from_utf8_lossy(&output).into_owned(),
        elapsed: start.elapsed(),
    })
}

type Shared = Arc<Mutex<Vec<u8>>>;

/// Copies `pipe` into a shared buffer on a thread of its own.
fn reader(mut pipe: impl Read + Send + 'static) -> (Shared, std::thread::JoinHandle<()>) {
    let buf: Shared = Arc::default();
    let sink = Arc::clone(&buf);
    let t = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => match sink.lock() {
                    Ok(mut b) => b.extend_from_slice(&chunk[..n]),
                    Err(_) => break,
                },
            }
        }
    });
    (buf, t)
}

/// Sends SIGKILL to the process group `pgid` (one this module started),
/// through the shell's built-in `kill`, which every system has.
fn kill_group(pgid: u32) {
    let _ = Command::new("sh")
        .args(["-c", "kill -s KILL -- \"-$1\" 2>/dev/null", "sh"])
        .arg(pgid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Formats a command line for the report, quoting words that need it.
pub fn command_line(cmd: &Command) -> String {
    join_words(std::iter::once(cmd.get_program()).chain(cmd.get_args()))
}

/// Joins a program and its arguments into one shell-quoted line.
pub fn join_words<I>(words: I) -> String
where
    I: IntoIterator,
    I::Item: AsRef<std::ffi::OsStr>,
{
    words
        .into_iter()
        .map(|a| {
            let a = a.as_ref().to_string_lossy();
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_output_and_status() {
        let o = run_with_timeout(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(matches!(o.ending, Ending::Exited(st) if st.code() == Some(3)));
        assert_eq!(o.output, "out\nerr\n");
    }

    #[test]
    fn kills_at_the_deadline() {
        let o = run_with_timeout(
            Command::new("sh").args(["-c", "echo started; exec sleep 30"]),
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(matches!(o.ending, Ending::TimedOut(_)), "{}", o.describe());
        assert!(o.elapsed < Duration::from_secs(20));
        assert_eq!(o.output, "started\n");
    }

    #[test]
    fn a_leftover_process_group_member_is_killed() {
        // The shell exits at once; its background sleep keeps stdout open.
        let o = run_with_timeout(
            Command::new("sh").args(["-c", "sleep 60 & echo parent done"]),
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(matches!(o.ending, Ending::Exited(st) if st.success()));
        // Killed, not waited out: well inside the 5 s grace for stray pipe holders.
        assert!(o.elapsed < Duration::from_secs(4), "{:?}", o.elapsed);
        assert_eq!(o.output, "parent done\n");
    }

    #[test]
    fn quotes_command_lines() {
        let mut c = Command::new("qemu");
        c.args(["-append", "console=ttyS0 panic=-1", "-m", "512M"]);
        assert_eq!(
            command_line(&c),
            "qemu -append 'console=ttyS0 panic=-1' -m 512M"
        );
    }
}
