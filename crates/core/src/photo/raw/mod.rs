//! RAW camera files, read through the JPEG preview the camera embeds in them.
//!
//! Search needs what a photo shows, not the sensor's mosaic: nearly every
//! camera writes its own rendering of the shot into the RAW file as a JPEG,
//! often at full size, and decoding that is fast and close to what the
//! photographer saw. This module only finds that JPEG, the RAW's own
//! orientation and its capture date; decoding the JPEG is the JPEG path's job.
//!
//! Containers: TIFF-based RAWs (DNG, CR2, NEF, ARW, PEF, ORF, RW2 and others
//! laid out the same way), Canon CR3 (ISO base media) and Fujifilm RAF. Every
//! offset is checked against the file's length and the IFDs visited are
//! capped, so a damaged or hostile file is an error: never a panic, a loop or
//! an allocation its bytes ask for.

/// IFDs visited in one file at most: cameras write fewer than ten, and a loop
/// or a fan of bogus SubIFD pointers stops here.
const MAX_IFDS: usize = 64;

const JPG_FROM_RAW: u16 = 0x002e; // Panasonic RW2: the whole JPEG as one UNDEFINED value
const COMPRESSION: u16 = 0x0103;
const PHOTOMETRIC: u16 = 0x0106;
const MAKE: u16 = 0x010f;
const STRIP_OFFSETS: u16 = 0x0111;
const ORIENTATION: u16 = 0x0112;
const STRIP_BYTE_COUNTS: u16 = 0x0117;
const DATE_TIME: u16 = 0x0132;
const SUB_IFDS: u16 = 0x014a;
const JPEG_OFFSET: u16 = 0x0201;
const JPEG_LENGTH: u16 = 0x0202;
const EXIF_IFD: u16 = 0x8769;
const DATE_TIME_ORIGINAL: u16 = 0x9003;
const MAKER_NOTE: u16 = 0x927c;
const OLYMPUS_CAMERA_SETTINGS: u16 = 0x2020;
const OLYMPUS_PREVIEW_START: u16 = 0x0101;
const OLYMPUS_PREVIEW_LENGTH: u16 = 0x0102;
const DNG_VERSION: u16 = 0xc612;

/// PhotometricInterpretation of sensor data (CFA, LinearRaw): never a preview.
const SENSOR_PHOTOMETRIC: [u32; 2] = [32803, 34892];

const RAF_MAGIC: &[u8] = b"FUJIFILMCCD-RAW";
/// The uuid box in a CR3's `moov` holding Canon's metadata and `THMB`.
const CR3_CANON_UUID: [u8; 16] = *b"\x85\xc0\xb6\x87\x82\x0f\x11\xe0\x81\x11\xf4\xce\x46\x2b\x6a\x48";
/// The top-level uuid box of a CR3 holding the `PRVW` JPEG.
const CR3_PREVIEW_UUID: [u8; 16] = *b"\xea\xf4\x2b\x5e\x1c\x98\x4b\x88\xb9\xfb\xb7\xdc\x40\x6e\x4d\x16";

/// The embedded JPEG chosen to stand in for a RAW photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Preview<'a> {
    /// The JPEG, a slice of the RAW file's bytes.
    pub jpeg: &'a [u8],
    /// Width as the JPEG's frame header declares it, before orientation.
    pub width: u32,
    /// Height as the JPEG's frame header declares it, before orientation.
    pub height: u32,
    /// The EXIF orientation (1..=8) that makes the JPEG upright: the RAW's
    /// own (IFD0, a CR3's CMT1), else the JPEG's EXIF, else 1. Apply this one
    /// and not the JPEG's tag as well: cameras store the preview as the
    /// sensor saw it and often leave the JPEG's own tag at 1.
    pub orientation: u16,
}

/// Why a RAW file has no preview photofind can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RawError {
    /// The bytes carry no RAW signature this module knows.
    #[error("not a RAW file photofind reads (no TIFF, CR3 or RAF signature)")]
    NotRaw,
    /// The container's own structure points outside the file.
    #[error("this RAW file is damaged: {0}")]
    Damaged(&'static str),
    /// An embedded JPEG starts in the file but its length runs past the end.
    #[error("this RAW file ends inside its embedded preview (is it truncated?)")]
    Truncated,
    /// No embedded JPEG is large enough to stand in for the photo.
    #[error("{}", no_preview(*needed, *largest))]
    NoPreview {
        /// The shorter side asked for, in pixels.
        needed: u32,
        /// The largest embedded JPEG there is (width, height), if any.
        largest: Option<(u32, u32)>,
    },
}

