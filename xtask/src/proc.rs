//! Running other programs: where the repository is, the PATH the tools are
//! found on, and a runner that streams a command's output while keeping a
//! copy of it (so `test` can count results without hiding progress).

use crate::Result;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The workspace root: xtask lives one level below it.
pub fn root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask's manifest dir has a parent")
        .to_path_buf()
}

/// Where `cargo install` puts binaries (`$CARGO_HOME/bin`, else `~/.cargo/bin`).
pub fn cargo_bin_dir() -> PathBuf {
    match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home).join("bin"),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo/bin"),
    }
}

/// `node_modules/.bin`, where `npm ci` puts wasm-opt.
pub fn node_bin_dir() -> PathBuf {
    root().join("node_modules/.bin")
}

/// PATH with the project's tool directories first: Trunk looks for
/// `wasm-opt` and `wasm-bindgen` on PATH, and must find npm's binaryen 132
/// rather than an older system one.
pub fn tool_path() -> OsString {
    let mut dirs = vec![node_bin_dir(), cargo_bin_dir()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH entries contain no separator")
}

/// The cargo that runs xtask (cargo sets `CARGO` for `cargo run`), so nested
/// builds use the same toolchain.
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    command(program)
}

/// A command run from the workspace root with the tool PATH.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(root()).env("PATH", tool_path());
    cmd
}

/// Shell-like rendering of a command, for "==> running ..." lines.
pub fn display(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// Runs a command with inherited stdio; an error if it cannot start or fails.
pub fn run(cmd: &mut Command) -> Result {
    println!("$ {}", display(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", display(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", display(cmd)))
    }
}

/// The first line of a command's stdout, if it starts and succeeds; used
/// for `tool --version` probes, so a missing tool is simply `None`.
pub fn first_line(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_owned())
}

/// What a streamed command left behind.
pub struct Captured {
    pub status: Option<ExitStatus>,
    /// stdout and stderr interleaved line by line, as they arrived.
    pub output: String,
    pub timed_out: bool,
}

impl Captured {
    pub fn success(&self) -> bool {
        !self.timed_out && self.status.is_some_and(|s| s.success())
    }
}

/// Runs a command, echoing its stdout and stderr as they come and keeping a
/// copy. After `limit` the command and everything it started are killed:
/// a hung browser test must not eat CI's whole time budget silently.
pub fn run_captured(cmd: &mut Command, limit: Duration) -> Captured {
    println!("$ {}", display(cmd));
    let _ = std::io::stdout().flush();
    capture(cmd, limit, true)
}

fn capture(cmd: &mut Command, limit: Duration, echo: bool) -> Captured {
    let mut child = match cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            let output = format!("cannot start `{}`: {e}\n", display(cmd));
            eprint!("{output}");
            return Captured {
                status: None,
                output,
                timed_out: false,
            };
        }
    };
    let log = Arc::new(Mutex::new(String::new()));
    let readers = [
        tee(
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            echo.then_some(false),
            &log,
        ),
        tee(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            echo.then_some(true),
            &log,
        ),
    ];
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > limit => {
                timed_out = true;
                eprintln!(
                    "xtask: `{}` still running after {} s: killing it and everything it started",
                    display(cmd),
                    limit.as_secs()
                );
                kill_tree(&mut child);
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(_) => break None,
        }
    };
    // Orphaned grandchildren could keep the pipes open; don't wait on them
    // forever once the command itself has ended.
    for reader in readers.into_iter().flatten() {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !reader.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        if reader.is_finished() {
            let _ = reader.join();
        }
    }
    let output = log.lock().map(|l| l.clone()).unwrap_or_default();
    Captured {
        status,
        output,
        timed_out,
    }
}

/// Copies `source` line by line into `log`, echoing each line to stderr
/// (`Some(true)`), stdout (`Some(false)`) or nowhere (`None`).
fn tee(
    source: Option<Box<dyn Read + Send>>,
    echo_to_stderr: Option<bool>,
    log: &Arc<Mutex<String>>,
) -> Option<thread::JoinHandle<()>> {
    let source = source?;
    let log = Arc::clone(log);
    Some(thread::spawn(move || {
        let mut reader = BufReader::new(source);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    // Echo failures (a closed terminal) must not stop the capture.
                    let _ = match echo_to_stderr {
                        Some(true) => std::io::stderr().write_all(&line),
                        Some(false) => std::io::stdout().write_all(&line),
                        None => Ok(()),
                    };
                    if let Ok(mut log) = log.lock() {
                        log.push_str(&String::from_utf8_lossy(&line));
                    }
                }
            }
        }
    }))
}

/// Kills `child` and all its descendants (found through /proc), children
/// first so none is re-parented out of reach. Only processes this run
/// started are touched.
fn kill_tree(child: &mut Child) {
    let mut pids = descendants(child.id());
    pids.reverse();
    for pid in pids {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

/// Descendants of `pid`, parents before children.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(p) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|stat| parent_pid(&stat))
            {
                parent_of.push((p, ppid));
            }
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for &(p, pp) in &parent_of {
            if pp == parent && !found.contains(&p) {
                found.push(p);
                frontier.push(p);
            }
        }
    }
    found
}

/// The parent pid from `/proc/PID/stat`; the command name may contain spaces
/// and parentheses, so fields are counted after the last `)`.
fn parent_pid(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// Processes left running by a finished step: in this process's group,
/// running a program from under `dir` (the workspace's target dir), other
/// than this one. Once a step has ended xtask has no children, so anything
/// matching is a leftover (e.g. a server a test kept in a `static`, which
/// is never dropped). Killed by pid; returns `pid command` lines.
pub fn kill_leftovers(dir: &Path) -> Vec<String> {
    let me = std::process::id();
    let Some(my_group) = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| process_group(&stat))
    else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut killed = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let in_group = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| process_group(&stat))
            == Some(my_group);
        let from_dir =
            std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe.starts_with(dir));
        if pid == me || !in_group || !from_dir {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline"))
            .map(|raw| {
                String::from_utf8_lossy(&raw)
                    .replace('\0', " ")
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .stderr(Stdio::null())
            .status();
        killed.push(format!("{pid} {cmdline}"));
    }
    killed
}

/// The process group from `/proc/PID/stat` (the third field after the name).
fn process_group(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(2)?.parse().ok()
}

/// Processes whose command line contains all of `words`, other than this
/// one; used to notice an install that is already running.
pub fn running_with_args(words: &[&str]) -> Vec<u32> {
    let me = std::process::id();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = raw
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_cargo = args
            .first()
            .is_some_and(|a| a.ends_with("cargo") || a.ends_with("cargo-install"));
        if is_cargo && words.iter().all(|w| args.iter().any(|a| a == w)) {
            found.push(pid);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_skip_names_with_spaces_and_parens() {
        let stat = "1234 (my (odd) name) S 77 1230 1234 0 -1";
        assert_eq!(parent_pid(stat), Some(77));
        assert_eq!(process_group(stat), Some(1230));
    }

    #[test]
    fn captured_output_keeps_both_streams() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let got = capture(&mut cmd, Duration::from_secs(30), false);
        assert!(!got.success());
        assert_eq!(got.status.and_then(|s| s.code()), Some(3));
        assert!(got.output.contains("out\n"));
        assert!(got.output.contains("err\n"));
    }

    #[test]
    fn a_command_past_its_limit_is_killed_with_its_children() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 60 & sleep 60; wait"]);
        let started = Instant::now();
        let got = capture(&mut cmd, Duration::from_millis(300), false);
        assert!(got.timed_out);
        assert!(!got.success());
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}
