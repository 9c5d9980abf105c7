//! `photofind watch` as a user runs it, with the fixture model: it indexes
//! and keeps watching; `status` in another process shows the roots' states
//! and the embeddings counter; a second writer is refused with a clear
//! message while searches keep working; renames compute no embedding;
//! Ctrl-C stops it cleanly.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

const WAIT: Duration = Duration::from_secs(60);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn photofind(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_photofind"));
    command
        .env("PHOTOFIND_MODEL", fixtures().join("models/tiny-p32-quickgelu"))
        .env("PHOTOFIND_DATA_DIR", data);
    command
}

fn status(data: &Path) -> Value {
    let out = photofind(data).args(["status", "--json"]).output().expect("status runs");
    assert!(out.status.success(), "status: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("status JSON")
}

/// A running `photofind watch --json` and its event lines.
struct Watch {
    child: Child,
    events: Receiver<Value>,
}

impl Watch {
    fn start(data: &Path, root: &Path) -> Self {
        let mut child = photofind(data)
            .args(["watch", "--json"])
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("watch starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(serde_json::from_str::<Value>(&line).expect("a JSON event"));
            }
        });
        let watch = Watch { child, events };
        watch.wait("idle", |e| e["event"] == "idle");
        watch
    }

    fn wait(&self, what: &str, mut done: impl FnMut(&Value) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self.events.recv_timeout(left).unwrap_or_else(|_| panic!("no {what} event"));
            if done(&event) {
                return;
            }
        }
    }

    /// Sends Ctrl-C (SIGINT) and waits for the exit.
    fn interrupt(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-INT", &pid]).status().expect("kill runs").success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                return status;
            }
            assert!(Instant::now() < deadline, "watch did not stop on Ctrl-C");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn watch_keeps_the_index_live_and_is_the_only_writer() {
    let (data, root) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let root_path = root.path().canonicalize().expect("abs");
    for name in ["rocket.jpg", "camera.png", "cat.png"] {
        std::fs::copy(fixtures().join("photos").join(name), root_path.join(name)).expect("copies");
    }
    let watch = Watch::start(data.path(), &root_path);

    let s = status(data.path());
    assert_eq!(s["service"]["pid"], watch.child.id());
    assert_eq!(s["roots"][0]["state"], "watching", "{s}");
    assert_eq!((s["photos"].as_u64(), s["embeddings"].as_u64()), (Some(3), Some(3)));

    // One writer per library: a second one is told who holds it.
    for args in [&["watch"][..], &["index"][..]] {
        let out = photofind(data.path()).args(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let text = stderr(&out);
        assert!(text.contains("being indexed by another photofind process"), "{text}");
        assert!(text.contains(&format!("pid {}: photofind watch", watch.child.id())), "{text}");
    }
    // Searches from another process keep working.
    let out =
        photofind(data.path()).args(["search", "--json", "--image"]).arg(root_path.join("cat.png")).output();
    let out = out.expect("search runs");
    let hits: Value = serde_json::from_slice(&out.stdout).expect("search JSON");
    assert_eq!(hits[0]["path"], root_path.join("cat.png").to_str().expect("utf-8"), "{}", stderr(&out));

    // A new photo is picked up; a rename computes nothing.
    let new = root_path.join("astronaut.png");
    std::fs::copy(fixtures().join("photos/astronaut.png"), &new).expect("copies");
    watch.wait("the new photo", |e| {
        e["event"] == "committed" && e["paths"][0] == new.to_str().expect("utf-8")
    });
    let renamed = root_path.join("space-walk.png");
    std::fs::rename(&new, &renamed).expect("renames");
    watch.wait("the rename", |e| {
        e["event"] == "committed" && e["paths"][0] == renamed.to_str().expect("utf-8")
    });
    let s = status(data.path());
    assert_eq!((s["photos"].as_u64(), s["embeddings"].as_u64()), (Some(4), Some(4)), "{s}");

    let exit = watch.interrupt();
    assert!(exit.success(), "Ctrl-C is a clean stop: {exit:?}");
    let s = status(data.path());
    assert!(s["service"].is_null(), "{s}");
    assert_eq!(s["roots"][0]["state"], "idle");
    assert_eq!(s["paths"].as_u64(), Some(4));
}