fn no_preview(needed: u32, largest: Option<(u32, u32)>) -> String {
    match largest {
        Some((w, h)) => {
            format!("this RAW file has no embedded preview of at least {needed} px (largest: {w}×{h})")
        }
        None => {
            "this RAW file has no embedded JPEG preview (photofind does not decode raw sensor data)".into()
        }
    }
}

/// The largest embedded JPEG whose shorter side is at least `min_short_side`
/// (callers pass twice the model's input, as for a JPEG's DCT scaling).
pub(crate) fn preview(bytes: &[u8], min_short_side: u32) -> Result<Preview<'_>, RawError> {
    let found = embedded(bytes)?;
    let area = |c: &&Candidate| u64::from(c.width) * u64::from(c.height);
    let best = found.jpegs.iter().filter(|c| c.width.min(c.height) >= min_short_side).max_by_key(area);
    match best {
        Some(c) => Ok(Preview {
            jpeg: c.jpeg,
            width: c.width,
            height: c.height,
            orientation: found.orientation.or_else(|| jpeg_exif(c.jpeg)?.orientation()).unwrap_or(1),
        }),
        None if found.cut_off => Err(RawError::Truncated),
        None => Err(RawError::NoPreview {
            needed: min_short_side,
            largest: found.jpegs.iter().max_by_key(area).map(|c| (c.width, c.height)),
        }),
    }
}

/// Whether `bytes` are a RAW file this module reads (see [`format_name`]).
pub(crate) fn is_raw(bytes: &[u8]) -> bool {
    format_name(bytes).is_some()
}

/// The RAW format of `bytes` by their structure, lower case (`dng`, `cr2`,
/// `cr3`, `nef`, `arw`, `pef`, `orf`, `rw2`, `raf`, or `raw` for another
/// TIFF holding sensor data); `None` for anything else, an ordinary TIFF
/// included. Check this before a TIFF decoder sees the bytes: NEF, ARW, PEF
/// and DNG carry the TIFF signature, and decoding them as TIFF gives at best
/// the small thumbnail in IFD0.
pub(crate) fn format_name(bytes: &[u8]) -> Option<&'static str> {
    if is_cr3(bytes) {
        return Some("cr3");
    }
    if bytes.starts_with(RAF_MAGIC) {
        return Some("raf");
    }
    let tiff = Tiff::new(bytes)?;
    match bytes.get(..4)? {
        b"IIRO" | b"IIRS" | b"MMOR" => return Some("orf"),
        b"IIU\0" => return Some("rw2"),
        _ if bytes.get(8..10) == Some(b"CR") => return Some("cr2"),
        _ => {}
    }
    let ifd0 = tiff.ifd0()?;
    if ifd0.entry(DNG_VERSION).is_some() {
        return Some("dng");
    }
    let mut sensor = false;
    walk(ifd0, |ifd| sensor |= ifd.uint(PHOTOMETRIC).is_some_and(|p| SENSOR_PHOTOMETRIC.contains(&p)));
    sensor.then(|| maker_format(ifd0.entry(MAKE).and_then(|e| e.ascii()).unwrap_or_default()))
}

fn maker_format(make: &[u8]) -> &'static str {
    let is = |prefix: &[u8]| make.get(..prefix.len()).is_some_and(|m| m.eq_ignore_ascii_case(prefix));
    match () {
        _ if is(b"NIKON") => "nef",
        _ if is(b"SONY") => "arw",
        _ if is(b"PENTAX") || is(b"RICOH") => "pef",
        _ => "raw",
    }
}

/// When the photo was taken, from the RAW's EXIF `DateTimeOriginal` (or
/// `DateTime`), as `YYYY-MM-DDTHH:MM:SS` like [`super::capture_time`]; a RAF
/// keeps its EXIF in the embedded JPEG. `None` if there is none or it is
/// malformed.
pub(crate) fn capture_time(bytes: &[u8]) -> Option<String> {
    if let Some(tiff) = Tiff::new(bytes) {
        return tiff.capture_time();
    }
    if is_cr3(bytes) {
        let exif = cr3_tiff(bytes, b"CMT2").and_then(|t| t.ifd0());
        let ifd0 = cr3_tiff(bytes, b"CMT1").and_then(|t| t.ifd0());
        return date(exif, ifd0);
    }
    let (start, len) = raf_jpeg(bytes).ok()?;
    jpeg_exif(bytes.get(start..)?.get(..len)?)?.capture_time()
}

