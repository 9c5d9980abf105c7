//! Paths as the OS gives them, in and out of JSON.
//!
//! A Unix file name is any bytes but `/` and NUL: Latin-1 names from old
//! archives and Shift-JIS names from old cameras are not UTF-8, and JSON
//! strings must be. Every path photofind writes as JSON (the index's
//! records, `service.json`, `--json` output, the desktop page's payloads)
//! goes through [`serde`]:
//!
//! - a path that is valid UTF-8 is a plain string: `"/photos/a.jpg"`;
//! - any other path is an object with its exact bytes in standard base64
//!   and a lossy form for showing (invalid bytes become U+FFFD):
//!   `{"bytes": "L3Bob3Rvcy9iYWT/bmFtZS5qcGc=", "lossy": "/photos/bad\u{fffd}name.jpg"}`.
//!
//! Both read back to the same bytes, so the index round-trips every path
//! byte for byte, and a script can always recover the real name.
//!
//! ```
//! use std::path::PathBuf;
//! use photofind_core::paths::JsonPath;
//!
//! let plain = serde_json::to_string(&JsonPath(PathBuf::from("/p/a.jpg"))).unwrap();
//! assert_eq!(plain, r#""/p/a.jpg""#);
//! let back: JsonPath = serde_json::from_str(&plain).unwrap();
//! assert_eq!(back.0, PathBuf::from("/p/a.jpg"));
//! ```

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use ::serde::{Deserialize, Deserializer, Serialize, Serializer};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A path that serializes as [`serde`] says (for use outside a struct).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JsonPath(pub PathBuf);

impl Serialize for JsonPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde::serialize(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::deserialize(deserializer).map(JsonPath)
    }
}

/// How a path is shown to a person: lossy where it is not UTF-8.
pub fn display(path: &Path) -> Cow<'_, str> {
    path.to_string_lossy()
}

/// The path's exact bytes.
pub fn bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// The path with these exact bytes.
#[cfg(unix)]
pub fn from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(OsString::from_vec(bytes))
}

/// The path with these bytes (lossy where the platform's paths are Unicode).
#[cfg(not(unix))]
pub fn from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// The base64 of a path's bytes, as its JSON object form carries them.
pub fn to_base64(path: &Path) -> String {
    STANDARD.encode(bytes(path))
}

/// The path whose bytes `text` carries in base64.
pub fn from_base64(text: &str) -> Result<PathBuf, base64::DecodeError> {
    STANDARD.decode(text).map(from_bytes)
}

/// The two JSON forms of a path.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Form<'a> {
    Text(Cow<'a, str>),
    Bytes { bytes: String, lossy: Option<String> },
}

/// `#[serde(with = "photofind_core::paths::serde")]` for a `PathBuf` field.
pub mod serde {
    use super::*;

    /// Writes `path` as a string, or as `{"bytes", "lossy"}` when it is not UTF-8.
    pub fn serialize<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
        match path.to_str() {
            Some(text) => Form::Text(Cow::Borrowed(text)).serialize(serializer),
            None => Form::Bytes { bytes: to_base64(path), lossy: Some(display(path).into_owned()) }
                .serialize(serializer),
        }
    }

    /// Reads either form back to the exact path.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
        match Form::deserialize(deserializer)? {
            Form::Text(text) => Ok(PathBuf::from(text.into_owned())),
            Form::Bytes { bytes, .. } => from_base64(&bytes)
                .map_err(|e| <D::Error as ::serde::de::Error>::custom(format!("a path's base64 bytes: {e}"))),
        }
    }
}

/// Like [`serde`], for `Vec<PathBuf>`.
pub mod serde_vec {
    use super::*;

    /// Writes each path as [`serde`](super::serde) does.
    pub fn serialize<S: Serializer>(paths: &[PathBuf], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(paths.iter().map(|p| JsonPath(p.clone())))
    }

    /// Reads each path back.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<PathBuf>, D::Error> {
        Ok(Vec::<JsonPath>::deserialize(deserializer)?.into_iter().map(|p| p.0).collect())
    }
}

/// Like [`serde`], for `Option<PathBuf>`.
pub mod serde_opt {
    use super::*;

    /// Writes the path as [`serde`](super::serde) does, or `null`.
    pub fn serialize<S: Serializer>(path: &Option<PathBuf>, serializer: S) -> Result<S::Ok, S::Error> {
        path.as_ref().map(|p| JsonPath(p.clone())).serialize(serializer)
    }

    /// Reads the path back, or `None` for `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
        Ok(Option::<JsonPath>::deserialize(deserializer)?.map(|p| p.0))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn round_trip(path: &Path) -> (String, PathBuf) {
        let json = serde_json::to_string(&JsonPath(path.to_owned())).expect("serializes");
        let back: JsonPath = serde_json::from_str(&json).expect("parses");
        (json, back.0)
    }

    #[test]
    fn every_name_round_trips_byte_for_byte() {
        let names: &[&[u8]] = &[
            b"/p/plain.jpg",
            b"/p/bad\xffname.jpg",                  // Latin-1
            b"/p/\x83n\x83C\x83L\x83\x93\x83O.jpg", // Shift-JIS
            b"/p/line\nbreak.jpg",
            b"/p/colon: space.jpg",
            b"/p/-leading-dash.jpg",
            "/p/caf\u{e9}.jpg".as_bytes(),
        ];
        for &name in names {
            let path = from_bytes(name.to_vec());
            let (json, back) = round_trip(&path);
            assert_eq!(bytes(&back), name, "{json}");
        }
    }

    #[test]
    fn utf8_is_a_string_and_other_bytes_an_object() {
        let (json, _) = round_trip(Path::new("/p/caf\u{e9}.jpg"));
        assert_eq!(json, "\"/p/caf\u{e9}.jpg\"");
        let (json, _) = round_trip(&from_bytes(b"/p/bad\xffname.jpg".to_vec()));
        assert_eq!(
            json,
            r#"{"bytes":"L3AvYmFk/25hbWUuanBn","lossy":"/p/bad\ufffdname.jpg"}"#
                .replace("\\ufffd", "\u{fffd}")
        );
    }

    #[test]
    fn bad_base64_is_an_error_not_a_path() {
        assert!(serde_json::from_str::<JsonPath>(r#"{"bytes":"!!"}"#).is_err());
    }
}
