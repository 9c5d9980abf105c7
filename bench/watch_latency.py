#!/usr/bin/env python3
"""How long after a photo is written `photofind watch` has it committed (searchable).

Starts `photofind watch --json` on an empty folder, copies photos in one at a time, and
times each from the end of the copy to the `committed` event naming it. Python stdlib only.

    bench/watch_latency.py [--bin PATH] [--model DIR] [PHOTO...]

Defaults: the debug binary in $CARGO_TARGET_DIR (else target/), the tiny fixture model and
the fixture photos. Prints one line per photo and the median.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main():
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    fixtures = REPO / "tests" / "fixtures"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=target / "debug" / "photofind")
    parser.add_argument("--model", default=fixtures / "models" / "tiny-p32-quickgelu")
    parser.add_argument("photos", nargs="*", default=sorted((fixtures / "photos").glob("*.[jp][pn]g")))
    args = parser.parse_args()

    data, root = tempfile.mkdtemp(), tempfile.mkdtemp()
    env = dict(os.environ, PHOTOFIND_MODEL=str(args.model), PHOTOFIND_DATA_DIR=data)
    watch = subprocess.Popen([str(args.bin), "watch", "--json", root], stdout=subprocess.PIPE, env=env, text=True)
    try:
        wait(watch, lambda e: e["event"] == "idle")
        seconds = []
        for i, photo in enumerate(args.photos):
            target_path = os.path.join(root, f"{i}-{Path(photo).name}")
            shutil.copy(photo, target_path)
            written = time.monotonic()
            wait(watch, lambda e: e["event"] == "committed" and target_path in e["paths"])
            seconds.append(time.monotonic() - written)
            print(f"{Path(photo).name}: {seconds[-1]:.2f} s")
        print(f"median write-finished -> committed: {statistics.median(seconds):.2f} s over {len(seconds)} photos")
    finally:
        watch.terminate()
        watch.wait()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def wait(watch, done, timeout=60):
    deadline = time.monotonic() + timeout
    for line in watch.stdout:
        if done(json.loads(line)):
            return
        if time.monotonic() > deadline:
            break
    raise SystemExit("photofind watch stopped or timed out before the expected event")


if __name__ == "__main__":
    main()