/// What a container holds, before one JPEG is chosen.
#[derive(Default)]
struct Embedded<'a> {
    jpegs: Vec<Candidate<'a>>,
    orientation: Option<u16>,
    /// A JPEG starts inside the file but its declared length runs past the end.
    cut_off: bool,
}

struct Candidate<'a> {
    jpeg: &'a [u8],
    width: u32,
    height: u32,
}

impl<'a> Embedded<'a> {
    /// Adds the JPEG at `start..start + len` of `data`, if it is one.
    fn push(&mut self, data: &'a [u8], start: usize, len: usize) {
        let Some(rest) = data.get(start..) else { return };
        match rest.get(..len) {
            Some(jpeg) => {
                if let Some((width, height)) = jpeg_size(jpeg) {
                    self.jpegs.push(Candidate { jpeg, width, height });
                }
            }
            None => self.cut_off |= rest.starts_with(&[0xFF, 0xD8]),
        }
    }
}

fn embedded(bytes: &[u8]) -> Result<Embedded<'_>, RawError> {
    if let Some(tiff) = Tiff::new(bytes) {
        let ifd0 = tiff.ifd0().ok_or(RawError::Damaged("its first IFD lies outside the file"))?;
        let mut found = Embedded { orientation: tiff.orientation(), ..Embedded::default() };
        walk(ifd0, |ifd| ifd_jpegs(ifd, &mut found));
        olympus_preview(ifd0, &mut found);
        return Ok(found);
    }
    if is_cr3(bytes) {
        return Ok(cr3_embedded(bytes));
    }
    if bytes.starts_with(RAF_MAGIC) {
        let (start, len) = raf_jpeg(bytes)?;
        let mut found = Embedded::default();
        found.push(bytes, start, len);
        return Ok(found);
    }
    Err(RawError::NotRaw)
}

/// The JPEGs one IFD points at: an EXIF-style JPEGInterchangeFormat, RW2's
/// JpgFromRaw, or a single JPEG-compressed strip that is not sensor data.
fn ifd_jpegs<'a>(ifd: Ifd<'a>, found: &mut Embedded<'a>) {
    let data = ifd.tiff.bytes;
    if let (Some(start), Some(len)) = (ifd.uint(JPEG_OFFSET), ifd.uint(JPEG_LENGTH)) {
        found.push(data, start as usize, len as usize);
    }
    if let Some(blob) = ifd.entry(JPG_FROM_RAW).filter(|e| matches!(e.kind, 1 | 7)) {
        found.push(data, blob.value, blob.count);
    }
    if let Some((start, len)) = jpeg_strip(ifd) {
        found.push(data, start, len);
    }
}

fn jpeg_strip(ifd: Ifd<'_>) -> Option<(usize, usize)> {
    let sensor = ifd.uint(PHOTOMETRIC).is_some_and(|p| SENSOR_PHOTOMETRIC.contains(&p));
    if sensor || !matches!(ifd.uint(COMPRESSION)?, 6 | 7) {
        return None;
    }
    let (offsets, counts) = (ifd.entry(STRIP_OFFSETS)?, ifd.entry(STRIP_BYTE_COUNTS)?);
    // Several strips are several JPEGs, each a band of the picture.
    if offsets.count != 1 || counts.count != 1 {
        return None;
    }
    Some((offsets.uint(0)? as usize, counts.uint(0)? as usize))
}

