//! GET requests for model files: HTTPS only (plain HTTP to loopback for tests and local
//! mirrors), proxies from the environment, redirects followed here so every hop is checked and
//! keeps its `Range` header. A redirect never leaves https:// for http://, except from one
//! loopback host to another.

use std::net::IpAddr;
use std::time::Duration;

use ureq::Agent;
use ureq::http::{Response, Uri, header};

use crate::error::{FetchError, NetworkError};

/// Redirects followed before giving up (the Hub uses one, to its CDN).
const MAX_REDIRECTS: u32 = 10;

/// Connection settings for [`Client`].
pub(crate) struct ClientConfig {
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
}

/// Two agents: one through the proxy the environment names, one direct for loopback hosts
/// (a test server or local mirror must not be sent to a proxy).
pub(crate) struct Client {
    proxied: Agent,
    direct: Agent,
}

/// A response that is not a redirect, and the URL that gave it.
pub(crate) struct Fetched {
    pub(crate) url: String,
    pub(crate) response: Response<ureq::Body>,
}

/// How a request failed.
pub(crate) enum RequestError {
    /// Worth retrying: the network failed.
    Transient(String, NetworkError),
    /// Retrying cannot help.
    Fatal(FetchError),
}

impl Client {
    /// A client with the given timeouts; proxies come from `ALL_PROXY`, `HTTPS_PROXY`,
    /// `HTTP_PROXY` and `NO_PROXY` (upper or lower case).
    pub(crate) fn new(config: &ClientConfig) -> Self {
        Self { proxied: agent(config, ureq::Proxy::try_from_env()), direct: agent(config, None) }
    }

    /// GETs `url`, asking for the bytes from `offset` on when it is not zero, and follows
    /// redirects (re-checking each URL, refusing https:// to http://, re-sending the range).
    pub(crate) fn get(&self, url: &str, offset: u64) -> Result<Fetched, RequestError> {
        follow(url, |url, uri| self.send(url, uri, offset))
    }

    /// One request, without following a redirect; loopback hosts bypass the proxy.
    fn send(&self, url: &str, uri: &Uri, offset: u64) -> Result<Response<ureq::Body>, RequestError> {
        let agent = if is_loopback_uri(uri) { &self.direct } else { &self.proxied };
        let mut request = agent.get(url);
        if offset > 0 {
            request = request.header(header::RANGE, format!("bytes={offset}-"));
        }
        request.call().map_err(|err| classify(url, err))
    }
}

/// Sends `url` and every redirect target in turn, checking each hop before it is sent.
fn follow(
    url: &str,
    mut send: impl FnMut(&str, &Uri) -> Result<Response<ureq::Body>, RequestError>,
) -> Result<Fetched, RequestError> {
    let mut url = url.to_owned();
    for _ in 0..=MAX_REDIRECTS {
        let uri = check_url(&url).map_err(RequestError::Fatal)?;
        let response = send(&url, &uri)?;
        let Some(location) = redirect_target(&response) else {
            return Ok(Fetched { url, response });
        };
        let target = resolve_location(&uri, &location);
        check_redirect(&url, &target).map_err(RequestError::Fatal)?;
        url = target;
    }
    Err(RequestError::Fatal(FetchError::TooManyRedirects { url, max: MAX_REDIRECTS }))
}

fn agent(config: &ClientConfig, proxy: Option<ureq::Proxy>) -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(proxy)
        .user_agent(concat!("photofind/", env!("CARGO_PKG_VERSION")))
        .timeout_connect(Some(config.connect_timeout))
        .timeout_recv_response(Some(config.read_timeout))
        .timeout_per_read(Some(config.read_timeout))
        .build()
        .into()
}

/// Errors about the request itself are final; anything about the network is retried.
fn classify(url: &str, err: ureq::Error) -> RequestError {
    match err {
        ureq::Error::BadUri(_)
        | ureq::Error::Http(_)
        | ureq::Error::InvalidProxyUrl
        | ureq::Error::RedirectFailed => {
            RequestError::Fatal(FetchError::InvalidUrl { url: url.to_owned(), reason: err.to_string() })
        }
        err => RequestError::Transient(url.to_owned(), NetworkError::Request(err)),
    }
}

