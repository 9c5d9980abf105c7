//! Model manifests: what a checkpoint is, where it comes from and how to check its files.
//!
//! A manifest is a small TOML file (`models/*.toml` at the repository root for the built-in
//! ones). Every file carries its size and SHA-256 unless an `unverified` line says why one is
//! missing, so a reader can see at a glance how much of a download is actually checked.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ManifestError;

/// Id of the model used when the user has chosen none.
pub const DEFAULT_MODEL_ID: &str = "clip-vit-base-patch32";

/// The manifests compiled into the binary, with the path they came from (for error messages).
const BUILTIN_SOURCES: [(&str, &str); 4] = [
    ("models/clip-vit-base-patch32.toml", include_str!("../../../models/clip-vit-base-patch32.toml")),
    ("models/clip-vit-base-patch16.toml", include_str!("../../../models/clip-vit-base-patch16.toml")),
    ("models/clip-vit-large-patch14.toml", include_str!("../../../models/clip-vit-large-patch14.toml")),
    (
        "models/clip-vit-b-32-multilingual-v1.toml",
        include_str!("../../../models/clip-vit-b-32-multilingual-v1.toml"),
    ),
];

/// What a model embeds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Photos and text: a CLIP checkpoint, which can index a library.
    #[default]
    Clip,
    /// Text only, into the vector space of an image model (its manifest's `space`): queries
    /// for a library indexed with that model, which is not embedded again.
    Text,
}

impl ModelKind {
    /// `clip` or `text`, as manifests spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clip => "clip",
            Self::Text => "text",
        }
    }

    fn is_clip(&self) -> bool {
        *self == Self::Clip
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A checkpoint: its identity, its source on the Hub and the files it is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Short id, also the name of the model's directory (`clip-vit-base-patch32`).
    pub id: String,
    /// Human name (`CLIP ViT-B/32`).
    pub name: String,
    /// One line saying what the model is good for.
    pub description: String,
    /// Hugging Face repository, `owner/name`.
    pub repo: String,
    /// Git revision the files are fetched at: a 40-hex commit, or a ref explained in `notes`.
    pub revision: String,
    /// The licence the weights are published under, as far as it is known.
    pub license: String,
    /// Length of the embedding vectors the model produces.
    pub dims: u32,
    /// What the model embeds; `clip` when the manifest does not say.
    #[serde(default, skip_serializing_if = "ModelKind::is_clip")]
    pub kind: ModelKind,
    /// For a `text` model, the id of the image model whose vector space its vectors land in
    /// (required there, refused for `clip`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space: Option<String>,
    /// Provenance and caveats, one per line (required when something is unpinned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The files of the checkpoint, downloaded in this order.
    pub files: Vec<ModelFile>,
}

/// One file of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// File name inside the repository and inside the model directory.
    pub name: String,
    /// Size in bytes, when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Lowercase hex SHA-256 of the whole file, when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// A revision for this file only, overriding the manifest's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Why `size` or `sha256` is missing; required exactly when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
}

impl ModelFile {
    /// Whether both the size and the SHA-256 of this file are known, so a download is fully checked.
    pub fn is_verified(&self) -> bool {
        self.size.is_some() && self.sha256.is_some()
    }
}

