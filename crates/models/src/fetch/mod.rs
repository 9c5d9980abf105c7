//! Downloading a model from the Hugging Face Hub (or a mirror) into the models directory.
//!
//! Files are assembled in `models/.partial/<id>/`: each arrives as `<name>.part`, resumed with
//! an HTTP range after an interruption, and is renamed to `<name>` once its size and SHA-256
//! match the manifest. When every file is there, `manifest.toml` is written and the directory
//! is renamed to `models/<id>` in one step, so a half-downloaded model never looks installed.
//!
//! A server cannot make a download write without end ([`FetchOptions::unsized_file_cap`]),
//! downgrade it from https:// to http:// by a redirect, or keep it retrying a file of the wrong
//! size.

mod download;
mod http;
mod part;
mod progress;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub use progress::Progress;

use crate::error::FetchError;
use crate::manifest::Manifest;
use crate::store::{MANIFEST_FILE, Models, write_atomically};
use download::Job;
use http::{Client, ClientConfig};
use progress::Tracker;

/// Where models come from when neither [`FetchOptions::endpoint`] nor `HF_ENDPOINT` is set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Default [`FetchOptions::unsized_file_cap`]: 4 GiB, above every CLIP checkpoint in use
/// (ViT-L/14's safetensors is 1.7 GB, ViT-H/14's 3.9 GB) yet short of filling a disk.
pub const UNSIZED_FILE_CAP: u64 = 4 << 30;

/// How to download.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Base URL of the Hub; `None` means `HF_ENDPOINT`, else [`DEFAULT_ENDPOINT`].
    pub endpoint: Option<String>,
    /// Further attempts after a network failure, a timeout, a 5xx, 408 or 429, or a body cut
    /// off short of the length the server announced. Other 4xx answers, and a complete file
    /// of another size than the manifest's ([`FetchError::ServedSizeMismatch`]), are never
    /// retried.
    pub retries: u32,
    /// Wait before the first retry; it doubles after each one (at most a minute).
    pub backoff_base: Duration,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest wait for the response headers, and for each read of the body.
    pub read_timeout: Duration,
    /// Most bytes accepted for a file whose size the manifest does not publish, whatever the
    /// server announces; past it the download fails with [`FetchError::TooLarge`] and its part
    /// is deleted. Files of published size never take more than that size.
    pub unsized_file_cap: u64,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            endpoint: None,
            retries: 5,
            backoff_base: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            unsized_file_cap: UNSIZED_FILE_CAP,
        }
    }
}

impl FetchOptions {
    /// The endpoint downloads go to: the option, else `HF_ENDPOINT`, else [`DEFAULT_ENDPOINT`].
    pub fn resolved_endpoint(&self) -> String {
        choose_endpoint(self.endpoint.as_deref(), std::env::var("HF_ENDPOINT").ok().as_deref())
    }
}

fn choose_endpoint(option: Option<&str>, env: Option<&str>) -> String {
    let endpoint = [option, env].into_iter().flatten().map(str::trim).find(|endpoint| !endpoint.is_empty());
    endpoint.unwrap_or(DEFAULT_ENDPOINT).trim_end_matches('/').to_owned()
}

