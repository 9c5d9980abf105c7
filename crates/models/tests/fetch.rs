//! Downloads against a local HTTP server serving the tiny fixture checkpoint.

mod server;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use photofind_models::{
    FetchError, FetchOptions, MANIFEST_FILE, Manifest, ModelFile, ModelKind, Models, Progress,
    UNSIZED_FILE_CAP, fetch,
};
use server::{Faults, REPO, Server};
use sha2::{Digest, Sha256};

const MODEL: &str = "model.safetensors";
const FILES: [&str; 4] = ["config.json", "preprocessor_config.json", "tokenizer.json", MODEL];
const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models/tiny-p32-quickgelu")
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(fixture_dir().join(name)).expect("fixture file")
}

/// The fixture checkpoint's manifest, with its real sizes and hashes.
fn manifest() -> Manifest {
    let files = FILES
        .iter()
        .map(|name| {
            let bytes = fixture(name);
            let sha256 = Sha256::digest(&bytes).iter().map(|byte| format!("{byte:02x}")).collect();
            ModelFile {
                name: (*name).to_owned(),
                size: Some(bytes.len() as u64),
                sha256: Some(sha256),
                revision: None,
                unverified: None,
            }
        })
        .collect();
    Manifest {
        id: "tiny-p32".to_owned(),
        name: "Tiny CLIP".to_owned(),
        description: "a random 32-dimensional CLIP for tests".to_owned(),
        repo: REPO.to_owned(),
        revision: REVISION.to_owned(),
        license: "test fixture".to_owned(),
        dims: 32,
        kind: ModelKind::Clip,
        space: None,
        notes: Vec::new(),
        files,
    }
}

fn options(server: &Server) -> FetchOptions {
    FetchOptions {
        endpoint: Some(server.endpoint()),
        retries: 3,
        backoff_base: Duration::from_millis(10),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        unsized_file_cap: UNSIZED_FILE_CAP,
    }
}

fn run(manifest: &Manifest, models: &Models, options: &FetchOptions) -> Result<PathBuf, FetchError> {
    fetch(manifest, models, options, &AtomicBool::new(false), &mut |_| {})
}

fn serve(faults: Faults) -> Server {
    Server::serving_dir(&fixture_dir(), faults)
}

fn part_path(models: &Models, name: &str) -> PathBuf {
    models.download_dir("tiny-p32").expect("a valid id").join(format!("{name}.part"))
}

fn assert_installed(models: &Models, path: &Path) {
    assert_eq!(path, models.root().join("tiny-p32"));
    for name in FILES {
        assert!(
            fs::read(path.join(name)).expect("installed file") == fixture(name),
            "{name} differs from the fixture"
        );
    }
    let installed = Manifest::load(&path.join(MANIFEST_FILE)).expect("installed manifest");
    assert_eq!(installed, manifest());
    assert!(!models.root().join(".partial").exists(), "download directory left behind");
}

/// The `N` of a `Range: bytes=N-` header.
fn range_start(range: Option<&str>) -> Option<u64> {
    range?.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok()
}

#[test]
fn a_fresh_download_installs_a_byte_identical_model() {
    let server = serve(Faults::default());
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());

    let path = run(&manifest(), &models, &options(&server)).unwrap();

    assert_installed(&models, &path);
    let ids: Vec<_> = models.installed().unwrap().into_iter().map(|model| model.id).collect();
    assert_eq!(ids, ["tiny-p32"]);
    assert_eq!(server.requests().len(), FILES.len(), "one request per file");
}

#[test]
fn a_cut_off_download_resumes_with_a_range_request() {
    let cut = 1_000_000;
    let server = serve(Faults { cut_once: Some((MODEL.into(), cut)), ..Faults::default() });
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());

    let path = run(&manifest(), &models, &options(&server)).unwrap();

    assert_installed(&models, &path);
    let requests = server.requests_for(MODEL);
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!((requests[0].range.as_deref(), requests[0].body_sent), (None, cut));
    assert_eq!(range_start(requests[1].range.as_deref()), Some(cut), "resumed where the cut happened");
    assert_eq!(requests[1].status, 206);
    let whole = fixture(MODEL).len() as u64;
    assert_eq!(requests[1].body_sent, whole - cut, "only the missing bytes were sent again");
}

