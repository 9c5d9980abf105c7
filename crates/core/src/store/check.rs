//! Checks a `data.mdb` before LMDB maps it. LMDB trusts its file: one that
//! was truncated (a copy cut short, a full disk during a backup restore)
//! makes reads past its end fault the process (SIGBUS), and garbage is
//! read as pages. Both are refused here with the file named.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::{Error, Result};

const MAGIC: u32 = 0xBEEF_C0DE;
/// Offsets inside a meta page (64-bit LMDB 0.9): a 16-byte page header,
/// then `mm_magic`, `mm_version`, `mm_address`, `mm_mapsize`, two 48-byte
/// `MDB_db` records (the first one's `md_pad` holds the page size),
/// `mm_last_pg`, `mm_txnid`.
const MAGIC_AT: usize = 16;
const PAGE_SIZE_AT: usize = 40;
const LAST_PAGE_AT: usize = 136;
const TXN_AT: usize = 144;
const META_LEN: usize = 152;

/// What the two meta pages say.
struct Meta {
    page_size: u64,
    last_page: u64,
    txn: u64,
}

/// Refuses a `data.mdb` that LMDB would crash on or misread: not LMDB's
/// (no magic), or shorter than the pages its newest meta page says it has.
/// A missing or empty file is fine (LMDB creates it).
pub(super) fn data_file(dir: &Path) -> Result<()> {
    let path = dir.join("data.mdb");
    let corrupt = |reason: String| Error::Corrupt { file: path.clone(), reason };
    let mut file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(Error::Io { path, source }),
    };
    let len = file.metadata().map_err(|source| Error::Io { path: path.clone(), source })?.len();
    if len == 0 {
        return Ok(());
    }
    let mut first = vec![0u8; META_LEN];
    file.read_exact(&mut first).map_err(|_| corrupt(format!("{len} bytes is too short for an index")))?;
    let meta0 =
        parse(&first).ok_or_else(|| corrupt("it is not a photofind index (no LMDB header)".into()))?;
    let mut second = vec![0u8; META_LEN];
    let read_second = file.seek(SeekFrom::Start(meta0.page_size)).and_then(|_| file.read_exact(&mut second));
    if read_second.is_err() {
        return Err(corrupt(format!("{len} bytes is too short for an index")));
    }
    let newest = parse(&second).filter(|m| m.txn > meta0.txn).unwrap_or(meta0);
    let needed = (newest.last_page + 1) * newest.page_size;
    if len < needed {
        return Err(corrupt(format!(
            "the file is {len} bytes but its pages need {needed}: it was truncated (restore it from a \
             backup, or move the index folder away to re-index)"
        )));
    }
    Ok(())
}

fn parse(page: &[u8]) -> Option<Meta> {
    let u32_at =
        |at: usize| page.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()));
    let u64_at =
        |at: usize| page.get(at..at + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()));
    if u32_at(MAGIC_AT)? != MAGIC {
        return None;
    }
    let page_size = u64::from(u32_at(PAGE_SIZE_AT)?);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return None;
    }
    Some(Meta { page_size, last_page: u64_at(LAST_PAGE_AT)?, txn: u64_at(TXN_AT)? })
}
