"""Seed files of every format gyml reads, byte mutations of them, and one guarded run of a reader on a
file (outcome, seconds, peak memory). Shared by tests/test_fuzz.py and benchmarks/fuzz_readers.py.

Seeds are written from real recordings in ../shared where they exist (a RepCount-pose .npy, a bodyweight
landmark CSV) and from synthesised sets otherwise, in every layout: gyml .npz (zipped and plain), FLAG3D
SMPL and keypoint pickles, PHALP joblib pickles (compressed and plain), RepCount .npy, wide and long
landmark CSVs, and a short H.264 video.
"""

from __future__ import annotations

import csv
import io
import pickle
import signal
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np

from gyml.errors import GymlError
from gyml.pose.skeleton import MEDIAPIPE_TO_SMPL, NTU_TO_SMPL
from gyml.synth import synthesize
from gyml.synth.writers import write_flag3d_smpl, write_phalp

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FRAMES = 90  # seeds are short: the fuzzer's time goes into many mutations, not into long parses


def _landmarks(seq) -> np.ndarray:
    """(T, 33, 3) MediaPipe-layout landmarks in MediaPipe's axes (y down) from a synthesised sequence."""
    inverse = np.linalg.pinv(MEDIAPIPE_TO_SMPL)                          # (33, 24)
    points = np.einsum("lj,tjc->tlc", inverse, seq.joints.astype(np.float64))
    return points * np.array([1.0, -1.0, -1.0])