/// Downloads, verifies and installs `manifest`'s model; returns its directory.
///
/// A model already installed with the same manifest is returned without any request. Files a
/// failed or cancelled run left behind are resumed. `on_progress` is called at most ten times a
/// second while bytes arrive, and once at the end. Setting `cancel` stops the download between
/// two chunks with [`FetchError::Cancelled`]; what was received is kept for the next run.
pub fn fetch(
    manifest: &Manifest,
    models: &Models,
    options: &FetchOptions,
    cancel: &AtomicBool,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<PathBuf, FetchError> {
    manifest.check(&manifest.id)?;
    let last_file = manifest.files.last().map(|file| file.name.as_str()).unwrap_or_default();
    let mut tracker = Tracker::new(manifest.total_size(), on_progress);
    if let Some(path) = installed_as(models, manifest) {
        tracker.file_done(manifest.total_size());
        tracker.finish(last_file);
        return Ok(path);
    }
    let dir = crate::store::download_dir(models.root(), &manifest.id);
    fs::create_dir_all(&dir).map_err(FetchError::io(&dir))?;
    let config =
        ClientConfig { connect_timeout: options.connect_timeout, read_timeout: options.read_timeout };
    let mut job = Job { client: Client::new(&config), options, cancel, tracker, dir: &dir, id: &manifest.id };
    let endpoint = options.resolved_endpoint();
    for file in &manifest.files {
        let url = http::file_url(&endpoint, &manifest.repo, manifest.revision_of(file), &file.name);
        job.fetch_file(file, &url)?;
    }
    let path = install(models, manifest, &dir)?;
    job.tracker.finish(last_file);
    Ok(path)
}

/// The model's directory if it is installed from this very manifest.
fn installed_as(models: &Models, manifest: &Manifest) -> Option<PathBuf> {
    let path = models.path(&manifest.id)?;
    let installed = Manifest::load(&path.join(MANIFEST_FILE)).ok()?;
    (installed == *manifest).then_some(path)
}

/// Writes the manifest into the assembled directory, then renames it into place, replacing an
/// earlier install of the same id.
fn install(models: &Models, manifest: &Manifest, dir: &Path) -> Result<PathBuf, FetchError> {
    remove_strays(manifest, dir)?;
    let manifest_path = dir.join(MANIFEST_FILE);
    write_atomically(&manifest_path, manifest.to_toml()?.as_bytes())
        .map_err(FetchError::io(&manifest_path))?;
    let target = models.root().join(&manifest.id);
    let retired = models.retired_dir(&manifest.id);
    if target.exists() {
        // Two renames: a directory cannot be renamed over a non-empty one.
        remove_dir_if_exists(&retired)?;
        fs::rename(&target, &retired).map_err(FetchError::io(&target))?;
    }
    fs::rename(dir, &target).map_err(FetchError::io(&target))?;
    remove_dir_if_exists(&retired)?;
    // Leave no empty `.partial` behind; one still holding other downloads stays.
    if let Some(partial_root) = dir.parent() {
        let _ = fs::remove_dir(partial_root);
    }
    Ok(target)
}

/// Removes files of the assembled directory that the manifest does not list (left by a run
/// of an older manifest), so the installed directory holds exactly the model; directories the
/// manifest's names go through are kept, and cleaned the same way.
fn remove_strays(manifest: &Manifest, dir: &Path) -> Result<(), FetchError> {
    let names: Vec<&str> = manifest.files.iter().map(|file| file.name.as_str()).collect();
    remove_strays_in(&names, dir, "")
}

/// Removes what `dir` (at `prefix` inside the model, `""` or `2_Dense/`) holds that no name in
/// `names` is or goes through.
fn remove_strays_in(names: &[&str], dir: &Path, prefix: &str) -> Result<(), FetchError> {
    for entry in fs::read_dir(dir).map_err(FetchError::io(dir))? {
        let entry = entry.map_err(FetchError::io(dir))?;
        let path = entry.path();
        let relative = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let inner = format!("{relative}/");
        if path.is_dir() && names.iter().any(|name| name.starts_with(&inner)) {
            remove_strays_in(names, &path, &inner)?;
        } else if !names.contains(&relative.as_str()) {
            let removed = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            removed.map_err(FetchError::io(&path))?;
        }
    }
    Ok(())
}

fn remove_dir_if_exists(path: &Path) -> Result<(), FetchError> {
    match fs::remove_dir_all(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(FetchError::io(path)(err)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_prefers_the_option_then_hf_endpoint_then_the_hub() {
        assert_eq!(
            choose_endpoint(Some("https://mirror.example/"), Some("https://env.example")),
            "https://mirror.example"
        );
        assert_eq!(choose_endpoint(None, Some("https://env.example/")), "https://env.example");
        assert_eq!(choose_endpoint(None, Some("  ")), DEFAULT_ENDPOINT);
        assert_eq!(choose_endpoint(None, None), DEFAULT_ENDPOINT);
    }
}