impl Manifest {
    /// Parses and validates a manifest; errors name the field at fault.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        Self::parse_from(text, "manifest")
    }

    /// Reads, parses and validates the manifest at `path`; errors name the file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ManifestError::Read { path: path.to_owned(), source })?;
        Self::parse_from(&text, &path.display().to_string())
    }

    /// Parses `text`, naming it `origin` in errors.
    pub(crate) fn parse_from(text: &str, origin: &str) -> Result<Self, ManifestError> {
        let manifest: Self = toml::from_str(text)
            .map_err(|source| ManifestError::Parse { origin: origin.to_owned(), source })?;
        manifest.check(origin)?;
        Ok(manifest)
    }

    /// Validates every field, naming `origin` in the error.
    pub(crate) fn check(&self, origin: &str) -> Result<(), ManifestError> {
        self.validate().map_err(|(field, reason)| ManifestError::Invalid {
            origin: origin.to_owned(),
            field,
            reason,
        })
    }

    /// The manifests built into the binary, default model first.
    ///
    /// Each one is parsed by this crate's tests, so none is ever left out in a released build.
    pub fn builtin() -> Vec<Self> {
        BUILTIN_SOURCES.iter().filter_map(|(origin, text)| Self::parse_from(text, origin).ok()).collect()
    }

    /// The built-in manifest with this id.
    pub fn find_builtin(id: &str) -> Option<Self> {
        Self::builtin().into_iter().find(|manifest| manifest.id == id)
    }

    /// Sum of the published file sizes in bytes (files of unknown size count as 0).
    pub fn total_size(&self) -> u64 {
        self.files.iter().filter_map(|file| file.size).sum()
    }

    /// Whether the manifest's revision is an immutable 40-hex commit.
    pub fn is_pinned(&self) -> bool {
        is_commit(&self.revision)
    }

    /// The revision `file` is fetched at: its own, or the manifest's.
    pub fn revision_of<'a>(&'a self, file: &'a ModelFile) -> &'a str {
        file.revision.as_deref().unwrap_or(&self.revision)
    }

    /// The manifest as TOML, in the same format [`Manifest::parse`] reads.
    pub fn to_toml(&self) -> Result<String, ManifestError> {
        toml::to_string(self).map_err(|source| ManifestError::Serialize { id: self.id.clone(), source })
    }

    /// Checks every field; the error is `(field, reason)`.
    fn validate(&self) -> Result<(), (String, String)> {
        check(
            is_valid_id(&self.id),
            "id",
            "must be letters, digits, '.', '_' or '-', not starting with '.'",
        )?;
        check(!self.name.trim().is_empty(), "name", "must not be empty")?;
        check(is_one_line(&self.description), "description", "must be one non-empty line")?;
        check(is_valid_repo(&self.repo), "repo", "must be `owner/name`")?;
        self.check_revision("revision", &self.revision)?;
        check(!self.license.trim().is_empty(), "license", "must not be empty")?;
        check(self.dims > 0, "dims", "must be positive")?;
        self.validate_space()?;
        check(!self.files.is_empty(), "files", "must list at least one file")?;
        let mut names = HashSet::new();
        for (index, file) in self.files.iter().enumerate() {
            self.validate_file(index, file)?;
            check(names.insert(file.name.as_str()), &format!("files[{index}].name"), "is listed twice")?;
        }
        for (index, file) in self.files.iter().enumerate() {
            let dir = file.name.split_once('/').map(|(dir, _)| dir);
            let clash = dir.is_some_and(|dir| names.contains(dir));
            check(
                !clash,
                &format!("files[{index}].name"),
                "is inside a directory that is also listed as a file",
            )?;
        }
        Ok(())
    }

    /// `space` names an image model, for a text model only.
    fn validate_space(&self) -> Result<(), (String, String)> {
        match (self.kind, self.space.as_deref()) {
            (ModelKind::Clip, None) => Ok(()),
            (ModelKind::Clip, Some(_)) => Err(("space".into(), "is only for kind = \"text\"".into())),
            (ModelKind::Text, None) => Err((
                "space".into(),
                "is required for kind = \"text\": the id of the image model whose vectors it matches".into(),
            )),
            (ModelKind::Text, Some(space)) => {
                check(is_valid_id(space), "space", "must be a model id")?;
                check(space != self.id, "space", "must be another model than this one")
            }
        }
    }

    fn validate_file(&self, index: usize, file: &ModelFile) -> Result<(), (String, String)> {
        let field = |name: &str| format!("files[{index}].{name}");
        check(
            is_valid_file_name(&file.name),
            &field("name"),
            "must be a file name, or one directory and a file name (`2_Dense/model.safetensors`); no `.`-names, `..`, `\\`, empty parts or absolute paths",
        )?;
        if let Some(sha256) = &file.sha256 {
            check(is_sha256(sha256), &field("sha256"), "must be 64 lowercase hex digits")?;
        }
        if let Some(revision) = &file.revision {
            self.check_revision(&field("revision"), revision)?;
        }
        let reason = file.unverified.as_deref().map(str::trim).filter(|reason| !reason.is_empty());
        match (file.is_verified(), reason) {
            (false, None) => Err((field("unverified"), "must say why size or sha256 is missing".into())),
            (true, Some(_)) => {
                Err((field("unverified"), "is set although size and sha256 are both given".into()))
            }
            _ => Ok(()),
        }
    }

    /// A revision is a commit, or a ref whose use `notes` explains.
    fn check_revision(&self, field: &str, revision: &str) -> Result<(), (String, String)> {
        let plausible =
            !revision.is_empty() && !revision.contains("..") && !revision.contains(char::is_whitespace);
        check(plausible, field, "must be a commit or a ref name")?;
        let explained = is_commit(revision) || self.notes.iter().any(|note| !note.trim().is_empty());
        check(explained, field, "is not a 40-hex commit, so `notes` must say why it is unpinned")
    }
}

