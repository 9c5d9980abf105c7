#!/usr/bin/env python3
"""Many small distinct JPEGs, for measuring memory over a long indexing run (issue #7).

    bench/make_many.py SOURCE_DIR OUT_DIR [--count 10000] [--size 1024]

Each output is one of SOURCE_DIR's photos (the camera-like JPEGs of make_photos.py), shrunk so
its longer side is --size, with a patch of random pixels so every file has other bytes (photofind
stores one vector per content: copies would not be embedded again). Small, so that making
10,000 takes a couple of minutes and little disk; how much memory indexing holds should not
depend on the photo count, and this is what checks it. Needs numpy and Pillow.
"""
import argparse
import os
import sys
from pathlib import Path

if os.environ.get("PYTHON"):
    _python = os.environ.pop("PYTHON")
    os.execvp(_python, [_python, *sys.argv])

import numpy as np
from PIL import Image


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=1024)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    bases = []
    for path in sorted(args.source.glob("*.jpg"))[:100]:
        with Image.open(path) as image:
            image.draft("RGB", (args.size, args.size))
            image = image.convert("RGB")
            image.thumbnail((args.size, args.size))
            bases.append(np.asarray(image))
    if not bases:
        sys.exit(f"no JPEGs in {args.source}")
    rng = np.random.default_rng(0)
    for i in range(args.count):
        path = args.out / f"{i:05d}.jpg"
        if path.exists():
            continue
        pixels = bases[i % len(bases)].copy()
        y, x = rng.integers(0, pixels.shape[0] - 16), rng.integers(0, pixels.shape[1] - 16)
        pixels[y:y + 16, x:x + 16] = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path, quality=90)
    print(f"{args.count} photos in {args.out}")


if __name__ == "__main__":
    main()
