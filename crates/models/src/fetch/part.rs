//! A `.part` file: the bytes of one model file received so far, with their running SHA-256.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

/// Bytes read at a time when hashing what is already on disk.
const HASH_CHUNK: usize = 1 << 20;

/// An open `.part` file whose hash always covers exactly its first `len` bytes.
pub(crate) struct PartFile {
    path: PathBuf,
    file: File,
    hasher: Sha256,
    len: u64,
}

impl PartFile {
    /// Opens (or creates) `path` and hashes the bytes an earlier run left in it.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        let (hasher, len) = hash_all(&mut file)?;
        Ok(Self { path: path.to_owned(), file, hasher, len })
    }

    /// Where the part lives.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes received so far.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Appends bytes received from the server.
    pub(crate) fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Drops any bytes a failed write may have left past `len`, so the next attempt appends
    /// exactly where the hash stops.
    pub(crate) fn rewind(&mut self) -> io::Result<()> {
        self.file.set_len(self.len)?;
        self.file.seek(SeekFrom::Start(self.len))?;
        Ok(())
    }

    /// Empties the file: the server is sending it from the start.
    pub(crate) fn restart(&mut self) -> io::Result<()> {
        self.len = 0;
        self.hasher = Sha256::new();
        self.rewind()
    }

    /// Flushes the file to disk and returns its path, length and lowercase hex SHA-256.
    pub(crate) fn finish(self) -> io::Result<(PathBuf, u64, String)> {
        self.file.sync_all()?;
        Ok((self.path, self.len, hex(self.hasher)))
    }
}

/// The length and lowercase hex SHA-256 of a complete file.
pub(crate) fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    let (hasher, len) = hash_all(&mut File::open(path)?)?;
    Ok((len, hex(hasher)))
}

/// Hashes `file` from its current position to its end, leaving it positioned at the end.
fn hash_all(file: &mut File) -> io::Result<(Sha256, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0; HASH_CHUNK];
    let mut len = 0;
    loop {
        let read = file.read(&mut buf)?;
        if read == 0 {
            return Ok((hasher, len));
        }
        hasher.update(&buf[..read]);
        len += read as u64;
    }
}

fn hex(hasher: Sha256) -> String {
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Removes `path`, ignoring a file that is already gone.
pub(crate) fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn a_resumed_part_hashes_like_one_written_in_one_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.part");
        let mut part = PartFile::open(&path).unwrap();
        part.append(b"a").unwrap();
        drop(part);
        let mut part = PartFile::open(&path).unwrap();
        assert_eq!(part.len(), 1);
        part.append(b"bc").unwrap();
        assert_eq!(part.finish().unwrap().2, ABC_SHA256);
        assert_eq!(hash_file(&path).unwrap(), (3, ABC_SHA256.to_owned()));
    }

    #[test]
    fn restart_forgets_earlier_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.part");
        let mut part = PartFile::open(&path).unwrap();
        part.append(b"xyz").unwrap();
        part.restart().unwrap();
        part.append(b"abc").unwrap();
        let (_, len, hex) = part.finish().unwrap();
        assert_eq!((len, hex.as_str()), (3, ABC_SHA256));
        assert_eq!(fs::read(&path).unwrap(), b"abc");
    }

    #[test]
    fn rewind_cuts_bytes_past_the_hashed_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.part");
        let mut part = PartFile::open(&path).unwrap();
        part.file.write_all(b"junk").unwrap();
        part.rewind().unwrap();
        let (_, len, hex) = part.finish().unwrap();
        assert_eq!((len, hex.as_str()), (0, EMPTY_SHA256));
        assert_eq!(fs::metadata(&path).unwrap().len(), 0);
    }
}