fn redirect_target(response: &Response<ureq::Body>) -> Option<String> {
    if !response.status().is_redirection() {
        return None;
    }
    response.headers().get(header::LOCATION)?.to_str().ok().map(str::to_owned)
}

/// Accepts `https://` anywhere and `http://` only to this machine.
pub(crate) fn check_url(url: &str) -> Result<Uri, FetchError> {
    let uri: Uri = url.parse().map_err(|err: ureq::http::uri::InvalidUri| FetchError::InvalidUrl {
        url: url.to_owned(),
        reason: err.to_string(),
    })?;
    let Some(host) = uri.host() else {
        return Err(FetchError::InvalidUrl { url: url.to_owned(), reason: "no host".to_owned() });
    };
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if is_loopback_host(host) => Ok(uri),
        Some("http") => Err(FetchError::InsecureUrl { url: url.to_owned() }),
        _ => Err(FetchError::InvalidUrl { url: url.to_owned(), reason: "not an http(s) URL".to_owned() }),
    }
}

/// Refuses a redirect from https:// to http:// unless both ends are loopback hosts (a local
/// mirror); whether `to` may be plain HTTP at all is [`check_url`]'s to say.
fn check_redirect(from: &str, to: &str) -> Result<(), FetchError> {
    // A target that does not parse is left to `check_url`, which names what is wrong with it.
    let (Ok(from_uri), Ok(to_uri)) = (from.parse::<Uri>(), to.parse::<Uri>()) else { return Ok(()) };
    let downgrade = from_uri.scheme_str() == Some("https") && to_uri.scheme_str() == Some("http");
    if downgrade && !(is_loopback_uri(&from_uri) && is_loopback_uri(&to_uri)) {
        return Err(FetchError::InsecureRedirect { from: from.to_owned(), to: to.to_owned() });
    }
    Ok(())
}

fn is_loopback_uri(uri: &Uri) -> bool {
    uri.host().is_some_and(is_loopback_host)
}

/// `localhost`, 127.0.0.0/8 and ::1.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Resolves a `Location` header against the URL that sent it (the Hub sends both absolute
/// CDN URLs and host-relative paths).
fn resolve_location(base: &Uri, location: &str) -> String {
    let scheme = base.scheme_str().unwrap_or("https");
    let authority = base.authority().map(|authority| authority.as_str()).unwrap_or_default();
    if location.contains("://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = base.path();
        let dir = &path[..path.rfind('/').map_or(0, |slash| slash + 1)];
        format!("{scheme}://{authority}{dir}{location}")
    }
}