fn check(ok: bool, field: &str, reason: &str) -> Result<(), (String, String)> {
    if ok { Ok(()) } else { Err((field.to_owned(), reason.to_owned())) }
}

/// A model id doubles as a directory name, so it must be a safe path component.
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn is_valid_repo(repo: &str) -> bool {
    let mut parts = repo.split('/');
    let valid = |part: Option<&str>| {
        part.is_some_and(|part| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        })
    };
    valid(parts.next()) && valid(parts.next()) && parts.next().is_none()
}

/// A file lands in the model directory under this name: a file name or one directory level
/// (`2_Dense/model.safetensors`, as sentence-transformers lays models out), each part a plain
/// name (no dot names, so no `..`; no backslashes; not empty, so not absolute), and none of the
/// names the store itself uses.
pub(crate) fn is_valid_file_name(name: &str) -> bool {
    let plain = |part: &str| !part.is_empty() && !part.starts_with('.') && !part.contains(['\\', '\0']);
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() <= 2
        && parts.iter().all(|part| plain(part))
        && name != crate::store::MANIFEST_FILE
        && !name.ends_with(".part")
}

fn is_one_line(text: &str) -> bool {
    !text.trim().is_empty() && !text.contains(['\n', '\r'])
}

fn is_commit(revision: &str) -> bool {
    revision.len() == 40 && revision.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_escape_the_models_directory_are_invalid() {
        for bad in ["", ".", "..", "../x", "a/b", ".hidden", "a b", "a\\b"] {
            assert!(!is_valid_id(bad), "{bad:?} accepted");
        }
        assert!(is_valid_id("clip-vit-base-patch32"));
        assert!(is_valid_id("my_model.v2"));
    }

    #[test]
    fn repo_must_be_owner_slash_name() {
        assert!(is_valid_repo("openai/clip-vit-base-patch32"));
        for bad in ["openai", "openai/", "/clip", "a/b/c", "a b/c"] {
            assert!(!is_valid_repo(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn file_names_are_plain_names_or_one_directory_deep() {
        for good in
            ["model.safetensors", "2_Dense/model.safetensors", "1_Pooling/config.json", "a/manifest.toml"]
        {
            assert!(is_valid_file_name(good), "{good:?} refused");
        }
        for bad in ["", "..", ".env", "manifest.toml", "x.part", "a\\b", "a/x.part"] {
            assert!(!is_valid_file_name(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn file_names_cannot_climb_out_hide_or_nest_deeper() {
        for bad in [
            "../model.safetensors",
            "a/..",
            "a/../b",
            "./a",
            "a/.",
            "/etc/passwd",
            "/a",
            "a/",
            "a//b",
            "a/b/c",
            "2_Dense\\model.safetensors",
            "a/.hidden",
            ".git/config",
            "a/b\0",
        ] {
            assert!(!is_valid_file_name(bad), "{bad:?} accepted");
        }
    }
}
