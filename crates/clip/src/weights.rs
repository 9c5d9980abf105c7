//! Reading `model.safetensors` one tensor at a time.
//!
//! candle's CPU tensors own their memory, so every weight is copied once
//! whatever the loader. Through a memory map the whole file is also
//! resident while the model is built (a ViT-B/32 in f32 would peak at
//! ~1.2 GB for 600 MB of weights); reading each tensor with `pread` keeps
//! the peak at the weights plus the largest tensor, needs no `unsafe`, and
//! costs no more time (the same bytes are copied from the page cache).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use serde::Deserialize;

/// Where a tensor lies in the file.
#[derive(Debug, Clone)]
struct Entry {
    dtype: DType,
    shape: Vec<usize>,
    start: u64,
    end: u64,
}

#[derive(Deserialize)]
struct RawEntry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

/// An open safetensors file whose header has been read.
pub struct Weights {
    file: File,
    path: PathBuf,
    entries: HashMap<String, Entry>,
}

/// Headers larger than this are refused (a real one is a few hundred kB).
const MAX_HEADER: u64 = 100 << 20;

impl Weights {
    /// Opens `path` and reads its header; the tensors are read on demand.
    pub fn open(path: &Path) -> candle_core::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut size = [0u8; 8];
        read_at(&file, &mut size, 0)?;
        let header_len = u64::from_le_bytes(size);
        if header_len > MAX_HEADER || 8 + header_len > len {
            candle_core::bail!("not a safetensors file: header of {header_len} bytes in a file of {len}");
        }
        let mut header = vec![0u8; header_len as usize];
        read_at(&file, &mut header, 8)?;
        let raw: HashMap<String, serde_json::Value> = serde_json::from_slice(&header)
            .map_err(|e| candle_core::Error::Msg(format!("bad header: {e}")))?;
        let data_start = 8 + header_len;
        let mut entries = HashMap::new();
        for (name, value) in raw {
            if name == "__metadata__" {
                continue;
            }
            let raw: RawEntry = serde_json::from_value(value)
                .map_err(|e| candle_core::Error::Msg(format!("bad header entry {name}: {e}")))?;
            let (start, end) = (data_start + raw.data_offsets.0, data_start + raw.data_offsets.1);
            let dtype = dtype(&raw.dtype)?;
            let expected = raw.shape.iter().product::<usize>() * dtype.size_in_bytes();
            if end > len || end < start || (end - start) as usize != expected {
                candle_core::bail!(
                    "tensor {name} lies outside the file or has the wrong length (truncated?)"
                );
            }
            entries.insert(name, Entry { dtype, shape: raw.shape, start, end });
        }
        Ok(Self { file, path: path.to_owned(), entries })
    }

    /// Whether the file holds a tensor called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    fn read(&self, name: &str, dtype: DType, device: &Device) -> candle_core::Result<Tensor> {
        let entry = self.entries.get(name).ok_or_else(|| candle_core::Error::CannotFindTensor {
            path: format!("{name} in {}", self.path.display()),
        })?;
        let mut bytes = vec![0u8; (entry.end - entry.start) as usize];
        read_at(&self.file, &mut bytes, entry.start)?;
        Tensor::from_raw_buffer(&bytes, entry.dtype, &entry.shape, device)?.to_dtype(dtype)
    }
}

/// Fills `buf` from `file` at `offset`, without moving a shared cursor.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
}

fn dtype(name: &str) -> candle_core::Result<DType> {
    Ok(match name {
        "F32" => DType::F32,
        "F16" => DType::F16,
        "BF16" => DType::BF16,
        "F64" => DType::F64,
        other => candle_core::bail!("unsupported tensor dtype {other}"),
    })
}

impl SimpleBackend for Weights {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self.read(name, dtype, device)?;
        if tensor.shape() != &shape {
            candle_core::bail!(
                "{name}: the config expects shape {shape:?}, the file holds {:?}",
                tensor.shape()
            );
        }
        Ok(tensor)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, device: &Device) -> candle_core::Result<Tensor> {
        self.read(name, dtype, device)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }
}