/// An ORF's large preview, which is not in its IFDs but in the maker note:
/// "OLYMPUS\0", a byte order and 3, then an IFD whose offsets count from the
/// note's start; its CameraSettings IFD holds PreviewImageStart and Length.
/// (The older "OLYMP\0" notes of cameras before about 2005 are not read.)
fn olympus_preview<'a>(ifd0: Ifd<'a>, found: &mut Embedded<'a>) -> Option<()> {
    let exif = ifd0.tiff.ifd(ifd0.uint(EXIF_IFD)? as usize)?;
    let note = ifd0.tiff.bytes.get(exif.entry(MAKER_NOTE)?.value..)?;
    let big_endian = match note.get(..12)? {
        b"OLYMPUS\0II\x03\0" => false,
        b"OLYMPUS\0MM\0\x03" => true,
        _ => return None,
    };
    let note = Tiff { bytes: note, big_endian };
    let settings = note.ifd(note.ifd(12)?.uint(OLYMPUS_CAMERA_SETTINGS)? as usize)?;
    let (start, len) = (settings.uint(OLYMPUS_PREVIEW_START)?, settings.uint(OLYMPUS_PREVIEW_LENGTH)?);
    found.push(note.bytes, start as usize, len as usize);
    Some(())
}

/// Calls `visit` on `ifd0`, the IFDs chained after it and their SubIFDs,
/// each once and at most [`MAX_IFDS`] in all.
fn walk<'a>(ifd0: Ifd<'a>, mut visit: impl FnMut(Ifd<'a>)) {
    let tiff = ifd0.tiff;
    let mut pending = vec![ifd0.at];
    let mut seen = Vec::new();
    while let Some(at) = pending.pop() {
        if seen.len() == MAX_IFDS {
            break;
        }
        if seen.contains(&at) {
            continue;
        }
        seen.push(at);
        let Some(ifd) = tiff.ifd(at) else { continue };
        visit(ifd);
        pending.extend(ifd.next());
        if let Some(subs) = ifd.entry(SUB_IFDS) {
            pending.extend((0..subs.count.min(MAX_IFDS)).filter_map(|i| subs.uint(i)).map(|o| o as usize));
        }
    }
}

/// A TIFF structure: a RAW file, an EXIF block, a CR3's CMT box.
#[derive(Clone, Copy)]
struct Tiff<'a> {
    bytes: &'a [u8],
    big_endian: bool,
}

impl<'a> Tiff<'a> {
    /// TIFF's two byte orders, and the magic numbers Olympus and Panasonic use instead of 42.
    fn new(bytes: &'a [u8]) -> Option<Self> {
        let big_endian = match bytes.get(..4)? {
            b"II*\0" | b"IIRO" | b"IIRS" | b"IIU\0" => false,
            b"MM\0*" | b"MMOR" => true,
            _ => return None,
        };
        Some(Tiff { bytes, big_endian })
    }

    fn ifd0(self) -> Option<Ifd<'a>> {
        self.ifd(self.u32(4)? as usize)
    }

    fn ifd(self, at: usize) -> Option<Ifd<'a>> {
        let count = usize::from(self.u16(at)?);
        self.bytes.get(at.checked_add(2)?..)?.get(..count * 12)?;
        Some(Ifd { tiff: self, at, count })
    }

    fn orientation(self) -> Option<u16> {
        let value = self.ifd0()?.uint(ORIENTATION)?;
        u16::try_from(value).ok().filter(|o| (1..=8).contains(o))
    }

    fn capture_time(self) -> Option<String> {
        let ifd0 = self.ifd0();
        let exif = ifd0.and_then(|i| i.uint(EXIF_IFD)).and_then(|at| self.ifd(at as usize));
        date(exif, ifd0)
    }

    fn array<const N: usize>(self, at: usize) -> Option<[u8; N]> {
        self.bytes.get(at..)?.get(..N)?.try_into().ok()
    }

    fn u16(self, at: usize) -> Option<u16> {
        let b = self.array(at)?;
        Some(if self.big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }

    fn u32(self, at: usize) -> Option<u32> {
        let b = self.array(at)?;
        Some(if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }
}

/// One image file directory; its entries are known to lie inside the file.
#[derive(Clone, Copy)]
struct Ifd<'a> {
    tiff: Tiff<'a>,
    at: usize,
    count: usize,
}

impl<'a> Ifd<'a> {
    fn entry(self, tag: u16) -> Option<Entry<'a>> {
        let at = (0..self.count).map(|i| self.at + 2 + 12 * i).find(|&e| self.tiff.u16(e) == Some(tag))?;
        Entry::read(self.tiff, at)
    }

    fn uint(self, tag: u16) -> Option<u32> {
        self.entry(tag)?.uint(0)
    }

    fn next(self) -> Option<usize> {
        let next = self.tiff.u32(self.at + 2 + 12 * self.count)?;
        (next != 0).then_some(next as usize)
    }
}

