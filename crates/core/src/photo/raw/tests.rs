//! The RAW reader against the containers `tests/fixtures/make_raw.py` writes, and against
//! damage: truncation at many lengths and seeded byte corruption never panic.

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/photos/raw/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// (size, orientation, capture time) of the preview chosen at `min`.
fn chosen(name: &str, min: u32) -> ((u32, u32), u16, Option<String>) {
    let bytes = fixture(name);
    let p = preview(&bytes, min).unwrap_or_else(|e| panic!("{name}: {e}"));
    let header = turbojpeg::read_header(p.jpeg).expect("the preview is a JPEG libjpeg-turbo reads");
    assert_eq!((header.width as u32, header.height as u32), (p.width, p.height), "{name}");
    ((p.width, p.height), p.orientation, capture_time(&bytes))
}

#[test]
fn a_dng_gives_its_largest_preview_oriented_by_its_ifd0_and_dated_by_its_exif() {
    let expected = ((672, 448), 6, Some("2019-07-14T09:30:05".to_owned()));
    assert_eq!(chosen("preview.dng", 448), expected);
    // smaller previews qualify too at 100 px; the largest still wins
    assert_eq!(chosen("preview.dng", 100), expected);
    assert_eq!(format_name(&fixture("preview.dng")), Some("dng"));
}

#[test]
fn a_preview_one_pixel_short_is_not_enough() {
    let err = preview(&fixture("preview.dng"), 449).unwrap_err();
    assert_eq!(err, RawError::NoPreview { needed: 449, largest: Some((672, 448)) });
}

#[test]
fn a_dng_with_only_a_thumbnail_says_how_large_its_largest_preview_is() {
    let err = preview(&fixture("tiny.dng"), 448).unwrap_err();
    assert_eq!(err, RawError::NoPreview { needed: 448, largest: Some((160, 120)) });
    assert_eq!(
        err.to_string(),
        "this RAW file has no embedded preview of at least 448 px (largest: 160×120)"
    );
    // the thumbnail in IFD0 beats the 96×64 JPEG in IFD1
    assert_eq!(chosen("tiny.dng", 64).0, (160, 120));
}

#[test]
fn a_dng_cut_inside_its_preview_says_it_is_truncated() {
    let bytes = fixture("truncated.dng");
    assert_eq!(preview(&bytes, 448).unwrap_err(), RawError::Truncated);
    assert_eq!(preview(&bytes, 100).map(|p| (p.width, p.height)), Ok((160, 120)));
    assert_eq!(capture_time(&bytes).as_deref(), Some("2019-07-14T09:30:05"));
}

#[test]
fn each_container_gives_its_preview_orientation_and_date() {
    let cases = [
        // (file, format, orientation, capture time)
        ("sample.nef", "nef", 8, Some("2018-03-04T05:06:07")),
        // the lossless sensor JPEG (5472×3648) is not a preview
        ("sample.cr2", "cr2", 3, Some("2017-01-02T03:04:05")),
        // IFD0 says 1 and the JPEG's own EXIF says 6: the RAW's own wins
        ("sample.rw2", "rw2", 1, Some("2016-05-06T07:08:09")),
        // the preview is in the maker note; the IFD chain loops back to IFD0
        ("sample.orf", "orf", 6, Some("2015-04-05T06:07:08")),
        // orientation and date only in the JPEG's EXIF
        ("sample.raf", "raf", 6, Some("2020-02-03T04:05:06")),
        ("sample.cr3", "cr3", 8, Some("2022-11-12T13:14:15")),
    ];
    for (name, format, orientation, date) in cases {
        assert_eq!(format_name(&fixture(name)), Some(format), "{name}");
        let expected = ((300, 200), orientation, date.map(str::to_owned));
        assert_eq!(chosen(name, 200), expected, "{name}");
        let small = preview(&fixture(name), 201).unwrap_err();
        assert_eq!(small, RawError::NoPreview { needed: 201, largest: Some((300, 200)) }, "{name}");
    }
}

#[test]
fn ordinary_images_are_not_raw() {
    let jpeg =
        std::fs::read(format!("{}/../../tests/fixtures/photos/rocket.jpg", env!("CARGO_MANIFEST_DIR")))
            .expect("rocket.jpg");
    assert!(!is_raw(&jpeg));
    assert_eq!(preview(&jpeg, 1).unwrap_err(), RawError::NotRaw);
    // a TIFF with no sensor data: its IFD0 is its picture
    let mut tiff = fixture("tiny.dng");
    let (ifd0, count) = (8, usize::from(u16::from_le_bytes([tiff[8], tiff[9]])));
    for e in (0..count).map(|i| ifd0 + 2 + 12 * i) {
        if matches!(u16::from_le_bytes([tiff[e], tiff[e + 1]]), DNG_VERSION | SUB_IFDS) {
            tiff[e..e + 2].copy_from_slice(&0xfffeu16.to_le_bytes()); // an unknown tag
        }
    }
    assert_eq!(format_name(&tiff), None);
    assert!(is_raw(&fixture("tiny.dng")));
}

