//! The errors of this crate: one enum per concern, every variant naming what it is about.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// A manifest that cannot be read or is not valid.
#[derive(Debug, Error)]
pub enum ManifestError {
    /// The manifest file cannot be read.
    #[error("cannot read manifest {}: {source}", path.display())]
    Read {
        /// The manifest file.
        path: PathBuf,
        /// Why it cannot be read.
        source: io::Error,
    },
    /// The manifest is not valid TOML or has fields of the wrong type.
    #[error("{origin}: {source}")]
    Parse {
        /// The file (or built-in name) the manifest came from.
        origin: String,
        /// What the TOML parser found.
        source: toml::de::Error,
    },
    /// A field has a value the manifest format does not allow.
    #[error("{origin}: field `{field}` {reason}")]
    Invalid {
        /// The file (or built-in name) the manifest came from.
        origin: String,
        /// The field at fault, e.g. `files[1].sha256`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The manifest cannot be written out as TOML.
    #[error("cannot write the manifest of {id}: {source}")]
    Serialize {
        /// The model id.
        id: String,
        /// What the TOML serialiser found.
        source: toml::ser::Error,
    },
}

/// A failure of the installed-models store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A file or directory of the store cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The model asked for is not installed.
    #[error("model {id} is not installed in {}; run `photofind model fetch {id}` first", root.display())]
    NotInstalled {
        /// The model id.
        id: String,
        /// The models directory that was searched.
        root: PathBuf,
    },
    /// The model asked to index photos embeds text only.
    #[error(
        "{id} embeds text only, into the space of {space}: it cannot index photos; use {space} and search with {id}"
    )]
    TextOnly {
        /// The model id.
        id: String,
        /// The image model whose vector space it embeds into.
        space: String,
    },
    /// The model to remove is the one in use.
    #[error("{id} is the model in use: switch to another before removing it")]
    InUse {
        /// The model id.
        id: String,
    },
}

/// Why a network attempt failed; these are retried.
#[derive(Debug, Error)]
pub enum NetworkError {
    /// The request could not be made or its response not received.
    #[error(transparent)]
    Request(#[from] ureq::Error),
    /// Reading the response body failed (connection reset, timeout).
    #[error("reading the response failed: {0}")]
    Read(#[source] io::Error),
    /// The server closed the body before the whole file arrived.
    #[error("the connection closed after {received} of {expected} bytes")]
    Truncated {
        /// Bytes of the file on disk when the body ended.
        received: u64,
        /// Bytes the file should have.
        expected: u64,
    },
    /// The server answered a range request for another part of the file.
    #[error("asked to resume at byte {requested}, the server sent `Content-Range: {content_range}`")]
    WrongRange {
        /// The offset asked for.
        requested: u64,
        /// The server's `Content-Range` header.
        content_range: String,
    },
}

/// A model download that failed. Partial files are kept for a later resume unless the
/// variant says otherwise.
#[derive(Debug, Error)]
pub enum FetchError {
    /// The URL is plain HTTP to a host other than this machine.
    #[error("refusing {url}: only https:// is allowed (plain http:// only to localhost, 127.0.0.0/8 or ::1)")]
    InsecureUrl {
        /// The refused URL.
        url: String,
    },
    /// A server on https:// redirected to plain http://, which is allowed only from one
    /// loopback host to another.
    #[error(
        "refusing the redirect from {from} to {to}: https:// is never downgraded to http:// (except from loopback to loopback)"
    )]
    InsecureRedirect {
        /// The https:// URL that answered with the redirect.
        from: String,
        /// The http:// URL it pointed to.
        to: String,
    },
    /// An endpoint or redirect URL cannot be understood.
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status} (after {attempts} attempt(s))")]
    HttpStatus {
        /// The URL that answered.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// Attempts made; 4xx answers other than 408 and 429 are not retried.
        attempts: u32,
    },
    /// The network failed on every attempt.
    #[error("downloading {file} from {url} failed after {attempts} attempt(s): {source}")]
    Network {
        /// The file being downloaded.
        file: String,
        /// The URL of the last attempt.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        source: NetworkError,
    },
    /// Redirects went on longer than allowed.
    #[error("{url}: more than {max} redirects")]
    TooManyRedirects {
        /// The URL that was being followed.
        url: String,
        /// The limit.
        max: u32,
    },
    /// A downloaded file has the wrong SHA-256; it was deleted.
    #[error(
        "{file}: downloaded data has sha256 {actual}, expected {expected}; the download was deleted, fetch again to retry"
    )]
    ChecksumMismatch {
        /// The file.
        file: String,
        /// The SHA-256 from the manifest.
        expected: String,
        /// The SHA-256 of the bytes received.
        actual: String,
    },
    /// A downloaded file has the wrong size; it was deleted.
    #[error(
        "{file}: downloaded {actual} bytes, expected {expected}; the download was deleted, fetch again to retry"
    )]
    SizeMismatch {
        /// The file.
        file: String,
        /// The size from the manifest.
        expected: u64,
        /// The bytes received.
        actual: u64,
    },
    /// The server announced a complete file (a 200's `Content-Length`, or the total of a 206's
    /// `Content-Range`) of another size than the manifest's; not retried, since every mirror
    /// attempt would get the same file.
    #[error("{file}: the server's file is {served} bytes, the manifest says {expected} ({url})")]
    ServedSizeMismatch {
        /// The file.
        file: String,
        /// The URL that served it.
        url: String,
        /// The size the server announced.
        served: u64,
        /// The size from the manifest.
        expected: u64,
    },
    /// A file whose size the manifest does not publish grew past the cap
    /// ([`FetchOptions::unsized_file_cap`](crate::FetchOptions::unsized_file_cap)); it was
    /// deleted.
    #[error(
        "{file}: received {received} bytes, more than the {cap} allowed for a file of unpublished size; the download was deleted"
    )]
    TooLarge {
        /// The file.
        file: String,
        /// The most bytes allowed.
        cap: u64,
        /// Bytes of the file on disk when the download stopped.
        received: u64,
    },
    /// The download was cancelled; partial files are kept.
    #[error("download of {id} cancelled; fetch it again to resume")]
    Cancelled {
        /// The model id.
        id: String,
    },
    /// A local file or directory cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The manifest cannot be written into the model directory.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

impl FetchError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

impl StoreError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
