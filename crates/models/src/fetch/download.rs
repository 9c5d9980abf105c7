//! Downloading one model file into its `.part`: resume, retries with backoff, size limits,
//! verification.
//!
//! A file is never written past its published size, or past
//! [`FetchOptions::unsized_file_cap`] when the manifest has none. A server announcing a complete
//! file of another size than the manifest's fails at once; only a body that ends short of what
//! the server itself announced counts as cut off, and is resumed.

use std::fs;
use std::io::{self, Read as _};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ureq::http::{Response, header};

use super::FetchOptions;
use super::http::{Client, Fetched, RequestError};
use super::part::{PartFile, hash_file, remove_if_exists};
use super::progress::Tracker;
use crate::error::{FetchError, NetworkError};
use crate::manifest::ModelFile;

/// Bytes read from the network between two cancellation checks.
const CHUNK: usize = 64 * 1024;

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Longest uninterrupted sleep, so cancellation is noticed while backing off.
const SLEEP_SLICE: Duration = Duration::from_millis(50);

/// Everything the download of one model's files shares.
pub(crate) struct Job<'a> {
    pub(crate) client: Client,
    pub(crate) options: &'a FetchOptions,
    pub(crate) cancel: &'a AtomicBool,
    pub(crate) tracker: Tracker<'a>,
    /// The directory the files are assembled in.
    pub(crate) dir: &'a Path,
    /// The model id, for the cancellation error.
    pub(crate) id: &'a str,
}

/// How one attempt failed.
enum Attempt {
    /// The network or the server failed; another attempt may succeed.
    Transient(String, Transient),
    /// Another attempt cannot help.
    Fatal(FetchError),
}

enum Transient {
    Network(NetworkError),
    Status(u16),
}

impl From<RequestError> for Attempt {
    fn from(err: RequestError) -> Self {
        match err {
            RequestError::Transient(url, cause) => Self::Transient(url, Transient::Network(cause)),
            RequestError::Fatal(err) => Self::Fatal(err),
        }
    }
}

