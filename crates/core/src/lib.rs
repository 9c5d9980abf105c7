//! photofind's headless core: what a photo is, how it is decoded, and the
//! [`Embedder`] contract that a model (such as `photofind-clip`) fulfils.
//!
//! The CLI and the desktop app are both clients of this crate; it knows
//! nothing about candle or Tauri.
//!
//! ```
//! use photofind_core::Embedding;
//!
//! let a = Embedding::normalized(vec![3.0, 4.0]);
//! assert_eq!(a.as_slice(), &[0.6, 0.8]);
//! assert!((a.cosine(&a) - 1.0).abs() < 1e-6);
//! ```

pub mod catalog;
pub mod duplicates;
mod embed;
pub mod index;
mod library;
pub mod live;
pub mod paths;
pub mod photo;
pub mod query;
pub mod scan;
pub mod search;
pub mod service;
pub mod store;
pub mod timeline;
pub mod trash;
pub mod twins;
pub mod watch;

pub use embed::{EmbedError, Embedder, Embedding, ImageInput, TextEmbedder, WithTexts};
pub use library::{Ask, Error, Library, default_data_dir};