/// `{endpoint}/{repo}/resolve/{revision}/{file}`, with the revision and file name
/// percent-encoded (a ref such as `refs/pr/10` becomes `refs%2Fpr%2F10`).
pub(crate) fn file_url(endpoint: &str, repo: &str, revision: &str, file: &str) -> String {
    // The revision is one path segment (`refs%2Fpr%2F10`); a file's directory is a real one.
    let file: Vec<String> = file.split('/').map(encode).collect();
    format!("{}/{repo}/resolve/{}/{}", endpoint.trim_end_matches('/'), encode(revision), file.join("/"))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_allowed_anywhere_and_http_only_to_loopback() {
        for ok in [
            "https://huggingface.co/a",
            "https://10.0.0.1/a",
            "http://127.0.0.1:8080/a",
            "http://127.0.0.2/a",
            "http://localhost:1/a",
            "http://LOCALHOST/a",
            "http://[::1]:9/a",
        ] {
            assert!(check_url(ok).is_ok(), "{ok} refused");
        }
        for insecure in
            ["http://huggingface.co/a", "http://10.0.0.1/a", "http://localhost.evil.com/a", "http://[::2]/a"]
        {
            assert!(
                matches!(check_url(insecure), Err(FetchError::InsecureUrl { .. })),
                "{insecure} accepted"
            );
        }
        for invalid in ["ftp://host/a", "huggingface.co/a", "https://"] {
            assert!(matches!(check_url(invalid), Err(FetchError::InvalidUrl { .. })), "{invalid} accepted");
        }
    }

    fn response(status: u16, location: Option<&str>) -> Response<ureq::Body> {
        let mut builder = Response::builder().status(status);
        if let Some(location) = location {
            builder = builder.header(header::LOCATION, location);
        }
        builder.body(ureq::Body::builder().data(Vec::new())).unwrap()
    }

    /// Follows `url` through a fake server that redirects each `(from, to)` pair and answers
    /// 200 elsewhere; returns the final URL (or the refusal) and every URL requested.
    fn follow_fake(url: &str, redirects: &[(&str, &str)]) -> (Result<String, FetchError>, Vec<String>) {
        let mut sent = Vec::new();
        let outcome = follow(url, |url, _| {
            sent.push(url.to_owned());
            let location = redirects.iter().find(|(from, _)| *from == url).map(|(_, to)| *to);
            Ok(response(if location.is_some() { 302 } else { 200 }, location))
        });
        let outcome = outcome.map(|fetched| fetched.url).map_err(|err| match err {
            RequestError::Fatal(err) => err,
            RequestError::Transient(url, cause) => panic!("{url}: {cause}"),
        });
        (outcome, sent)
    }

    #[test]
    fn https_is_never_redirected_to_http_except_between_loopback_hosts() {
        let refused = [
            ("https://hub.example/m", "http://127.0.0.1:9/m"),
            ("https://hub.example/m", "http://localhost/m"),
            ("https://127.0.0.1/m", "http://hub.example/m"),
        ];
        for (from, to) in refused {
            let (outcome, sent) = follow_fake(from, &[(from, to)]);
            assert!(
                matches!(&outcome, Err(FetchError::InsecureRedirect { from: f, to: t }) if f == from && t == to),
                "{from} -> {to}: {:?}",
                outcome.map_err(|err| err.to_string())
            );
            assert_eq!(sent, [from], "the http:// target was requested");
        }
        let followed = [
            ("https://127.0.0.1:8443/m", "http://127.0.0.1:8080/m"),
            ("https://[::1]/m", "http://localhost:8080/m"),
            ("https://hub.example/m", "https://cdn.example/m"),
            ("http://127.0.0.1:8080/m", "http://127.0.0.2:8080/m"),
        ];
        for (from, to) in followed {
            let (outcome, sent) = follow_fake(from, &[(from, to)]);
            assert_eq!(outcome.map_err(|err| err.to_string()), Ok(to.to_owned()), "{from} -> {to}");
            assert_eq!(sent, [from, to]);
        }
    }

    #[test]
    fn a_redirect_to_plain_http_elsewhere_is_refused_before_it_is_sent() {
        let (from, to) = ("http://127.0.0.1:8080/m", "http://hub.example/m");
        let (outcome, sent) = follow_fake(from, &[(from, to)]);
        assert!(
            matches!(&outcome, Err(FetchError::InsecureUrl { url }) if url == to),
            "{:?}",
            outcome.is_ok()
        );
        assert_eq!(sent, [from]);
    }

    #[test]
    fn locations_resolve_against_the_url_that_sent_them() {
        let base: Uri = "https://huggingface.co/openai/x/resolve/main/model.safetensors".parse().unwrap();
        assert_eq!(resolve_location(&base, "https://cdn.example/f?sig=1"), "https://cdn.example/f?sig=1");
        assert_eq!(resolve_location(&base, "//cdn.example/f"), "https://cdn.example/f");
        assert_eq!(
            resolve_location(&base, "/api/resolve-cache/f"),
            "https://huggingface.co/api/resolve-cache/f"
        );
        assert_eq!(resolve_location(&base, "other"), "https://huggingface.co/openai/x/resolve/main/other");
    }

    #[test]
    fn refs_and_file_names_are_percent_encoded() {
        assert_eq!(
            file_url("https://hf.example/", "openai/clip", "refs/pr/10", "model.safetensors"),
            "https://hf.example/openai/clip/resolve/refs%2Fpr%2F10/model.safetensors"
        );
        assert_eq!(encode("a b+c"), "a%20b%2Bc");
        assert_eq!(
            file_url("https://hf.example", "st/m", "main", "2_Dense/model weights.safetensors"),
            "https://hf.example/st/m/resolve/main/2_Dense/model%20weights.safetensors"
        );
    }
}