impl Job<'_> {
    /// Downloads `file` from `url` into the job's directory under its own name, verified.
    /// A file a failed run already verified is checked again and kept.
    pub(crate) fn fetch_file(&mut self, file: &ModelFile, url: &str) -> Result<(), FetchError> {
        let target = self.dir.join(&file.name);
        // `2_Dense/model.safetensors`: the manifest allows one directory level.
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(FetchError::io(parent))?;
        }
        if self.already_verified(file, &target)? {
            return Ok(());
        }
        let part_path = self.dir.join(format!("{}.part", file.name));
        let mut part = PartFile::open(&part_path).map_err(FetchError::io(&part_path))?;
        if part.len() > self.limit(file) {
            part.restart().map_err(FetchError::io(&part_path))?;
        }
        if let Err(err) = self.download(file, url, &mut part) {
            return Err(discard_oversized(err, part));
        }
        let (path, len, sha256) = part.finish().map_err(FetchError::io(&part_path))?;
        if let Err(err) = verify(file, len, &sha256) {
            remove_if_exists(&path).map_err(FetchError::io(&path))?;
            return Err(err);
        }
        fs::rename(&path, &target).map_err(FetchError::io(&target))?;
        self.tracker.file_done(len);
        Ok(())
    }

    /// Whether `target` is already there and matches the manifest; a stale one is removed.
    fn already_verified(&mut self, file: &ModelFile, target: &Path) -> Result<bool, FetchError> {
        if !target.is_file() {
            return Ok(false);
        }
        let (len, sha256) = hash_file(target).map_err(FetchError::io(target))?;
        if verify(file, len, &sha256).is_ok() {
            self.tracker.file_done(len);
            return Ok(true);
        }
        remove_if_exists(target).map_err(FetchError::io(target))?;
        Ok(false)
    }

    /// Attempts until the part holds the whole file, the retries run out or a failure is final.
    fn download(&mut self, file: &ModelFile, url: &str, part: &mut PartFile) -> Result<(), FetchError> {
        let mut announced = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if file.size.is_some_and(|size| part.len() >= size) {
                return Ok(());
            }
            let (failed_url, cause) = match self.attempt(file, url, part, &mut announced, attempt) {
                Ok(()) => return Ok(()),
                Err(Attempt::Fatal(err)) => return Err(err),
                Err(Attempt::Transient(failed_url, cause)) => (failed_url, cause),
            };
            if attempt > self.options.retries {
                return Err(exhausted(file, failed_url, cause, attempt));
            }
            part.rewind().map_err(FetchError::io(part.path()))?;
            self.sleep(backoff(self.options.backoff_base, attempt))?;
        }
    }

    /// Most bytes `file` may have: its published size, else the cap for files of unknown size.
    fn limit(&self, file: &ModelFile) -> u64 {
        file.size.unwrap_or(self.options.unsized_file_cap)
    }

    /// One request: resume from the part's length, or restart if the server sends everything.
    fn attempt(
        &mut self,
        file: &ModelFile,
        url: &str,
        part: &mut PartFile,
        announced: &mut bool,
        attempt: u32,
    ) -> Result<(), Attempt> {
        self.check_cancel().map_err(Attempt::Fatal)?;
        let fetched = self.client.get(url, part.len())?;
        let status = fetched.response.status().as_u16();
        match status {
            200 | 206 => check_served_size(file, &fetched).map_err(Attempt::Fatal)?,
            // Nothing past what we have: the part is complete, or verification will say it is wrong.
            416 => return Ok(()),
            408 | 429 | 500..=599 => return Err(Attempt::Transient(fetched.url, Transient::Status(status))),
            _ => {
                return Err(Attempt::Fatal(FetchError::HttpStatus {
                    url: fetched.url,
                    status,
                    attempts: attempt,
                }));
            }
        }
        if status == 206 {
            self.check_range(&fetched, part)?;
        } else if part.len() > 0 {
            part.restart().map_err(part_error(part))?;
        }
        let length = content_length(&fetched.response).map(|remaining| part.len() + remaining);
        if file.size.is_none() && !*announced {
            self.tracker.grow_total(length.unwrap_or_default());
            *announced = true;
        }
        self.stream(file, fetched, part, file.size.or(length))
    }

    /// A 206 must start where the part ends; otherwise start over from byte 0.
    fn check_range(&self, fetched: &Fetched, part: &mut PartFile) -> Result<(), Attempt> {
        let content_range = fetched.response.headers().get(header::CONTENT_RANGE);
        let content_range = content_range.and_then(|value| value.to_str().ok()).unwrap_or_default();
        if range_start(content_range) == Some(part.len()) {
            return Ok(());
        }
        let requested = part.len();
        part.restart().map_err(part_error(part))?;
        let cause = NetworkError::WrongRange { requested, content_range: content_range.to_owned() };
        Err(Attempt::Transient(fetched.url.clone(), Transient::Network(cause)))
    }

    /// Copies the body into the part, checking for cancellation between chunks.
    fn stream(
        &mut self,
        file: &ModelFile,
        fetched: Fetched,
        part: &mut PartFile,
        expected: Option<u64>,
    ) -> Result<(), Attempt> {
        let Fetched { url, response } = fetched;
        let mut reader = response.into_body().into_reader();
        let mut buf = vec![0; CHUNK];
        loop {
            self.check_cancel().map_err(Attempt::Fatal)?;
            let read = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(Attempt::Transient(url, Transient::Network(NetworkError::Read(err)))),
            };
            part.append(&buf[..read]).map_err(part_error(part))?;
            self.tracker.received(read as u64);
            self.tracker.report(&file.name, part.len());
            self.check_cap(file, part).map_err(Attempt::Fatal)?;
            if expected.is_some_and(|expected| part.len() > expected) {
                // Longer than the file can be: verification will refuse it.
                return Ok(());
            }
        }
        match expected {
            Some(expected) if part.len() < expected => {
                let cause = NetworkError::Truncated { received: part.len(), expected };
                Err(Attempt::Transient(url, Transient::Network(cause)))
            }
            _ => Ok(()),
        }
    }

    /// A file of unpublished size may not outgrow the cap, whatever the server announced.
    fn check_cap(&self, file: &ModelFile, part: &PartFile) -> Result<(), FetchError> {
        let cap = self.options.unsized_file_cap;
        if file.size.is_none() && part.len() > cap {
            return Err(FetchError::TooLarge { file: file.name.clone(), cap, received: part.len() });
        }
        Ok(())
    }

    fn check_cancel(&self) -> Result<(), FetchError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(FetchError::Cancelled { id: self.id.to_owned() });
        }
        Ok(())
    }

    /// Sleeps `duration` in short slices, waking early (with an error) on cancellation.
    fn sleep(&self, duration: Duration) -> Result<(), FetchError> {
        let deadline = Instant::now() + duration;
        loop {
            self.check_cancel()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(SLEEP_SLICE));
        }
    }
}

/// A failure to write the part: final, since retrying will not fix a full or read-only disk.
fn part_error(part: &PartFile) -> impl FnOnce(io::Error) -> Attempt {
    let path = part.path().to_owned();
    move |source| Attempt::Fatal(FetchError::Io { path, source })
}