#[test]
fn a_server_ignoring_the_range_makes_the_download_start_over() {
    let faults = Faults { cut_once: Some((MODEL.into(), 500_000)), ignore_range: true, ..Faults::default() };
    let server = serve(faults);
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());

    let path = run(&manifest(), &models, &options(&server)).unwrap();

    assert_installed(&models, &path);
    let requests = server.requests_for(MODEL);
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests[1].range.is_some());
    assert_eq!((requests[1].status, requests[1].body_sent), (200, fixture(MODEL).len() as u64));
}

#[test]
fn a_corrupted_byte_is_a_checksum_error_and_nothing_is_installed() {
    let server = serve(Faults { corrupt: Some((MODEL.into(), 123_456)), ..Faults::default() });
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    let manifest = manifest();

    let err = run(&manifest, &models, &options(&server)).unwrap_err();

    let FetchError::ChecksumMismatch { file, expected, actual } = &err else {
        panic!("not a checksum error: {err}")
    };
    assert_eq!(file, MODEL);
    assert_eq!(Some(expected), manifest.files[3].sha256.as_ref());
    assert_ne!(actual, expected);
    let message = err.to_string();
    assert!(message.contains(MODEL) && message.contains(expected) && message.contains(actual), "{message}");
    assert!(!models.root().join("tiny-p32").exists(), "a model directory was created");
    assert!(models.installed().unwrap().is_empty());
    assert!(!part_path(&models, MODEL).exists(), "the bad .part was kept");
    assert!(!models.download_dir("tiny-p32").unwrap().join(MODEL).exists());
}

#[test]
fn not_found_names_the_url_and_is_not_retried() {
    let server = serve(Faults { not_found: true, ..Faults::default() });
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    let options = FetchOptions { retries: 5, ..options(&server) };

    let err = run(&manifest(), &models, &options).unwrap_err();

    let expected_url = format!("{}/{REPO}/resolve/{REVISION}/config.json", server.endpoint());
    assert!(
        matches!(&err, FetchError::HttpStatus { url, status: 404, attempts: 1 } if *url == expected_url),
        "{err:?}"
    );
    assert!(err.to_string().contains(&expected_url), "{err}");
    assert_eq!(server.requests().len(), 1, "a 404 was retried");
    assert!(models.installed().unwrap().is_empty());
}

#[test]
fn a_503_is_retried() {
    let server = serve(Faults { fail_once: Some((MODEL.into(), 503)), ..Faults::default() });
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());

    let path = run(&manifest(), &models, &options(&server)).unwrap();

    assert_installed(&models, &path);
    let statuses: Vec<_> = server.requests_for(MODEL).iter().map(|request| request.status).collect();
    assert_eq!(statuses, [503, 200]);
}

#[test]
fn a_server_gone_mid_file_keeps_the_part_for_a_later_resume() {
    let sent = 500_000;
    let dying = serve(Faults { die: Some((MODEL.into(), sent)), ..Faults::default() });
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    let options = FetchOptions { retries: 2, ..options(&dying) };

    let err = run(&manifest(), &models, &options).unwrap_err();

    assert!(matches!(&err, FetchError::Network { file, attempts: 3, .. } if file == MODEL), "{err:?}");
    assert_eq!(dying.requests_for(MODEL).len(), 1, "the server answered after it died");
    assert_eq!(fs::metadata(part_path(&models, MODEL)).unwrap().len(), sent);
    assert!(models.installed().unwrap().is_empty());

    let healthy = serve(Faults::default());
    let path = run(&manifest(), &models, &self::options(&healthy)).unwrap();

    assert_installed(&models, &path);
    let requests = healthy.requests_for(MODEL);
    assert_eq!(requests.len(), 1);
    assert_eq!(range_start(requests[0].range.as_deref()), Some(sent));
    assert!(healthy.requests_for("config.json").is_empty(), "a verified file was downloaded again");
}

