#!/usr/bin/env python3
"""Camera-like 12-megapixel JPEGs for the indexing benchmarks (issue #7).

    bench/make_photos.py OUT_DIR [--count 120] [--seed 0]

Each photo is a random crop of a small public-domain / CC0 photo (the repository's
tests/fixtures/photos, plus scikit-image's bundled CC0 / no-known-copyright photos when
scikit-image is installed), flipped at random, upscaled (bicubic) to 4000x3000 (portrait
3000x4000 with probability 1/4: 39 of the default 120), then given what a sensor adds: a
per-channel gain (white balance), Gaussian luminance noise and blotchy (half-resolution)
chroma noise at a random "ISO". Saved as baseline 4:2:0 JPEG at quality 92-95 with an EXIF
block (Make, Model, DateTime, DateTimeOriginal, exposure fields and a 160x120 JPEG thumbnail
in IFD1), the way a camera writes it. The noise is what makes the files as large, and as
slow to decode, as real ones: each should be 2.5-6 MB; the script re-encodes one that is not
(quality 95 or 90) and exits 1 if some still are not. Deterministic: photo i depends only on
--seed and i.

Needs numpy and Pillow (bench/requirements.txt). On a 2-core EPYC: ~1.4 s a photo.
"""
import argparse
import importlib.util
import io
import os
import statistics
import struct
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

