//! CLIP's tokenizer from the checkpoint's `tokenizer.json`: its normaliser,
//! byte-level BPE and bos/eos template, truncated so that eos survives.

use std::path::Path;

use photofind_core::EmbedError;
use tokenizers::{Tokenizer, TruncationParams};

use crate::error::{Error, Result};

const EOS: &str = "<|endoftext|>";

/// Token ids for a batch of texts, padded to the longest.
pub struct TokenBatch {
    /// Row-major (texts, longest) ids; padding repeats eos.
    pub ids: Vec<u32>,
    /// Length of the longest sequence.
    pub longest: usize,
    /// Position of each text's first eos, where CLIP pools.
    pub eos_positions: Vec<usize>,
}

/// The checkpoint's tokenizer, set to truncate at the model's context length.
pub struct ClipTokenizer {
    inner: Tokenizer,
    eos: u32,
}

impl ClipTokenizer {
    /// Loads `tokenizer.json`; `max_len` is `max_position_embeddings`.
    pub fn load(path: &Path, max_len: usize) -> Result<Self> {
        let inner = open(path, max_len)?;
        let eos = inner.token_to_id(EOS).ok_or_else(|| Error::Tokenizer {
            path: path.to_owned(),
            reason: format!("has no {EOS} token"),
        })?;
        Ok(Self { inner, eos })
    }

    /// Ids of one text: bos, tokens, eos; at most `max_len` of them.
    pub fn ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        ids_of(&self.inner, text)
    }

    /// Ids of many texts, padded to the longest.
    pub fn batch(&self, texts: &[&str]) -> Result<TokenBatch, EmbedError> {
        let rows = texts.iter().map(|t| self.ids(t)).collect::<Result<Vec<_>, _>>()?;
        let longest = rows.iter().map(Vec::len).max().unwrap_or(0);
        let eos_positions = rows
            .iter()
            .map(|row| row.iter().position(|&id| id == self.eos).unwrap_or(row.len().saturating_sub(1)))
            .collect();
        let mut ids = Vec::with_capacity(rows.len() * longest);
        for row in &rows {
            ids.extend_from_slice(row);
            ids.resize(ids.len() + longest - row.len(), self.eos);
        }
        Ok(TokenBatch { ids, longest, eos_positions })
    }
}

/// `tokenizer.json` at `path`, truncating at `max_len` tokens (specials
/// included), unpadded: what both kinds of model read their words with.
pub(crate) fn open(path: &Path, max_len: usize) -> Result<Tokenizer> {
    let fail = |reason: String| Error::Tokenizer { path: path.to_owned(), reason };
    if !path.is_file() {
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        return Err(Error::Read { path: path.to_owned(), source });
    }
    let mut inner = Tokenizer::from_file(path).map_err(|e| fail(e.to_string()))?;
    inner
        .with_truncation(Some(TruncationParams { max_length: max_len, ..Default::default() }))
        .map_err(|e| fail(e.to_string()))?;
    inner.with_padding(None);
    Ok(inner)
}

/// The ids `tokenizer` gives `text`, specials added.
pub(crate) fn ids_of(tokenizer: &Tokenizer, text: &str) -> Result<Vec<u32>, EmbedError> {
    let encoding = tokenizer
        .encode(text, true)
        .map_err(|e| EmbedError::Tokenize { text: text.to_owned(), reason: e.to_string() })?;
    Ok(encoding.get_ids().to_vec())
}