#[test]
fn a_redirect_is_followed_with_the_range_intact() {
    let cut = 700_000;
    let faults = Faults { redirect: true, cut_once: Some((MODEL.into(), cut)), ..Faults::default() };
    let server = serve(faults);
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());

    let path = run(&manifest(), &models, &options(&server)).unwrap();

    assert_installed(&models, &path);
    let requests = server.requests_for(MODEL);
    let hops: Vec<_> = requests.iter().map(|r| (r.path.starts_with("/cdn/"), r.status)).collect();
    assert_eq!(hops, [(false, 302), (true, 200), (false, 302), (true, 206)], "{requests:?}");
    assert_eq!(range_start(requests[2].range.as_deref()), Some(cut));
    assert_eq!(range_start(requests[3].range.as_deref()), Some(cut), "the range was dropped on redirect");
}

#[test]
fn a_redirect_to_plain_http_on_another_host_is_refused() {
    let target = "http://example.com/cdn/model.safetensors";
    let server = serve(Faults { redirect_to: Some(target.into()), ..Faults::default() });
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());

    let err = run(&manifest(), &models, &options(&server)).unwrap_err();

    assert!(matches!(&err, FetchError::InsecureUrl { url } if url == target), "{err:?}");
    assert_eq!(server.requests().len(), 1, "the refusal was retried");
    assert!(models.installed().unwrap().is_empty());
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    let options = FetchOptions { endpoint: Some("http://example.com".into()), ..FetchOptions::default() };

    let err = run(&manifest(), &models, &options).unwrap_err();

    assert!(
        matches!(&err, FetchError::InsecureUrl { url } if url.starts_with("http://example.com/")),
        "{err:?}"
    );
    assert!(err.to_string().contains("https://"), "{err}");
    assert!(models.installed().unwrap().is_empty());
}

#[test]
fn cancelling_keeps_what_arrived_and_the_next_fetch_resumes() {
    let server = serve(Faults::default());
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    let cancel = AtomicBool::new(false);

    // The first report comes after the first chunk of config.json, the whole 1125-byte file.
    let err = fetch(&manifest(), &models, &options(&server), &cancel, &mut |_| {
        cancel.store(true, Ordering::SeqCst)
    })
    .unwrap_err();

    assert!(matches!(&err, FetchError::Cancelled { id } if id == "tiny-p32"), "{err:?}");
    assert_eq!(fs::read(part_path(&models, "config.json")).unwrap(), fixture("config.json"));
    assert!(models.installed().unwrap().is_empty());

    let requests_before = server.requests_for("config.json").len();
    let path = run(&manifest(), &models, &options(&server)).unwrap();

    assert_installed(&models, &path);
    assert_eq!(
        server.requests_for("config.json").len(),
        requests_before,
        "a complete .part was fetched again"
    );
}

#[test]
fn an_installed_model_is_not_downloaded_again() {
    let server = serve(Faults::default());
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    run(&manifest(), &models, &options(&server)).unwrap();
    let requests = server.requests().len();

    let path = run(&manifest(), &models, &options(&server)).unwrap();

    assert_installed(&models, &path);
    assert_eq!(server.requests().len(), requests);
}