#[test]
fn only_8_bit_dct_frames_are_pictures() {
    let frame = |marker: u8, precision: u8, components: u8| {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, b'J', b'F', 0xFF, 0xFF, marker, 0, 8];
        jpeg.extend([precision, 0x01, 0x90, 0x02, 0x58, components, 0xFF, 0xD9]);
        jpeg_size(&jpeg)
    };
    assert_eq!(frame(0xC0, 8, 3), Some((600, 400)));
    assert_eq!(frame(0xC2, 8, 1), Some((600, 400)));
    assert_eq!(frame(0xC3, 8, 3), None, "lossless");
    assert_eq!(frame(0xC0, 12, 3), None, "12-bit");
    assert_eq!(frame(0xC0, 8, 4), None, "CMYK");
    assert_eq!(frame(0xC4, 8, 3), None, "a Huffman table is no frame, and the scan never comes");
}

/// Every prefix of `bytes` at `step`, and `bytes` with bytes overwritten
/// from a seeded sequence; none may panic, and every answer is bounded.
fn survives_damage(bytes: &[u8], step: usize) {
    let check = |data: &[u8]| {
        if let Ok(p) = preview(data, 1) {
            assert!((1..=8).contains(&p.orientation));
            assert!(p.jpeg.len() <= data.len());
        }
        let _ = (capture_time(data), format_name(data));
    };
    for len in (0..bytes.len()).step_by(step) {
        check(&bytes[..len]);
    }
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let header = bytes.len().min(1024);
    for _ in 0..2000 {
        let mut damaged = bytes.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = (next() % header as u64) as usize;
            damaged[at] = [0x00, 0xFF, 0x7F, next() as u8][(next() % 4) as usize];
        }
        check(&damaged);
    }
}

#[test]
fn damaged_and_truncated_files_never_panic() {
    for name in [
        "preview.dng",
        "tiny.dng",
        "truncated.dng",
        "sample.nef",
        "sample.cr2",
        "sample.rw2",
        "sample.orf",
        "sample.raf",
        "sample.cr3",
    ] {
        survives_damage(&fixture(name), 7);
    }
}

#[test]
fn a_long_chain_of_ifds_is_walked_only_so_far() {
    // 200 empty IFDs, each chained to the next
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    for i in 0..200u32 {
        tiff.extend(0u16.to_le_bytes());
        tiff.extend((if i < 199 { 8 + 6 * (i + 1) } else { 0 }).to_le_bytes());
    }
    let mut visited = 0;
    walk(Tiff::new(&tiff).and_then(Tiff::ifd0).expect("IFD0"), |_| visited += 1);
    assert_eq!(visited, MAX_IFDS);
}

#[test]
fn hostile_counts_and_offsets_are_errors() {
    // IFD0 claims 65535 entries in a 14-byte file
    let bytes = b"II*\0\x08\0\0\0\xff\xff\0\0\0\0";
    assert_eq!(preview(bytes, 1).unwrap_err(), RawError::Damaged("its first IFD lies outside the file"));
    // IFD0 points past the end, in both byte orders
    assert!(matches!(preview(b"MM\0*\xff\xff\xff\xf0", 1), Err(RawError::Damaged(_))));
    // a SubIFDs entry of u32::MAX offsets, each pointing back at IFD0
    let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec();
    tiff.extend(SUB_IFDS.to_le_bytes());
    tiff.extend(4u16.to_le_bytes());
    tiff.extend(u32::MAX.to_le_bytes());
    tiff.extend(8u32.to_le_bytes());
    tiff.extend(8u32.to_le_bytes()); // next IFD: itself
    assert_eq!(preview(&tiff, 1).unwrap_err(), RawError::NoPreview { needed: 1, largest: None });
    // a RAF whose JPEG lies beyond the end; a CR3 box that claims 2^64 bytes
    let mut raf = fixture("sample.raf");
    raf[84..88].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(preview(&raf, 1).unwrap_err(), RawError::NoPreview { needed: 1, largest: None });
    let mut cr3 = b"\0\0\0\x10ftypcrx \0\0\0\x01".to_vec();
    cr3.extend(b"\0\0\0\x01uuid\xff\xff\xff\xff\xff\xff\xff\xff");
    assert_eq!(preview(&cr3, 1).unwrap_err(), RawError::NoPreview { needed: 1, largest: None });
}
