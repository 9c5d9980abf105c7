//! The text model's tokenizer from `tokenizer.json` (WordPiece with `[CLS] $A [SEP]` for the
//! multilingual DistilBERT), truncated at `max_seq_length` as sentence-transformers does.

use std::path::Path;

use photofind_core::EmbedError;
use tokenizers::Tokenizer;

use crate::error::{Error, Result};

/// Token ids of a batch, padded to the longest, with the mask that hides the padding.
pub struct MaskedBatch {
    /// Row-major (texts, longest) ids.
    pub ids: Vec<u32>,
    /// Row-major (texts, longest): 1 for a token, 0 for padding.
    pub mask: Vec<f32>,
    /// Length of the longest row.
    pub longest: usize,
}

/// `tokenizer.json`, set to truncate at `max_len` tokens, specials included.
pub struct WordPieceTokenizer {
    inner: Tokenizer,
    pad: u32,
}

impl WordPieceTokenizer {
    /// Loads `path`; refuses a vocabulary larger than the model's `vocab_size`.
    pub fn load(path: &Path, max_len: usize, vocab_size: usize, pad: u32) -> Result<Self> {
        let inner = crate::tokenize::open(path, max_len)?;
        let found = inner.get_vocab_size(true);
        if found > vocab_size {
            let path = path.to_owned();
            return Err(Error::DimensionMismatch { path, field: "vocab_size", expected: vocab_size, found });
        }
        Ok(Self { inner, pad })
    }

    /// Ids of one text: `[CLS]`, tokens, `[SEP]`; at most `max_len` of them.
    pub fn ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        crate::tokenize::ids_of(&self.inner, text)
    }

    /// Ids of many texts, padded to the longest, with their mask.
    pub fn batch(&self, texts: &[&str]) -> Result<MaskedBatch, EmbedError> {
        let rows = texts.iter().map(|t| self.ids(t)).collect::<Result<Vec<_>, _>>()?;
        let longest = rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(rows.len() * longest);
        let mut mask = Vec::with_capacity(rows.len() * longest);
        for row in &rows {
            ids.extend_from_slice(row);
            ids.resize(ids.len() + longest - row.len(), self.pad);
            mask.extend((0..longest).map(|i| if i < row.len() { 1.0 } else { 0.0 }));
        }
        Ok(MaskedBatch { ids, mask, longest })
    }
}