/// Deletes the part of a file that outgrew the cap (resuming it could only make it bigger);
/// other failures keep the part for a later resume.
fn discard_oversized(err: FetchError, part: PartFile) -> FetchError {
    if !matches!(err, FetchError::TooLarge { .. }) {
        return err;
    }
    let path = part.path().to_owned();
    drop(part);
    match remove_if_exists(&path) {
        Ok(()) => err,
        Err(source) => FetchError::Io { path, source },
    }
}

/// A complete file of another size than the manifest's is final: the mirror serves another
/// file, and every retry would get it again. Checked before the part is touched.
fn check_served_size(file: &ModelFile, fetched: &Fetched) -> Result<(), FetchError> {
    let (Some(expected), Some(served)) = (file.size, served_size(&fetched.response)) else {
        return Ok(());
    };
    if served == expected {
        return Ok(());
    }
    Err(FetchError::ServedSizeMismatch {
        file: file.name.clone(),
        url: fetched.url.clone(),
        served,
        expected,
    })
}

/// The size of the whole file as the server announces it: a 206's `Content-Range` total, a
/// 200's `Content-Length`.
fn served_size(response: &Response<ureq::Body>) -> Option<u64> {
    if response.status().as_u16() != 206 {
        return content_length(response);
    }
    let content_range = response.headers().get(header::CONTENT_RANGE)?.to_str().ok()?;
    range_total(content_range)
}

/// Size first (cheap to read in the error), then the hash.
fn verify(file: &ModelFile, len: u64, sha256: &str) -> Result<(), FetchError> {
    if let Some(expected) = file.size.filter(|&size| size != len) {
        return Err(FetchError::SizeMismatch { file: file.name.clone(), expected, actual: len });
    }
    match &file.sha256 {
        Some(expected) if expected != sha256 => Err(FetchError::ChecksumMismatch {
            file: file.name.clone(),
            expected: expected.clone(),
            actual: sha256.to_owned(),
        }),
        _ => Ok(()),
    }
}

fn exhausted(file: &ModelFile, url: String, cause: Transient, attempts: u32) -> FetchError {
    match cause {
        Transient::Status(status) => FetchError::HttpStatus { url, status, attempts },
        Transient::Network(source) => FetchError::Network { file: file.name.clone(), url, attempts, source },
    }
}

/// `base`, doubled after every failed attempt, at most [`MAX_BACKOFF`].
fn backoff(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

fn content_length(response: &Response<ureq::Body>) -> Option<u64> {
    response.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// The first byte of `Content-Range: bytes START-END/TOTAL`.
fn range_start(content_range: &str) -> Option<u64> {
    let range = content_range.trim().strip_prefix("bytes ")?;
    range.split(['-', '/']).next()?.trim().parse().ok()
}

/// The `TOTAL` of `Content-Range: bytes START-END/TOTAL`; `None` when it is `*`.
fn range_total(content_range: &str) -> Option<u64> {
    content_range.rsplit_once('/')?.1.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_millis(100);
        let waits: Vec<_> = (1..=4).map(|attempt| backoff(base, attempt)).collect();
        assert_eq!(waits, [100, 200, 400, 800].map(Duration::from_millis));
        assert_eq!(backoff(base, 40), MAX_BACKOFF);
    }

    #[test]
    fn range_start_reads_content_range() {
        assert_eq!(range_start("bytes 100-199/200"), Some(100));
        assert_eq!(range_start("bytes */200"), None);
        assert_eq!(range_start(""), None);
    }

    #[test]
    fn range_total_reads_content_range() {
        assert_eq!(range_total("bytes 100-199/200"), Some(200));
        assert_eq!(range_total("bytes */1126"), Some(1126));
        assert_eq!(range_total("bytes 0-99/*"), None);
        assert_eq!(range_total(""), None);
    }

    #[test]
    fn verify_checks_size_then_hash() {
        let file = ModelFile {
            name: "f".into(),
            size: Some(3),
            sha256: Some("ab".repeat(32)),
            revision: None,
            unverified: None,
        };
        assert!(matches!(
            verify(&file, 4, "x"),
            Err(FetchError::SizeMismatch { expected: 3, actual: 4, .. })
        ));
        assert!(matches!(verify(&file, 3, "x"), Err(FetchError::ChecksumMismatch { .. })));
        assert!(verify(&file, 3, &"ab".repeat(32)).is_ok());
        let size_only = ModelFile { sha256: None, unverified: Some("why".into()), ..file };
        assert!(verify(&size_only, 3, "anything").is_ok());
    }
}