#[test]
fn another_revision_replaces_the_installed_model() {
    let server = serve(Faults::default());
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    run(&manifest(), &models, &options(&server)).unwrap();
    let newer = Manifest { revision: "fedcba9876543210fedcba9876543210fedcba98".into(), ..manifest() };

    let path = run(&newer, &models, &options(&server)).unwrap();

    assert_eq!(Manifest::load(&path.join(MANIFEST_FILE)).unwrap().revision, newer.revision);
    let entries: Vec<_> =
        fs::read_dir(models.root()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(entries, ["tiny-p32"], "the old install or the download directory was left behind");
    let newer_requests =
        server.requests().iter().filter(|request| request.path.contains(&newer.revision)).count();
    assert_eq!(newer_requests, FILES.len());
}

#[test]
fn progress_reaches_the_total_at_a_bounded_pace() {
    let server = serve(Faults::default());
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    let manifest = manifest();
    let mut reports: Vec<Progress> = Vec::new();
    let started = Instant::now();

    fetch(&manifest, &models, &options(&server), &AtomicBool::new(false), &mut |p| reports.push(p.clone()))
        .unwrap();

    let elapsed_tenths = started.elapsed().as_millis() as usize / 100;
    assert!(
        reports.len() <= elapsed_tenths + 2,
        "{} reports in {elapsed_tenths} tenths of a second",
        reports.len()
    );
    assert!(reports.windows(2).all(|pair| pair[0].done <= pair[1].done), "progress went backwards");
    let last = reports.last().unwrap();
    assert_eq!((last.done, last.total), (manifest.total_size(), manifest.total_size()));
    assert!(last.rate > 0);
    assert_eq!(last.eta_secs, Some(0));
}

#[test]
fn a_file_of_unpublished_size_is_checked_by_its_hash_and_counted_once_it_arrives() {
    let server = serve(Faults::default());
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    let manifest = manifest_without_model_size();
    let mut last = None;

    let path = fetch(&manifest, &models, &options(&server), &AtomicBool::new(false), &mut |p| {
        last = Some(p.clone())
    })
    .unwrap();

    assert_eq!(fs::read(path.join(MODEL)).unwrap(), fixture(MODEL));
    let whole: u64 = FILES.iter().map(|name| fixture(name).len() as u64).sum();
    let last = last.unwrap();
    assert_eq!((last.done, last.total), (whole, whole));
}

/// The fixture manifest with the model's size left out, as for a checkpoint whose size is not
/// published.
fn manifest_without_model_size() -> Manifest {
    let mut manifest = manifest();
    manifest.files[3].size = None;
    manifest.files[3].unverified = Some("size unpublished".into());
    manifest
}

#[test]
fn a_file_of_unpublished_size_past_the_cap_is_refused_and_deleted() {
    let server = serve(Faults::default());
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    let cap = 200_000;
    let options = FetchOptions { unsized_file_cap: cap, ..options(&server) };

    let err = run(&manifest_without_model_size(), &models, &options).unwrap_err();

    let FetchError::TooLarge { file, cap: reported, received } = &err else {
        panic!("not a size cap error: {err:?}")
    };
    assert_eq!((file.as_str(), *reported), (MODEL, cap));
    assert!(*received > cap && *received < fixture(MODEL).len() as u64, "received {received}");
    let message = err.to_string();
    assert!(message.contains(MODEL) && message.contains(&cap.to_string()), "{message}");
    assert!(message.contains(&received.to_string()), "{message}");
    assert!(!part_path(&models, MODEL).exists(), "the oversized .part was kept");
    assert_eq!(server.requests_for(MODEL).len(), 1, "an oversized file was retried");
    assert!(models.installed().unwrap().is_empty());
}

#[test]
fn files_of_published_size_are_not_held_to_the_unsized_cap() {
    let server = serve(Faults::default());
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    let options = FetchOptions { unsized_file_cap: 1, ..options(&server) };

    let path = run(&manifest(), &models, &options).unwrap();

    assert_installed(&models, &path);
}

#[test]
fn a_complete_file_of_the_wrong_size_fails_at_once() {
    let served = 1_000_000;
    let expected = fixture(MODEL).len() as u64;
    // (bytes an earlier run left in the .part, the status the short file is served with)
    for (resumed, status) in [(0, 200), (400_000, 206)] {
        let server = serve(Faults { wrong_size: Some((MODEL.into(), served)), ..Faults::default() });
        let data = tempfile::tempdir().unwrap();
        let models = Models::new(data.path());
        let earlier = &fixture(MODEL)[..resumed];
        fs::create_dir_all(models.download_dir("tiny-p32").unwrap()).unwrap();
        fs::write(part_path(&models, MODEL), earlier).unwrap();
        let options = FetchOptions { retries: 5, ..options(&server) };

        let err = run(&manifest(), &models, &options).unwrap_err();

        assert!(
            matches!(&err, FetchError::ServedSizeMismatch { file, served: s, expected: e, .. }
                if file == MODEL && *s == served as u64 && *e == expected),
            "{status}: {err:?}"
        );
        let message = err.to_string();
        let says = format!("{MODEL}: the server's file is {served} bytes, the manifest says {expected}");
        assert!(message.contains(&says), "{message}");
        let statuses: Vec<_> = server.requests_for(MODEL).iter().map(|request| request.status).collect();
        assert_eq!(statuses, [status], "a wrong-size file was retried");
        assert!(fs::read(part_path(&models, MODEL)).unwrap() == earlier, "the earlier bytes were lost");
        assert!(models.installed().unwrap().is_empty());
    }
}

/// A model laid out as sentence-transformers lays them out (`1_Pooling/config.json`,
/// `2_Dense/model.safetensors`) downloads into the same directories.
mod subdirectories {
    use std::collections::HashMap;

    use super::*;

    const ID: &str = "tiny-multilingual";
    const FILES: [&str; 8] = [
        "config.json",
        "modules.json",
        "sentence_bert_config.json",
        "tokenizer.json",
        "1_Pooling/config.json",
        "2_Dense/config.json",
        "2_Dense/model.safetensors",
        "model.safetensors",
    ];

    fn fixture_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models").join(ID)
    }

    /// The fixture's files by their names in the manifest, `2_Dense/model.safetensors` included.
    fn served_files() -> HashMap<String, Vec<u8>> {
        FILES
            .iter()
            .map(|name| ((*name).to_owned(), fs::read(fixture_dir().join(name)).expect("fixture")))
            .collect()
    }

    fn manifest() -> Manifest {
        let files = served_files();
        let files = FILES
            .iter()
            .map(|name| {
                let bytes = &files[*name];
                ModelFile {
                    name: (*name).to_owned(),
                    size: Some(bytes.len() as u64),
                    sha256: Some(Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()),
                    revision: None,
                    unverified: None,
                }
            })
            .collect();
        Manifest {
            id: ID.to_owned(),
            name: "Tiny multilingual".to_owned(),
            description: "a random text-only model for tests".to_owned(),
            repo: REPO.to_owned(),
            revision: "0123456789abcdef0123456789abcdef01234567".to_owned(),
            license: "test fixture".to_owned(),
            dims: 32,
            kind: ModelKind::Text,
            space: Some("tiny-p32".to_owned()),
            notes: Vec::new(),
            files,
        }
    }

    #[test]
    fn files_in_subdirectories_are_fetched_into_them() {
        let server = Server::start(served_files(), Faults::default());
        let data = tempfile::tempdir().unwrap();
        let models = Models::new(data.path());

        let path =
            fetch(&manifest(), &models, &options(&server), &AtomicBool::new(false), &mut |_| {}).unwrap();

        for name in FILES {
            assert!(fs::read(path.join(name)).unwrap() == served_files()[name], "{name} differs");
        }
        let requested: Vec<_> = server.requests().iter().map(|request| request.path.clone()).collect();
        assert!(requested.iter().any(|p| p.ends_with("/2_Dense/model.safetensors")), "{requested:?}");
        assert_eq!(Manifest::load(&path.join(MANIFEST_FILE)).unwrap(), manifest());
        let installed = models.installed().unwrap();
        assert_eq!((installed[0].kind, installed[0].space.as_deref()), (ModelKind::Text, Some("tiny-p32")));
    }

    #[test]
    fn strays_are_removed_inside_subdirectories_too_but_listed_files_stay() {
        let server = Server::start(served_files(), Faults::default());
        let data = tempfile::tempdir().unwrap();
        let models = Models::new(data.path());
        let partial = models.download_dir(ID).unwrap();
        fs::create_dir_all(partial.join("2_Dense")).unwrap();
        fs::create_dir_all(partial.join("3_Old")).unwrap();
        fs::write(partial.join("2_Dense/pytorch_model.bin"), b"an older manifest's file").unwrap();
        fs::write(partial.join("3_Old/config.json"), b"{}").unwrap();
        // Put there by hand: checked and used, not downloaded.
        fs::write(partial.join("1_Pooling.json"), b"stray").unwrap();
        fs::create_dir_all(partial.join("1_Pooling")).unwrap();
        fs::copy(fixture_dir().join("1_Pooling/config.json"), partial.join("1_Pooling/config.json")).unwrap();

        let path =
            fetch(&manifest(), &models, &options(&server), &AtomicBool::new(false), &mut |_| {}).unwrap();

        assert!(!path.join("2_Dense/pytorch_model.bin").exists());
        assert!(!path.join("3_Old").exists());
        assert!(!path.join("1_Pooling.json").exists());
        assert!(path.join("2_Dense/model.safetensors").is_file());
        let pooling_requests = server.requests().iter().filter(|r| r.path.contains("1_Pooling")).count();
        assert_eq!(pooling_requests, 0, "the file put there by hand was downloaded again");
    }
}
