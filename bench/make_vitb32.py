#!/usr/bin/env python3
"""A full-size ViT-B/32 CLIP checkpoint with random weights, for timing (issue #7).

    bench/make_vitb32.py [OUT_DIR] [--seed 0] [--dtype f32|f16]

OUT_DIR defaults to /var/tmp/photofind-bench/vit-b-32-random. Same architecture and config as
openai/clip-vit-base-patch32 (vision 768 wide, 12 layers, 12 heads, patch 32, 224 px; text 512
wide, 12 layers, 8 heads; projection 512; quick_gelu; eps 1e-5), built by transformers'
`CLIPModel` with its default init after `torch.manual_seed(seed)`. The vectors mean nothing;
the cost of computing them is the real model's. Writes a Hugging Face checkpoint directory
that photofind's loader (crates/clip) reads:

  config.json, model.safetensors   f32 by default, like the Hub's safetensors file (~605 MB);
                                   the loader upcasts f16 too
  preprocessor_config.json         the standard one: bicubic shortest edge 224, centre crop 224,
                                   OpenAI CLIP mean/std (models/fixtures/make_tiny_clip.py's)
  tokenizer.json, tokenizer_config.json
                                   copied from tests/fixtures/models/tiny-p32-quickgelu (the real
                                   49408-token CLIP BPE)

Then checks that the tensor names equal the tiny fixture checkpoint's (layer indices aside) and
that transformers reloads the directory with no missing, unexpected or mis-shaped tensors.
"""
import argparse
import os
import re
import shutil
import sys
from pathlib import Path

# `PYTHON=/path/to/python bench/<script>.py ...` runs under that interpreter (bench/setup-python's
# venv, /opt/pyref/bin/python); popped so the re-run does not re-run itself
if os.environ.get("PYTHON"):
    _python = os.environ.pop("PYTHON")
    os.execvp(_python, [_python, *sys.argv])

import torch
from safetensors import safe_open
from transformers import CLIPModel

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "models" / "tiny-p32-quickgelu"
sys.path.insert(0, str(REPO / "models" / "fixtures"))
from make_tiny_clip import Spec, make_config, make_processor  # noqa: E402

VIT_B_32 = Spec(name="vit-b-32-random", seed=0, text_seed=0, text_hidden=512, text_heads=8, text_layers=12,
                text_intermediate=2048, vision_hidden=768, vision_heads=12, vision_layers=12,
                vision_intermediate=3072, image_size=224, patch=32, projection_dim=512, act="quick_gelu", eps=1e-5)


def tensor_shapes(path):
    with safe_open(str(path), "pt") as f:
        return {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}


def name_pattern(names):
    return {re.sub(r"\.layers\.\d+\.", ".layers.N.", n) for n in names}


def check(out):
    """Names as in the fixture; transformers reloads strictly. Returns the tensor table."""
    ours, tiny = tensor_shapes(out / "model.safetensors"), tensor_shapes(FIXTURE / "model.safetensors")
    if name_pattern(ours) != name_pattern(tiny):
        sys.exit(f"tensor names differ from the fixture: only ours {sorted(name_pattern(ours) - name_pattern(tiny))}, "
                 f"only fixture {sorted(name_pattern(tiny) - name_pattern(ours))}")
    for k in tiny.keys() & ours.keys():
        if len(tiny[k][0]) != len(ours[k][0]):
            sys.exit(f"{k}: rank differs from the fixture ({ours[k][0]} vs {tiny[k][0]})")
    _model, info = CLIPModel.from_pretrained(str(out), dtype=torch.float32, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if bad:
        sys.exit(f"transformers reload: {bad}")
    print(f"{len(ours)} tensors ({len(tiny)} in the fixture: 2 layers a tower, not 12); names match "
          f"tests/fixtures/models/tiny-p32-quickgelu with layer indices aside; ranks match; transformers "
          f"reloads it with no missing/unexpected/mis-shaped keys")
    return ours


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("/var/tmp/photofind-bench/vit-b-32-random"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    model = CLIPModel(make_config(VIT_B_32)).eval()
    if args.dtype == "f16":
        model = model.to(torch.float16)
    if args.out_dir.exists():
        shutil.rmtree(args.out_dir)
    args.out_dir.mkdir(parents=True)
    model.save_pretrained(str(args.out_dir), safe_serialization=True)
    make_processor(VIT_B_32).save_pretrained(str(args.out_dir))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(FIXTURE / name, args.out_dir / name)
    tensors = check(args.out_dir)
    params = sum(torch.Size(shape).numel() for shape, _ in tensors.values())
    size = sum(f.stat().st_size for f in args.out_dir.iterdir())
    print(f"wrote {args.out_dir}: {params / 1e6:.1f} M parameters ({args.dtype}), {size / 1e6:.0f} MB, "
          f"files {sorted(f.name for f in args.out_dir.iterdir())}")


if __name__ == "__main__":
    main()
