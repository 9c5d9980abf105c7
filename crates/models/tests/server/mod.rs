//! A tiny HTTP/1.1 file server on 127.0.0.1 for the download tests: serves a checkpoint under
//! `/<repo>/resolve/<revision>/<file>`, honours `Range: bytes=N-`, and can be told to misbehave.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The repository name the server answers for.
pub const REPO: &str = "test/tiny-clip";

/// Ways the server misbehaves. A fault naming a file applies to requests for that file.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// The first response for the file sends only this many body bytes, then closes.
    pub cut_once: Option<(String, u64)>,
    /// After this many body bytes of the file, close the connection and stop serving for good.
    pub die: Option<(String, u64)>,
    /// Flip the bits of the byte at this offset of the file.
    pub corrupt: Option<(String, usize)>,
    /// The first request for the file gets this status (e.g. 503) and no body.
    pub fail_once: Option<(String, u16)>,
    /// Answer 404 to everything.
    pub not_found: bool,
    /// Redirect `/<repo>/resolve/...` to `/cdn/...` (relative `Location`, like the Hub).
    pub redirect: bool,
    /// Answer range requests with the whole file and status 200.
    pub ignore_range: bool,
    /// Redirect `/<repo>/resolve/...` to this absolute URL.
    pub redirect_to: Option<String>,
    /// Serve the file as if it were only its first this many bytes: a complete response
    /// (`Content-Length`, `Content-Range` total) of another size than the manifest's.
    pub wrong_size: Option<(String, usize)>,
}

/// What the server saw and did for one request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request path.
    pub path: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// The status answered.
    pub status: u16,
    /// Body bytes actually written.
    pub body_sent: u64,
}

struct Shared {
    files: HashMap<String, Vec<u8>>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<Request>>,
    /// A connection is being answered and its request not yet recorded.
    busy: AtomicBool,
    stop: AtomicBool,
}

/// A running server; dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `files` (name → bytes) with `faults`.
    pub fn start(files: HashMap<String, Vec<u8>>, faults: Faults) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            files,
            faults: Mutex::new(faults),
            requests: Mutex::new(Vec::new()),
            busy: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::spawn(move || serve(listener, &thread_shared));
        Self { addr, shared, thread: Some(thread) }
    }

    /// Serves the files of a checkpoint directory.
    pub fn serving_dir(dir: &Path, faults: Faults) -> Self {
        Self::start(read_dir(dir), faults)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in order. Waits (up to five seconds) for the one being answered to
    /// be recorded: a client can be done with a response before the server is.
    pub fn requests(&self) -> Vec<Request> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.shared.busy.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.shared.requests.lock().expect("requests lock").clone()
    }

    /// The requests whose path ends with `/<file>`.
    pub fn requests_for(&self, file: &str) -> Vec<Request> {
        let suffix = format!("/{file}");
        self.requests().into_iter().filter(|request| request.path.ends_with(&suffix)).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads every regular file of `dir`.
pub fn read_dir(dir: &Path) -> HashMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("fixture dir")
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path.file_name().and_then(|name| name.to_str()).expect("utf-8 name").to_owned();
            (name, std::fs::read(&path).expect("fixture file"))
        })
        .collect()
}

/// Accepts connections one at a time until stopped; the listener closes when this returns, so
/// later connections are refused.
fn serve(listener: TcpListener, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                shared.busy.store(true, Ordering::SeqCst);
                handle(stream, shared);
                shared.busy.store(false, Ordering::SeqCst);
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => return,
        }
    }
}

fn handle(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let Some((path, range)) = read_head(&mut stream) else { return };
    let mut faults = shared.faults.lock().expect("faults lock");
    let reply = route(&path, range.as_deref(), shared, &mut faults);
    drop(faults);
    let sent = send(&mut stream, &reply);
    if reply.die_after.is_some() {
        shared.stop.store(true, Ordering::SeqCst);
    }
    let _ = stream.shutdown(Shutdown::Both);
    let request = Request { path, range, status: reply.status, body_sent: sent };
    shared.requests.lock().expect("requests lock").push(request);
}