/// An IFD entry; `value` is where its values start (in the entry, or at the
/// offset it holds), not yet checked against the file.
#[derive(Clone, Copy)]
struct Entry<'a> {
    tiff: Tiff<'a>,
    kind: u16,
    count: usize,
    value: usize,
}

impl<'a> Entry<'a> {
    fn read(tiff: Tiff<'a>, at: usize) -> Option<Self> {
        let kind = tiff.u16(at + 2)?;
        let count = tiff.u32(at + 4)? as usize;
        let size = type_size(kind)?.checked_mul(count)?;
        let value = if size <= 4 { at + 8 } else { tiff.u32(at + 8)? as usize };
        Some(Entry { tiff, kind, count, value })
    }

    /// Value `i` of a BYTE, SHORT, LONG or IFD entry.
    fn uint(self, i: usize) -> Option<u32> {
        if i >= self.count {
            return None;
        }
        match self.kind {
            1 | 7 => self.tiff.bytes.get(self.value.checked_add(i)?).map(|&b| u32::from(b)),
            3 => self.tiff.u16(self.value.checked_add(2 * i)?).map(u32::from),
            4 | 13 => self.tiff.u32(self.value.checked_add(4 * i)?),
            _ => None,
        }
    }

    /// An ASCII entry's bytes, without the trailing NULs.
    fn ascii(self) -> Option<&'a [u8]> {
        if self.kind != 2 {
            return None;
        }
        let text = self.tiff.bytes.get(self.value..)?.get(..self.count)?;
        let end = text.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        Some(&text[..end])
    }
}

/// Bytes per value of a TIFF field type; `None` for a type TIFF does not define.
fn type_size(kind: u16) -> Option<usize> {
    Some(match kind {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => return None,
    })
}

/// `DateTimeOriginal` from an EXIF IFD, else `DateTime` from IFD0.
fn date(exif: Option<Ifd<'_>>, ifd0: Option<Ifd<'_>>) -> Option<String> {
    let formatted = |ifd: Ifd<'_>, tag| format_date(ifd.entry(tag)?.ascii()?);
    exif.and_then(|e| formatted(e, DATE_TIME_ORIGINAL)).or_else(|| formatted(ifd0?, DATE_TIME))
}

/// EXIF's `YYYY:MM:DD HH:MM:SS` as `YYYY-MM-DDTHH:MM:SS`, checked as
/// [`super::capture_time`] checks it.
fn format_date(ascii: &[u8]) -> Option<String> {
    let t = exif::DateTime::from_ascii(ascii).ok()?;
    (t.year > 0 && (1..=12).contains(&t.month) && (1..=31).contains(&t.day)).then(|| {
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year, t.month, t.day, t.hour, t.minute, t.second)
    })
}

/// The marker segments of a JPEG's header, up to its first scan: (marker, body).
fn segments(jpeg: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut at = if jpeg.starts_with(&[0xFF, 0xD8]) { 2 } else { jpeg.len() };
    std::iter::from_fn(move || {
        while jpeg.get(at..at + 2) == Some(&[0xFF, 0xFF]) {
            at += 1; // fill bytes before a marker
        }
        if *jpeg.get(at)? != 0xFF {
            return None;
        }
        let marker = *jpeg.get(at + 1)?;
        match marker {
            0x00 | 0xD8 | 0xD9 | 0xDA => None,
            0x01 | 0xD0..=0xD7 => {
                at += 2;
                Some((marker, &[][..]))
            }
            _ => {
                let len = usize::from(u16::from_be_bytes(jpeg.get(at + 2..)?.get(..2)?.try_into().ok()?));
                let body = jpeg.get(at + 4..)?.get(..len.checked_sub(2)?)?;
                at += 2 + len;
                Some((marker, body))
            }
        }
    })
}

