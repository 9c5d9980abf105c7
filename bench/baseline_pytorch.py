#!/usr/bin/env python3
"""The Python pipeline issue #7 compares photofind's indexing against (rclip-style).

    bench/baseline_pytorch.py PHOTO_DIR --model CKPT_DIR [--limit N] [--batch 32]
    bench/baseline_pytorch.py PHOTO_DIR --decode-only [--limit N]

For every JPEG in PHOTO_DIR (sorted by name), batch after batch, each stage in turn in one
Python process (rclip-style: no overlap between stages): PIL open + full decode +
convert("RGB"); transformers' `CLIPImageProcessor` from the checkpoint directory;
`CLIPModel.get_image_features` (float32, CPU, `torch.set_num_threads(os.cpu_count())`, under
`torch.inference_mode()`), then L2-normalise. Prints one JSON object: images, seconds (first
decode to last vector; model loading and a one-image warm-up excluded, reported as
load_seconds), images_per_second, and the same run's split in ms/image: decode, preprocess,
model. other_processes_cpu_seconds (from /proc/stat) is the CPU time the rest of the machine
used meanwhile: far from 0, the figures are not clean.

--decode-only times, per photo and from bytes already in memory, PIL's full decode against
`Image.draft("RGB", (448, 448))` (libjpeg's DCT scaling to 1/2, 1/4 or 1/8 before the
decode), then convert("RGB"); prints ms/image for both and the draft's output size.

Make the inputs with bench/make_photos.py and bench/make_vitb32.py.
"""
import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# `PYTHON=/path/to/python bench/<script>.py ...` runs under that interpreter (bench/setup-python's
# venv, /opt/pyref/bin/python); popped so the re-run does not re-run itself
if os.environ.get("PYTHON"):
    _python = os.environ.pop("PYTHON")
    os.execvp(_python, [_python, *sys.argv])

from PIL import Image


def jpegs(folder, limit):
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    return files[:limit] if limit else files


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def cpu_seconds():
    """(CPU seconds the whole machine has been busy, this process's): their deltas over a run
    show how much of the machine other processes took meanwhile (a compile, say)."""
    own = os.times()
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except OSError:
        return None, own.user + own.system
    busy = sum(fields) - fields[3] - fields[4] - fields[7]  # all but idle, iowait and steal
    return busy / os.sysconf("SC_CLK_TCK"), own.user + own.system


def decode_only(files):
    """Full decode vs DCT-scaled draft decode, per photo, from memory."""
    full, draft, draft_sizes = [], [], set()
    for path in files:
        data = path.read_bytes()
        t0 = time.perf_counter()
        Image.open(io.BytesIO(data)).convert("RGB")
        t1 = time.perf_counter()
        img = Image.open(io.BytesIO(data))
        img.draft("RGB", (448, 448))
        small = img.convert("RGB")
        t2 = time.perf_counter()
        full.append(t1 - t0)
        draft.append(t2 - t1)
        draft_sizes.add(f"{small.width}x{small.height}")
    return {"mode": "decode-only", "images": len(files),
            "ms_per_image_full_decode": round(1000 * statistics.fmean(full), 1),
            "ms_per_image_draft_448": round(1000 * statistics.fmean(draft), 1),
            "median_ms_full_decode": round(1000 * statistics.median(full), 1),
            "median_ms_draft_448": round(1000 * statistics.median(draft), 1),
            "speedup": round(sum(full) / sum(draft), 2), "draft_output_sizes": sorted(draft_sizes)}


def pipeline(files, model_dir, batch):
    import torch  # imported here so that --decode-only needs Pillow only
    import transformers
    from transformers import CLIPImageProcessor, CLIPModel

    torch.set_num_threads(os.cpu_count())
    began = time.perf_counter()
    processor = CLIPImageProcessor.from_pretrained(model_dir)
    model = CLIPModel.from_pretrained(model_dir, dtype=torch.float32).eval()
    with torch.inference_mode():
        model.get_image_features(pixel_values=torch.zeros(1, 3, 224, 224))
    load = time.perf_counter() - began
    spent = {"decode": 0.0, "preprocess": 0.0, "model": 0.0}
    vectors = 0
    began = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(files), batch):
            t0 = time.perf_counter()
            images = [Image.open(p).convert("RGB") for p in files[start:start + batch]]
            t1 = time.perf_counter()
            pixels = processor(images=images, return_tensors="pt")["pixel_values"]
            t2 = time.perf_counter()
            out = model.get_image_features(pixel_values=pixels)
            feats = getattr(out, "pooler_output", out)  # transformers 5 returns a ModelOutput
            feats = feats / feats.norm(dim=-1, keepdim=True)
            t3 = time.perf_counter()
            vectors += feats.shape[0]
            for key, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2)):
                spent[key] += dt
    seconds = time.perf_counter() - began
    return {"mode": "pipeline", "images": vectors, "batch": batch, "threads": torch.get_num_threads(),
            "seconds": round(seconds, 2), "images_per_second": round(vectors / seconds, 2),
            "ms_per_image": {k: round(1000 * v / vectors, 1) for k, v in spent.items()},
            "load_seconds": round(load, 2), "processor": type(processor).__name__,
            "model": str(model_dir), "torch": torch.__version__, "transformers": transformers.__version__,
            "pillow": Image.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo_dir", type=Path)
    parser.add_argument("--model", type=Path, help="checkpoint directory (required unless --decode-only)")
    parser.add_argument("--limit", type=int, default=0, help="first N photos (0 = all)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--decode-only", action="store_true")
    args = parser.parse_args()
    files = jpegs(args.photo_dir, args.limit)
    if not files:
        parser.error(f"no JPEGs in {args.photo_dir}")
    machine, own = cpu_seconds()
    if args.decode_only:
        result = decode_only(files)
    elif args.model is None:
        parser.error("--model is required (or --decode-only)")
    else:
        result = pipeline(files, args.model, args.batch)
    machine_end, own_end = cpu_seconds()
    others = None if machine is None else round(machine_end - machine - (own_end - own), 1)
    result.update(cpu=cpu_name(), cpu_count=os.cpu_count(), python=platform.python_version(),
                  other_processes_cpu_seconds=others)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