# `PYTHON=/path/to/python bench/<script>.py ...` runs under that interpreter (bench/setup-python's
# venv, /opt/pyref/bin/python); popped so the re-run does not re-run itself
if os.environ.get("PYTHON"):
    _python = os.environ.pop("PYTHON")
    os.execvp(_python, [_python, *sys.argv])

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
FIXTURE_PHOTOS = ["astronaut.png", "cat.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "camera.png"]
# scikit-image data files whose docstrings say CC0 / public domain / no known copyright
SKIMAGE_PHOTOS = ["retina.jpg", "coins.png", "brick.png", "grass.png", "gravel.png", "ihc.png"]
CAMERAS = [("Apple", "iPhone 12"), ("Google", "Pixel 6"), ("NIKON CORPORATION", "NIKON D700"),
           ("Canon", "Canon EOS 5D"), ("samsung", "SM-G991B")]
MIN_BYTES, MAX_BYTES = 2_500_000, 6_000_000
LANDSCAPE = (4000, 3000)


def sources():
    """The source photos as RGB images."""
    paths = [REPO / "tests" / "fixtures" / "photos" / name for name in FIXTURE_PHOTOS]
    spec = importlib.util.find_spec("skimage")  # locates the package without importing it
    if spec and spec.origin:
        data = Path(spec.origin).parent / "data"
        paths += [data / name for name in SKIMAGE_PHOTOS if (data / name).is_file()]
    return [Image.open(p).convert("RGB") for p in paths]


def upscaled_crop(img, size, rng):
    """A random crop of `img` with the aspect of `size` (55-100% of the largest), resized to it."""
    w, h = img.size
    aspect = size[0] / size[1]
    cw, ch = (w, w / aspect) if w / h < aspect else (h * aspect, h)
    scale = rng.uniform(0.55, 1.0)
    cw, ch = cw * scale, ch * scale
    x, y = rng.uniform(0, w - cw), rng.uniform(0, h - ch)
    crop = img.resize(size, Image.Resampling.BICUBIC, box=(x, y, x + cw, y + ch))
    return crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else crop


def sensor(img, rng, sigma):
    """Per-channel gain, luminance noise (std `sigma` levels) and half-resolution chroma noise."""
    w, h = img.size
    pixels = np.asarray(img, dtype=np.float32) * (1 + 0.03 * rng.standard_normal(3)).astype(np.float32)
    pixels += rng.standard_normal((h, w, 1), dtype=np.float32) * np.float32(sigma)
    chroma = rng.standard_normal(((h + 1) // 2, (w + 1) // 2, 3), dtype=np.float32) * np.float32(0.6 * sigma)
    pixels += chroma.repeat(2, axis=0).repeat(2, axis=1)[:h, :w]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _entry(tag, kind, value):
    """A TIFF field: kind is 'ascii', 'short', 'long', 'rational' or 'undefined'."""
    if kind == "ascii":
        raw = value.encode() + b"\0"
        return tag, 2, len(raw), raw
    if kind == "rational":
        return tag, 5, 1, struct.pack("<II", *value)
    if kind == "undefined":
        return tag, 7, len(value), value
    return (tag, 3, 1, struct.pack("<H", value)) if kind == "short" else (tag, 4, 1, struct.pack("<I", value))


def _ifd(entries, start, next_ifd):
    """One little-endian TIFF IFD at offset `start`, its values longer than 4 bytes right after it."""
    entries = sorted(entries)
    data_at = start + 2 + 12 * len(entries) + 4
    head, data = struct.pack("<H", len(entries)), b""
    for tag, kind, count, raw in entries:
        if len(raw) <= 4:
            head += struct.pack("<HHI", tag, kind, count) + raw.ljust(4, b"\0")
        else:
            head += struct.pack("<HHII", tag, kind, count, data_at + len(data))
            data += raw + b"\0" * (len(raw) % 2)
    return head + struct.pack("<I", next_ifd) + data


def exif_block(camera, taken, size, thumbnail, iso):
    """APP1 payload: IFD0 (camera, date), Exif IFD (DateTimeOriginal, exposure), IFD1 (thumbnail)."""
    stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
    res = [_entry(0x011A, "rational", (72, 1)), _entry(0x011B, "rational", (72, 1)), _entry(0x0128, "short", 2)]
    exif = [_entry(0x9000, "undefined", b"0232"), _entry(0x9003, "ascii", stamp), _entry(0x9004, "ascii", stamp),
            _entry(0x829A, "rational", (1, 125)), _entry(0x829D, "rational", (28, 10)), _entry(0x8827, "short", iso),
            _entry(0x920A, "rational", (50, 1)), _entry(0xA002, "long", size[0]), _entry(0xA003, "long", size[1])]
    ifd0 = [_entry(0x010F, "ascii", camera[0]), _entry(0x0110, "ascii", camera[1]), _entry(0x0112, "short", 1),
            _entry(0x0131, "ascii", "photofind bench/make_photos.py"), _entry(0x0132, "ascii", stamp), *res]
    ifd1 = [_entry(0x0103, "short", 6), *res]
    # sizes do not depend on offsets: lay out IFD0, Exif IFD, IFD1, thumbnail in that order
    n0 = len(_ifd(ifd0 + [_entry(0x8769, "long", 0)], 0, 0))
    exif_at = 8 + n0
    ifd1_at = exif_at + len(_ifd(exif, 0, 0))
    thumb_at = ifd1_at + len(_ifd(ifd1 + [_entry(0x0201, "long", 0)] * 2, 0, 0))
    ifd1 += [_entry(0x0201, "long", thumb_at), _entry(0x0202, "long", len(thumbnail))]
    tiff = (b"II*\0" + struct.pack("<I", 8) + _ifd(ifd0 + [_entry(0x8769, "long", exif_at)], 8, ifd1_at)
            + _ifd(exif, exif_at, 0) + _ifd(ifd1, ifd1_at, 0) + thumbnail)
    assert len(tiff) == thumb_at + len(thumbnail)
    return b"Exif\0\0" + tiff


def jpeg_bytes(img, quality, exif):
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, subsampling="4:2:0", exif=exif)
    return out.getvalue()


def make_photo(index, seed, srcs, start):
    """Photo `index` as (JPEG bytes, re-encoded?): depends only on seed and index."""
    rng = np.random.default_rng([seed, index])
    src = srcs[rng.integers(len(srcs))]
    size = LANDSCAPE[::-1] if rng.random() < 0.25 else LANDSCAPE
    iso = int(rng.choice([100, 200, 400, 800]))
    img = sensor(upscaled_crop(src, size, rng), rng, sigma=rng.uniform(3.0, 4.5))
    thumb = io.BytesIO()
    thumb_size = (160, 120) if size[0] > size[1] else (120, 160)
    img.resize(thumb_size, Image.Resampling.BILINEAR, reducing_gap=2.0).save(thumb, "JPEG", quality=75)
    taken = start + timedelta(minutes=int(index * 37 + rng.integers(30)))
    exif = exif_block(CAMERAS[rng.integers(len(CAMERAS))], taken, size, thumb.getvalue(), iso)
    quality = int(rng.integers(92, 96))
    data = jpeg_bytes(img, quality, exif)
    if not MIN_BYTES <= len(data) <= MAX_BYTES:  # rare: a very flat or very busy crop
        quality = 95 if len(data) < MIN_BYTES else 90
        return jpeg_bytes(img, quality, exif), True
    return data, False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    srcs = sources()
    began = time.perf_counter()
    sizes = []
    for i in range(args.count):
        data, reencoded = make_photo(i, args.seed, srcs, datetime(2024, 6, 1, 9, 0, 0))
        (args.out_dir / f"IMG_{i + 1:04d}.jpg").write_bytes(data)
        sizes.append(len(data))
        if reencoded:
            print(f"IMG_{i + 1:04d}.jpg re-encoded to {len(data) / 1e6:.2f} MB", file=sys.stderr)
    seconds = time.perf_counter() - began
    outside = sum(not MIN_BYTES <= s <= MAX_BYTES for s in sizes)
    print(f"{args.count} photos from {len(srcs)} sources in {args.out_dir} ({seconds:.1f} s, "
          f"{seconds / max(args.count, 1):.2f} s/photo); size MB min {min(sizes) / 1e6:.2f} "
          f"median {statistics.median(sizes) / 1e6:.2f} max {max(sizes) / 1e6:.2f}, "
          f"total {sum(sizes) / 1e6:.0f} MB; outside {MIN_BYTES / 1e6}-{MAX_BYTES / 1e6} MB: {outside}")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main())