/// The request path and its `Range` header.
fn read_head(stream: &mut TcpStream) -> Option<(String, Option<String>)> {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let range = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("range").then(|| value.trim().to_owned())
    });
    Some((path, range))
}

struct Reply {
    status: u16,
    headers: Vec<String>,
    body: Vec<u8>,
    /// Close after this many body bytes (the headers still announce the whole body).
    cut_after: Option<u64>,
    /// Like `cut_after`, then stop the server.
    die_after: Option<u64>,
}

impl Reply {
    fn empty(status: u16, headers: Vec<String>) -> Self {
        Self { status, headers, body: Vec::new(), cut_after: None, die_after: None }
    }
}

fn route(path: &str, range: Option<&str>, shared: &Shared, faults: &mut Faults) -> Reply {
    if faults.not_found {
        return Reply::empty(404, Vec::new());
    }
    let resolve_prefix = format!("/{REPO}/resolve/");
    let rest = match (path.strip_prefix(&resolve_prefix), path.strip_prefix("/cdn/")) {
        (Some(_), _) if faults.redirect_to.is_some() => {
            return Reply::empty(
                302,
                faults.redirect_to.iter().map(|url| format!("Location: {url}")).collect(),
            );
        }
        (Some(rest), _) if faults.redirect => {
            return Reply::empty(302, vec![format!("Location: /cdn/{rest}")]);
        }
        (Some(rest), _) | (None, Some(rest)) => rest,
        (None, None) => return Reply::empty(404, Vec::new()),
    };
    let Some((_revision, name)) = rest.split_once('/') else { return Reply::empty(404, Vec::new()) };
    let Some(bytes) = shared.files.get(name) else { return Reply::empty(404, Vec::new()) };
    if let Some((_, status)) = faults.fail_once.take_if(|fault| fault.0 == name) {
        return Reply::empty(status, Vec::new());
    }
    let mut bytes = bytes.clone();
    if let Some((_, offset)) = faults.corrupt.as_ref().filter(|(file, _)| file == name) {
        bytes[*offset] ^= 0xff;
    }
    if let Some((_, len)) = faults.wrong_size.as_ref().filter(|(file, _)| file == name) {
        bytes.truncate(*len);
    }
    let mut reply = ranged(bytes, range.filter(|_| !faults.ignore_range));
    reply.cut_after = faults.cut_once.take_if(|fault| fault.0 == name).map(|(_, after)| after);
    reply.die_after = faults.die.as_ref().filter(|(file, _)| file == name).map(|(_, after)| *after);
    reply
}

/// A 200, 206 or 416 for `bytes` and an optional `Range: bytes=N-`.
fn ranged(bytes: Vec<u8>, range: Option<&str>) -> Reply {
    let len = bytes.len();
    let start =
        range.and_then(|range| range.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
    match start {
        None => Reply { status: 200, headers: Vec::new(), body: bytes, cut_after: None, die_after: None },
        Some(start) if start >= len => Reply::empty(416, vec![format!("Content-Range: bytes */{len}")]),
        Some(start) => Reply {
            status: 206,
            headers: vec![format!("Content-Range: bytes {start}-{}/{len}", len - 1)],
            body: bytes[start..].to_vec(),
            cut_after: None,
            die_after: None,
        },
    }
}

/// Writes the reply; returns the body bytes written.
fn send(stream: &mut TcpStream, reply: &Reply) -> u64 {
    let reason = match reply.status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        _ => "Error",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\nContent-Length: {}\r\n", reply.status, reply.body.len());
    for header in &reply.headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return 0;
    }
    let limit = reply.cut_after.or(reply.die_after).map_or(reply.body.len(), |limit| limit as usize);
    let body = &reply.body[..limit.min(reply.body.len())];
    match stream.write_all(body).and_then(|()| stream.flush()) {
        Ok(()) => body.len() as u64,
        Err(_) => 0,
    }
}