def _csv_text(rows: list[list]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def write_seeds(folder: Path) -> dict[str, Path]:
    """Write one seed file per format into `folder`; returns format name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    seq = synthesize("squat", 1, seed=11)
    seeds: dict[str, Path] = {}
    seeds["npz"] = seq.save(folder / "seed.npz")
    arrays = {"joints": seq.joints, "confidence": seq.confidence, "fps": np.float64(seq.fps),
              "source": np.str_("synth"), "metadata": np.str_("{}")}
    np.savez(folder / "seed_plain.npz", **arrays)
    seeds["npz_plain"] = folder / "seed_plain.npz"
    seeds["npz_members"] = seeds["npz_plain"]
    seeds["flag3d_smpl"] = write_flag3d_smpl(seq, folder / "M001P001A057R001.pkl")
    seeds["phalp"] = write_phalp(seq.slice(0, 40), folder / "seed_phalp.pkl", name="seed")
    phalp = joblib.load(seeds["phalp"])   # our own file, just written: trusted
    joblib.dump(phalp, folder / "seed_plain_phalp.pkl", compress=0)
    seeds["phalp_plain"] = folder / "seed_plain_phalp.pkl"
    ntu = np.einsum("nj,tjc->tnc", np.linalg.pinv(NTU_TO_SMPL), seq.joints.astype(np.float64))
    keypoints = {"annotations": [{"keypoint": ntu[None].astype(np.float32), "frame_dir": "M001P001A057R001",
                                  "label": 56}]}
    (folder / "seed_keypoints.pkl").write_bytes(pickle.dumps(keypoints, protocol=4))
    seeds["flag3d_keypoints"] = folder / "seed_keypoints.pkl"

    real_npy = sorted((SHARED / "repcount_pose" / "dev").glob("*.npy"))
    if real_npy:
        table = np.load(real_npy[0])[:FRAMES]
    else:
        points = _landmarks(seq)
        lo, hi = points.min(axis=(0, 1)), points.max(axis=(0, 1))
        table = np.concatenate([((points - lo) / (hi - lo)).reshape(len(seq), -1), np.zeros((len(seq), 5))], 1)
    np.save(folder / "seed_repcount.npy", table.astype(np.float64))
    seeds["repcount_npy"] = folder / "seed_repcount.npy"

    real_csv = sorted((SHARED / "bodyweight_mistakes").glob("*.csv"))
    real_csv = [p for p in real_csv if p.name != "labels.csv"]
    if real_csv:
        lines = real_csv[0].read_text().splitlines()[: FRAMES + 1]
        (folder / "seed_wide.csv").write_text("\n".join(lines) + "\n")
    else:
        points = _landmarks(seq)
        header = ["frame"] + [f"{a}{k}" for k in range(33) for a in "xyz"]
        rows = [[t, *np.round(points[t].ravel(), 5)] for t in range(len(seq))]
        (folder / "seed_wide.csv").write_text(_csv_text([header, *rows]))
    seeds["csv_wide"] = folder / "seed_wide.csv"
    points = _landmarks(seq)[:30]
    rows = [["frame", "landmark", "x", "y", "z", "visibility"]]
    rows += [[t, k, *np.round(points[t, k], 5), 0.9] for t in range(len(points)) for k in range(33)]
    (folder / "seed_long.csv").write_text(_csv_text(rows))
    seeds["csv_long"] = folder / "seed_long.csv"
    seeds["video"] = _write_video(folder / "seed.mp4")
    return seeds


def _write_video(path: Path, frames: int = 12, side: int = 64) -> Path:
    import av

    rng = np.random.default_rng(3)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        for _ in range(frames):
            image = rng.integers(0, 255, (side, side, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


# ---- mutations ---------------------------------------------------------------------------------------

MUTATIONS = ("flip", "truncate", "overwrite", "insert", "duplicate", "zero_tail", "number")


def mutate(data: bytes, ops: list[tuple[str, int, int, int]]) -> bytes:
    """Apply (kind, position, length, value) operations; positions and lengths wrap to the data's size."""
    buf = bytearray(data)
    for kind, pos, length, value in ops:
        n = max(len(buf), 1)
        pos %= n
        length = 1 + length % 64
        if kind == "flip":
            if buf:
                buf[pos] ^= 1 << (value % 8)
        elif kind == "truncate":
            del buf[pos:]
        elif kind == "overwrite":
            buf[pos:pos + length] = bytes([value % 256]) * length
        elif kind == "insert":
            buf[pos:pos] = bytes([value % 256]) * length
        elif kind == "duplicate":
            buf[pos:pos] = buf[pos:pos + length * 16]
        elif kind == "zero_tail":
            buf[pos:] = bytes(len(buf) - pos)
        elif kind == "number":
            # Replace a run of ASCII digits (CSV cells, npy headers) with a big or odd number.
            text = [b"999999999", b"-1", b"1e308", b"nan", b"inf", b"0", b"5000000", b"1e38"][value % 8]
            start = pos
            while start < len(buf) and not chr(buf[start]).isdigit():
                start += 1
            end = start
            while end < len(buf) and chr(buf[end]).isdigit():
                end += 1
            buf[start:end] = text
    return bytes(buf)


def mutate_npz_members(data: bytes, ops: list[tuple[str, int, int, int]]) -> bytes:
    """Mutate the arrays inside an .npz and zip them again with valid checksums, so the mutation reaches
    numpy's header and data parsing instead of stopping at the zip's CRC check."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        members = {name: zin.read(name) for name in zin.namelist()}
    names = sorted(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for i, name in enumerate(names):
            mine = [op for op in ops if op[3] % len(names) == i]
            zout.writestr(name, mutate(members[name], mine) if mine else members[name])
    return out.getvalue()


def mutated_bytes(fmt: str, data: bytes, ops) -> bytes:
    """A mutation of a seed of format `fmt` (gyml .npz seeds are mutated inside their members)."""
    return mutate_npz_members(data, ops) if fmt == "npz_members" else mutate(data, ops)


# ---- one guarded run -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    kind: str            # result, refused, unexpected, hang
    seconds: float
    peak_bytes: int
    detail: str = ""


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def guarded(func, *args, timeout_s: float = 30.0, measure_memory: bool = True) -> Outcome:
    """Run func(*args): 'result' if it returns, 'refused' on a GymlError, 'hang' past `timeout_s`,
    'unexpected' on anything else. Peak memory is Python's and numpy's allocations (tracemalloc)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    if measure_memory:
        tracemalloc.start()
    start = time.perf_counter()
    kind, detail = "result", ""
    try:
        func(*args)
    except GymlError as exc:
        kind, detail = "refused", str(exc)
    except _Timeout:
        kind = "hang"
    except Exception as exc:  # noqa: BLE001 - the fuzzer counts exactly what should never happen
        kind, detail = "unexpected", f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if measure_memory else 0
        if measure_memory:
            tracemalloc.stop()
    return Outcome(kind, seconds, peak, detail)