/// A JPEG's (width, height) from its frame header, if it is a picture
/// libjpeg-turbo decodes: an 8-bit DCT frame (baseline, extended or
/// progressive) of one or three components. Lossless and hierarchical frames
/// (a CR2's or DNG's sensor data) are not pictures.
fn jpeg_size(jpeg: &[u8]) -> Option<(u32, u32)> {
    let is_frame = |m: u8| matches!(m, 0xC0..=0xCF) && !matches!(m, 0xC4 | 0xC8 | 0xCC);
    let (marker, sof) = segments(jpeg).find(|&(m, _)| is_frame(m))?;
    if !matches!(marker, 0xC0 | 0xC1 | 0xC2 | 0xC9 | 0xCA) || sof.first() != Some(&8) {
        return None;
    }
    let height = u32::from(u16::from_be_bytes(sof.get(1..3)?.try_into().ok()?));
    let width = u32::from(u16::from_be_bytes(sof.get(3..5)?.try_into().ok()?));
    let components = *sof.get(5)?;
    (width > 0 && height > 0 && matches!(components, 1 | 3)).then_some((width, height))
}

/// The TIFF in a JPEG's EXIF (APP1) segment.
fn jpeg_exif(jpeg: &[u8]) -> Option<Tiff<'_>> {
    segments(jpeg)
        .find_map(|(marker, body)| Tiff::new(body.strip_prefix(b"Exif\0\0").filter(|_| marker == 0xE1)?))
}

/// A RAF's JPEG (start, length), from the big-endian pair at bytes 84..92.
fn raf_jpeg(bytes: &[u8]) -> Result<(usize, usize), RawError> {
    let field = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    match (bytes.starts_with(RAF_MAGIC), field(84), field(88)) {
        (false, ..) => Err(RawError::NotRaw),
        (true, Some(start), Some(len)) => Ok((start as usize, len as usize)),
        _ => Err(RawError::Damaged("the RAF header is cut short")),
    }
}

fn is_cr3(bytes: &[u8]) -> bool {
    bytes.get(4..12) == Some(b"ftypcrx ")
}

/// A CR3's previews: `PRVW` in the preview uuid box (about 1620×1080) and
/// `THMB` among Canon's metadata (160×120); its orientation from `CMT1`.
fn cr3_embedded(bytes: &[u8]) -> Embedded<'_> {
    let mut found =
        Embedded { orientation: cr3_tiff(bytes, b"CMT1").and_then(Tiff::orientation), ..Embedded::default() };
    // Both boxes: 4 bytes of flags, width and height (u16 each), the JPEG's
    // length (u32; at 8 in THMB, at 12 in PRVW), 4 more bytes, the JPEG at 16.
    if let Some(thmb) = cr3_canon_box(bytes, b"THMB") {
        found.push(thmb, 16, be_u32(thmb, 8).unwrap_or(0) as usize);
    }
    let prvw = boxes(bytes)
        .filter(|(kind, body)| kind == b"uuid" && body.starts_with(&CR3_PREVIEW_UUID))
        .flat_map(|(_, body)| boxes(body.get(24..).unwrap_or_default()))
        .find_map(|(kind, body)| (&kind == b"PRVW").then_some(body));
    if let Some(prvw) = prvw {
        found.push(prvw, 16, be_u32(prvw, 12).unwrap_or(0) as usize);
    }
    found
}

/// A box among Canon's metadata in a CR3's `moov`.
fn cr3_canon_box<'a>(bytes: &'a [u8], name: &[u8; 4]) -> Option<&'a [u8]> {
    let moov = boxes(bytes).find_map(|(kind, body)| (&kind == b"moov").then_some(body))?;
    let canon = boxes(moov)
        .find_map(|(kind, body)| (&kind == b"uuid").then(|| body.strip_prefix(&CR3_CANON_UUID)).flatten())?;
    boxes(canon).find_map(|(kind, body)| (&kind == name).then_some(body))
}

/// A CR3's `CMT1` (IFD0) or `CMT2` (the EXIF IFD): each a whole TIFF.
fn cr3_tiff<'a>(bytes: &'a [u8], name: &[u8; 4]) -> Option<Tiff<'a>> {
    Tiff::new(cr3_canon_box(bytes, name)?)
}

/// The ISO base media boxes laid end to end in `data`: (type, body). A box
/// that runs past the end gives what is there and ends the list.
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (header, size) = match be_u32(rest, 0)? {
            0 => (8, rest.len() as u64),
            1 => (16, u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?)),
            n => (8, u64::from(n)),
        };
        let size = usize::try_from(size).unwrap_or(usize::MAX).min(rest.len());
        let body = rest.get(header..size)?;
        rest = rest.get(size..).unwrap_or_default();
        Some((kind, body))
    })
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..)?.get(..4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests;
