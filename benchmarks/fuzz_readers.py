"""Fuzz every reader: mutated seed files of each format (real ones from ../shared where present, else
synthesised), random bytes behind each magic number, and issue #19's hand-made reproducers. Prints, per
reader: inputs tried, outcomes by kind (result / refused with one line / unexpected / hang), the slowest
input and the peak memory (tracemalloc: Python and numpy allocations), then the process's peak RSS.

Goal: 0 unexpected, 0 hangs, peak memory under 1 GB for any input under 10 MB.

    PYTHONPATH=$PWD python benchmarks/fuzz_readers.py [--per-format 150] [--videos 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
import random
import resource
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fuzz_inputs import MUTATIONS, guarded, mutated_bytes, write_seeds

from gyml.pose.readers import read_pose

MAGIC = [b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"\x80\x04\x95", b"\x1f\x8b\x08\x00", b"BZh9", b"\x78\x9c",
         b"\xfd7zXZ\x00", b"frame,landmark,x,y,z,visibility\n", b"frame,x0,y0,z0\n", b"\x00\x00\x00\x18ftypmp42"]


def reproducers(folder: Path) -> dict[str, Path]:
    """The inputs issue #19 reported as hanging or exhausting memory."""
    from gyml.synth import synthesize

    out = {}
    folder.mkdir(parents=True, exist_ok=True)
    seq = synthesize("squat", 3, seed=1)
    arrays = dict(np.load(seq.save(folder / "r.npz")))
    arrays["fps"] = np.float64(1e9)
    np.savez(folder / "fps_1e9.npz", **arrays)
    out["npz fps=1e9"] = folder / "fps_1e9.npz"
    (folder / "long.csv").write_text("frame,landmark,x,y,z\n0,0,0.1,0.2,0.3\n5000000,0,0.1,0.2,0.3\n")
    out["csv frame 5,000,000"] = folder / "long.csv"

    class Huge:
        def __reduce__(self):
            return (bytearray, (3_000_000_000,))

    (folder / "huge.pkl").write_bytes(pickle.dumps({"poses": Huge()}, protocol=4))
    out["pickle bytearray(3e9)"] = folder / "huge.pkl"
    row = list(range(10_000))
    (folder / "laughs.pkl").write_bytes(pickle.dumps({"poses": [row] * 10_000}, protocol=4))
    out["pickle 10^8 shared refs"] = folder / "laughs.pkl"
    with open(folder / "claims.npy", "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 104)})
        fh.write(b"\0" * 1000)
    out["npy header 10^9 rows"] = folder / "claims.npy"
    arrays["fps"] = np.float64(30)
    arrays["joints"] = np.zeros((400_000, 24, 3), np.float32)
    arrays["confidence"] = np.ones((400_000, 24), np.float32)
    np.savez_compressed(folder / "bomb.npz", **arrays)
    out["npz zip bomb (150 MB of zeros)"] = folder / "bomb.npz"
    import zlib
    (folder / "bomb.pkl").write_bytes(zlib.compress(b"\x80\x04" + b"\x00" * 500_000_000, 9))
    out["zlib pickle bomb (500 MB)"] = folder / "bomb.pkl"
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-format", type=int, default=150)
    ap.add_argument("--videos", type=int, default=20, help="mutated videos read through MediaPipe")
    ap.add_argument("--random", type=int, default=300, help="random inputs behind magic numbers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="gyml_fuzz_"))
    # The reproducers are built in a child process: making a zip bomb takes memory that reading it must not
    # be charged with in this process's peak RSS.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        repro = pool.apply(reproducers, (folder / "repro",))
    seeds = write_seeds(folder / "seeds")
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    work = folder / "work"
    work.mkdir()
    rows = []

    def run_many(name: str, inputs):
        outcomes = Counter()
        slowest = (0.0, "")
        peak = 0
        largest_input = 0
        examples = []
        for label, path in inputs:
            o = guarded(read_pose, path, timeout_s=args.timeout)
            outcomes[o.kind] += 1
            largest_input = max(largest_input, path.stat().st_size)
            if o.seconds > slowest[0]:
                slowest = (o.seconds, label)
            peak = max(peak, o.peak_bytes)
            if o.kind in ("unexpected", "hang") and len(examples) < 3:
                examples.append(f"{label}: {o.kind} {o.detail}")
        rows.append((name, sum(outcomes.values()), outcomes, slowest, peak, largest_input))
        for e in examples:
            print(f"   {name}: {e}")

    def mutated(fmt: str, count: int):
        seed = seeds[fmt]
        data = seed.read_bytes()
        for i in range(count):
            ops = [(rng.choice(MUTATIONS), rng.randrange(2**20), rng.randrange(256), rng.randrange(256))
                   for _ in range(rng.randint(1, 4))]
            path = work / seed.name
            path.write_bytes(mutated_bytes(fmt, data, ops))
            yield f"#{i} {ops}", path

    for fmt in seeds:
        if fmt == "video":
            continue
        run_many(fmt, mutated(fmt, args.per_format))
    if args.videos:
        run_many("video (MediaPipe)", mutated("video", args.videos))

    def random_inputs():
        for i in range(args.random):
            head = rng.choice(MAGIC)
            path = work / "random.bin"
            path.write_bytes(head + bytes(rng.randrange(256) for _ in range(rng.randrange(2000))))
            yield f"#{i} {head!r}", path

    run_many("random bytes", random_inputs())
    for label, path in repro.items():
        run_many(f"issue #19: {label}", [(label, path)])

    print(f"\n{'reader / input':34s} {'tried':>5s} {'result':>6s} {'refused':>7s} {'unexp.':>6s} {'hang':>4s} "
          f"{'slowest':>8s} {'peak MB':>8s} {'max input':>9s}")
    totals = Counter()
    for name, n, outcomes, slowest, peak, largest in rows:
        totals.update(outcomes)
        print(f"{name[:34]:34s} {n:5d} {outcomes['result']:6d} {outcomes['refused']:7d} {outcomes['unexpected']:6d} "
              f"{outcomes['hang']:4d} {slowest[0]:7.2f}s {peak / 1024**2:8.1f} {largest / 1024:8.0f}K")
    worst = max(rows, key=lambda r: r[3][0])
    print(f"\ninputs: {sum(totals.values())}; result {totals['result']}, refused {totals['refused']}, "
          f"unexpected {totals['unexpected']}, hang {totals['hang']}")
    print(f"slowest input: {worst[3][0]:.2f} s ({worst[0]}: {worst[3][1][:100]})")
    print(f"peak traced memory of any input: {max(r[4] for r in rows) / 1024**2:.1f} MB; process peak RSS: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (after imports and seeds, before "
          f"the first input: {baseline_rss:.0f} MB)")


if __name__ == "__main__":
    main()
