"""Scaling figures of `gyml batch` and of span-parallel extraction, each against a baseline of the same run.

    python benchmarks/batch_scale.py                 # everything (a few minutes on a quiet 2-core machine)
    python benchmarks/batch_scale.py --part batch    # only: videos a minute, loop vs 1 vs 2 Dask workers
    python benchmarks/batch_scale.py --part spans    # only: one pass vs spans in parallel, 41-s and 4-min video
    python benchmarks/batch_scale.py --part memory   # only: peak memory of extraction, 10 and 60 minutes

batch:  the same short real clips analysed by a plain loop in one process, then by `run_batch` on a local
        cluster of 1 and of 2 workers; first with an empty pose cache each (cold: every video extracted),
        then again with the cache each filled (warm: analysis only); videos a minute, the ratio to the
        loop, processor time of every process involved, and the scheduler's cost per input ((1-worker
        time - loop time) / inputs, cluster start-up included, since a user pays it).
spans:  a real video (uncounted/squat.mp4, 41 s) read in one pass and in 2 spans in 2 processes: frames a
        second, the ratio, processor time per process by phase (process start, model set-up, warm-up, owned
        frames, handover) and by thread group (MediaPipe's graph, FFmpeg, our decoding thread, ...) with
        thread counts, the speed-up bound that processor time implies, the largest joint difference to the
        single pass (all frames, and the first second after each join), how many frames a handover
        re-tracked, and the rep counts; 2 spans twice: with a span process started for the video (one
        `gyml analyze --jobs 2`) and with the span process kept from that run (the next video of a batch).
        Then the same, started afresh, on a long video: that clip looped forwards and backwards to
        --long-minutes (default 4) at its full size and frame rate (a looped real clip, encoded once with
        x264 crf 16 and kept in ~/.cache/gyml/benchmarks). The goal (1.8x on 2 cores) is judged on it.
memory: peak resident memory of single-pass extraction of a synthesised 10- and 60-minute video (a real
        clip's frames looped, encoded at 320x180). The pose model costs a fixed amount of memory but takes
        ~50 ms a frame, so an hour of video would take an hour and a half here: by default the model's
        answer for each frame is replayed from one real answer (decoding, landmark conversion and the pose
        arrays are all real); --real-model runs MediaPipe on every frame of the 10-minute video too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CLIPS = ["counted/dips__dips_13.mp4", "counted/squats__squat_17.mp4", "counted/squats__squat_13.mp4",
         "counted/push-ups__push-up_37.mp4", "form/pullup_correct_002.mp4", "form/demo_wrong.mp4",
         "pushup_form/correct14.mp4", "pushup_form/wrong1.mp4"]
LONG_VIDEO = "uncounted/squat.mp4"
LOOP_SOURCE = "counted/pull-ups__pull-up_6.mp4"


def _env(cache: Path) -> dict:
    env = dict(os.environ, GYML_CACHE=str(cache), PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    return env


LOOP_CODE = """
import sys, time
t0 = time.perf_counter()
from gyml.batch.tasks import AnalysisOptions, analyse_input
rows = [analyse_input(p, AnalysisOptions())["row"] for p in sys.argv[1:]]
print(time.perf_counter() - t0, sum(r["error"] is None for r in rows))
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def part_batch(clips: list[Path], work: Path) -> None:
    from gyml.batch.runner import _open_client, run_batch

    n = len(clips)
    print(f"\n## batch: the same {n} real clips ({sum(_frames(c) for c in clips)} frames) each time")
    print("(cold: an empty pose cache, every video decoded and its poses extracted; warm: poses from the cache, "
          "analysis only. CPU: user + system seconds of every process involved, start-up included: the loop's "
          "process; for gyml batch this process (Dask scheduler, client, nannies) and the workers with any "
          "children. It depends far less on the machine's load than wall time, except Dask's own work at rest, "
          "which grows with the wall time: measured first)")
    # Dask's event loops and heartbeats use processor time while a cluster is up, busy or not: on a loaded
    # machine a batch takes longer, so that share grows with the wall time. Measured at rest first.
    at_rest = {}
    for workers in (1, 2):
        runs = []
        for rest in (0.0, 10.0):  # the difference of the two is the rest alone, without the cluster's start
            t0, own0, kids0 = time.perf_counter(), _own_cpu(), _children_cpu()
            client, cluster = _open_client(None, workers)
            time.sleep(rest)
            client.close()
            cluster.close()
            runs.append((time.perf_counter() - t0, _own_cpu() - own0 + _children_cpu() - kids0))
        (wall0, cpu0), (wall1, cpu1) = runs
        at_rest[workers] = max(0.0, (cpu1 - cpu0) / (wall1 - wall0))
        print(f"Dask, {workers} worker{'s' if workers > 1 else ' '}: start and stop of the cluster {wall0:.1f} s, "
              f"{cpu0:.1f} s CPU; at rest {at_rest[workers]:.3f} s CPU a second")
    for state in ("cold", "warm"):
        cache = work / "cache-loop"  # the loop's second run finds what its first run extracted
        t0, c0 = time.perf_counter(), _children_cpu()
        done = subprocess.run([sys.executable, "-c", LOOP_CODE, *map(str, clips)], env=_env(cache), check=True,
                              capture_output=True, text=True).stdout.split()
        loop, loop_cpu = time.perf_counter() - t0, _children_cpu() - c0
        print(f"{state}: plain loop, one process: {loop:7.1f} s  {60 * n / loop:6.2f} videos/min  (1.00x)  "
              f"CPU {loop_cpu:6.1f} s  ok={done[1]}")
        for workers in (1, 2):
            os.environ["GYML_CACHE"] = str(work / f"cache-{workers}")  # the local cluster's workers inherit it
            t0, own0, kids0 = time.perf_counter(), _own_cpu(), _children_cpu()
            client, cluster = _open_client(None, workers)
            started = time.perf_counter() - t0
            try:
                summary = run_batch(clips, work / f"out{workers}-{state}.jsonl", client=client)
            finally:
                client.close()
                cluster.close()
            wall = time.perf_counter() - t0
            cpu = _own_cpu() - own0 + _children_cpu() - kids0  # the workers are reaped by now
            print(f"{state}: gyml batch, {workers} worker{'s' if workers > 1 else ' '}: {wall:7.1f} s  "
                  f"{60 * n / wall:6.2f} videos/min  ({loop / wall:.2f}x)  CPU {cpu:6.1f} s  "
                  f"ok={n - summary.failed}  (cluster start {started:.1f} s); CPU beyond the loop "
                  f"{cpu - loop_cpu:+.1f} s, of which Dask at rest for this long {at_rest[workers] * wall:.1f} s; "
                  f"bound on {workers} idle core{'s' if workers > 1 else ''}: {workers * loop_cpu / cpu:.2f}x")
            if workers == 1:
                print(f"{state}: scheduler's cost per input, 1 worker against the loop: "
                      f"{(wall - loop) / n:+.2f} s wall ({(wall - started - loop) / n:+.2f} s without the cluster "
                      f"start), {(cpu - loop_cpu) / n:+.2f} s CPU (cluster start-up included)")
    os.environ.pop("GYML_CACHE", None)
    t0 = time.perf_counter()
    summary = run_batch(clips, work / "out2-cold.jsonl", workers=2)
    print(f"rerun of the finished 2-worker batch: {time.perf_counter() - t0:.1f} s, {summary.skipped} skipped")


def _frames(path: Path) -> int:
    from gyml.pose.readers.video_chunks import _timeline
    return _timeline(path)[2]


def _decode_costs(video: Path, frames: int) -> tuple[float, float]:
    """Processor seconds a frame to decode only, and to decode and convert to the model's RGB (one thread)."""
    import av

    from gyml.pose.readers.video_chunks import iter_timed_frames

    c0 = _own_cpu()
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_count = 1
        decoded = sum(1 for _ in container.decode(stream))
    decode = (_own_cpu() - c0) / max(decoded, 1)
    c0 = _own_cpu()
    converted = sum(1 for _ in iter_timed_frames(video, decoder_threads=1))
    return decode, (_own_cpu() - c0) / max(converted, 1)


def _groups(usage) -> str:
    return ", ".join(f"{g} {usage.seconds[g]:.1f} s/{usage.threads[g]}" for g in usage.seconds if usage.threads[g])


def _two_spans(video: Path, single, one: float, one_cpu: float, fps: float, first: float, label: str) -> float:
    """Extract `video` in 2 spans (this process and a span process), print the figures against one pass."""
    from gyml.pose.readers.video_chunks import JOIN_TOLERANCE_M, read_video_chunked
    from gyml.reps.counter import count_reps

    joins = []
    t0, c0, k0 = time.perf_counter(), _own_cpu(), _children_cpu()
    spans = read_video_chunked(video, jobs=2, report=joins)
    two, own2 = time.perf_counter() - t0, _own_cpu() - c0
    # A kept span process is not reaped yet: its time is in the span's report (process start included),
    # that of any span process that ended is in the children's.
    kids = sum(c.total for c in joins[0].costs if not c.in_caller) + _children_cpu() - k0
    two_cpu = own2 + kids
    print(f"2 spans, {label}: {two:6.1f} s  {len(spans) / two:6.1f} frames/s  ({one / two:.2f}x)  "
          f"CPU {two_cpu:.1f} s (this process {own2:.1f} s, the span process {kids:.1f} s); "
          f"{two_cpu - one_cpu:+.1f} s against one pass")
    for cost in joins[0].costs:
        phases = ", ".join(f"{k} {v:.2f}" for k, v in cost.phases.items())
        where = "this process" if cost.in_caller else "span process"
        print(f"  span {cost.span} ({where}): CPU {cost.total:.1f} s [{phases}]; frames {cost.frames}")
        print(f"    by thread group: {_groups(cost.threads)}")
    busiest = max(own2, kids)
    print(f"  bound on 2 idle cores if one pass kept exactly one core busy: {2 * one_cpu / two_cpu:.2f}x from "
          f"the total CPU, {one_cpu / busiest:.2f}x from the busier process; from one pass's wall time and the "
          f"spans' CPU filling 2 cores: {2 * one / two_cpu:.2f}x (the bound on a quiet machine; goal 1.8x)")
    assert len(spans) == len(single), (len(spans), len(single))
    diff = np.nan_to_num(np.abs(spans.joints - single.joints), nan=0.0).max(axis=(1, 2))
    both = spans.present == single.present
    cuts = joins[0].boundaries
    before = np.zeros(len(single), bool)
    before[: int(np.ceil((cuts[0] - first) * fps))] = True
    near = np.zeros(len(single), bool)
    for cut in cuts:
        i = int(np.ceil((cut - first) * fps))
        near[i: i + int(round(fps))] = True
    print(f"  largest joint difference to the single pass: {1000 * diff.max():.2f} mm over all frames, "
          f"{1000 * diff[near].max():.2f} mm in the first second after a join (before a join the trackers agreed "
          f"within {1000 * JOIN_TOLERANCE_M:.0f} mm on every landmark; after it each crops from its own history); "
          f"person found in the same frames: {both.mean():.1%}")
    after = np.flatnonzero(~before)
    worst = after[np.argmax(diff[after])] if len(after) else 0
    print(f"  after the first join: largest difference {1000 * diff[worst]:.2f} mm at {(worst - after[0]) / fps:.1f} s "
          f"after it; frames identical to one pass (0.0 mm) {np.mean(diff[after] == 0):.1%}, the last frame that "
          f"differs {(after[np.flatnonzero(diff[after])[-1]] - after[0]) / fps if diff[after].any() else 0:.1f} s "
          f"after the join")
    print(f"  frames re-tracked by a handover: {joins[0].handover_frames}; warm-up frames: "
          f"{joins[0].warmup_frames}; median joint difference after the join: "
          f"{1000 * np.median(diff[~before]):.2f} mm; rep count one pass {count_reps(single).count}, "
          f"spans {count_reps(spans).count}")
    return one / two


def part_spans(video: Path, kept_too: bool = True) -> float:
    """One pass against 2 spans with a freshly started span process (as `gyml analyze --jobs 2` of one
    video), then, with `kept_too`, again with the span process kept from that run (as the next video of
    a batch). Returns the first ratio."""
    from gyml.pose.readers.cpu_usage import ThreadMeter
    from gyml.pose.readers.video import read_video
    from gyml.pose.readers.video_chunks import _timeline, close_span_workers

    fps, first, frames, duration = _timeline(video)
    print(f"\n## spans: {video.name}, {frames} frames, {duration:.1f} s, {fps:.2f} fps")
    print("(CPU: user + system seconds; per thread group 'seconds/threads': model = MediaPipe's graph threads, "
          "decoder = FFmpeg's threads, frames = our decode + colour conversion thread, main = the thread that "
          "calls the model, other = idle pools (OpenBLAS, TFLite) and the rest)")
    decode, convert = _decode_costs(video, frames)
    print(f"decoding alone: {1000 * decode:.2f} ms CPU a frame; decoding + colour conversion to the model's "
          f"RGB: {1000 * convert:.2f} ms a frame (one thread)")
    close_span_workers()  # a span process kept from an earlier video would make the first run a warm one
    meter = ThreadMeter(interval=0.2)
    t0, c0 = time.perf_counter(), _own_cpu()
    single = read_video(video)
    one, one_cpu = time.perf_counter() - t0, _own_cpu() - c0
    usage = meter.close()
    print(f"one process:          {one:6.1f} s  {len(single) / one:6.1f} frames/s  (1.00x)  CPU {one_cpu:.1f} s "
          f"= {1000 * one_cpu / len(single):.1f} ms a frame, {one_cpu / one:.2f} cores busy on average")
    print(f"  by thread group: {_groups(usage)}; model {1000 * usage.seconds['model'] / len(single):.1f} ms "
          f"a frame")
    ratio = _two_spans(video, single, one, one_cpu, fps, first, "span process started now")
    if kept_too:
        _two_spans(video, single, one, one_cpu, fps, first, "span process kept from the run above")
    close_span_workers()
    return ratio


MEMORY_CODE = """
import json, sys, threading, time
from pathlib import Path
import psutil
from gyml.pose.readers import video
if sys.argv[2] == "replay":
    real = video.pose_estimator()
    from gyml.pose.readers.video_chunks import iter_timed_frames
    first = next(f for _, f in iter_timed_frames(Path(sys.argv[3])))
    answer = real.process(first)
    class Replay:
        def __enter__(self): return self
        def __exit__(self, *exc): return False
        def process(self, rgb): return answer
    video.pose_estimator = Replay
me = psutil.Process()
before = me.memory_info().rss
peak = [before]
done = threading.Event()
def sample():
    while not done.wait(0.01):
        peak[0] = max(peak[0], me.memory_info().rss)
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
t0 = time.perf_counter()
seq = video.read_video(Path(sys.argv[1]))
seconds = time.perf_counter() - t0
done.set()
sampler.join()
peak[0] = max(peak[0], me.memory_info().rss)
print(json.dumps({"frames": len(seq), "seconds": seconds, "peak_mb": peak[0] / 2**20, "before_mb": before / 2**20}))
"""


def synthesise_video(source: Path, minutes: float, out: Path, size=(320, 180)) -> Path:
    """A real clip's frames, looped forwards and backwards, for `minutes`, encoded small."""
    import av

    from gyml.pose.readers.video_chunks import iter_timed_frames

    frames = [f for _, f in iter_timed_frames(source, max_side=max(size))]
    loop = frames + frames[-2:0:-1]
    fps = 30
    total = int(minutes * 60 * fps)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "32"}
        encoded = [av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format="yuv420p") for f in loop]
        for i in range(total):
            frame = encoded[i % len(encoded)]
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


def bench_cache() -> Path:
    """Where synthesised benchmark videos are kept between runs ($XDG_CACHE_HOME/gyml/benchmarks)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gyml" / "benchmarks"


def loop_video_full_size(source: Path, minutes: float, folder: Path) -> Path:
    """A real clip looped forwards and backwards (so no frame jumps) at its full size and frame rate, for
    `minutes`, encoded near-losslessly (x264 crf 16) with the source's keyframe interval. Kept in `folder`
    under a name that says what it is, so a rerun does not encode it again."""
    import av

    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        rate, (w, h) = stream.average_rate, (stream.codec_context.width, stream.codec_context.height)
        keyframes = [i for i, p in enumerate(p for p in container.demux(stream) if p.size) if p.is_keyframe]
    gop = keyframes[1] - keyframes[0] if len(keyframes) > 1 else 250
    out = folder / f"{source.stem}-looped-{minutes:g}min-{w}x{h}.mp4"
    if out.exists():
        return out
    folder.mkdir(parents=True, exist_ok=True)
    # The clip's frames as YUV planes in a file on disk: playing them backwards needs every frame at hand,
    # and an hour of 720p would not fit in memory (990 frames of 1280x720 take 1.4 GB).
    planes = folder / f".{source.stem}.yuv"
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        count = stream.frames or sum(1 for p in container.demux(stream) if p.size)
    store = np.lib.format.open_memmap(planes, "w+", np.uint8, (count, h * 3 // 2, w))
    n = 0
    with av.open(str(source)) as container:
        for frame in container.decode(video=0):
            if n == count:
                break
            store[n] = frame.reformat(format="yuv420p").to_ndarray()
            n += 1
    order = list(range(n)) + list(range(n - 2, 0, -1))  # forwards, then backwards without repeating ends
    total = int(round(minutes * 60 * float(rate)))
    partial = out.with_suffix(".partial.mp4")
    with av.open(str(partial), "w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.options = {"preset": "veryfast", "crf": "16", "bf": "2"}
        for i in range(total):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(store[order[i % len(order)]]), format="yuv420p")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    del store
    planes.unlink()
    partial.rename(out)
    return out


def part_memory(source: Path, work: Path, real_model: bool, lengths: list[float]) -> None:
    print("\n## memory: resident memory of single-pass extraction, sampled every 10 ms (a fresh process each)")
    runs = [(m, "replay") for m in lengths] + ([(lengths[0], "model")] if real_model else [])
    made = {}
    for minutes, mode in runs:
        if minutes not in made:
            t0 = time.perf_counter()
            made[minutes] = synthesise_video(source, minutes, work / f"long{minutes}.mp4")
            print(f"synthesised {minutes} min ({made[minutes].stat().st_size / 1e6:.1f} MB) in "
                  f"{time.perf_counter() - t0:.0f} s")
        result = json.loads(subprocess.run([sys.executable, "-c", MEMORY_CODE, str(made[minutes]), mode,
                                            str(source)], env=_env(work / "cache-mem"), check=True,
                                           capture_output=True, text=True).stdout)
        print(f"{minutes:4g} min, {result['frames']:6d} frames, model {'replayed' if mode == 'replay' else 'run'}: "
              f"resident {result['before_mb']:.0f} MB before reading, peak {result['peak_mb']:.0f} MB while "
              f"reading (+{result['peak_mb'] - result['before_mb']:.0f} MB; "
              f"{result['frames'] / result['seconds']:.0f} frames/s)")
    print(f"(for scale: this benchmark process peaked at "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["batch", "spans", "memory", "all"], default="all")
    parser.add_argument("--real-model", action="store_true", help="also run MediaPipe on the first length")
    parser.add_argument("--memory-minutes", default="10,60", help="lengths of the synthesised videos")
    parser.add_argument("--clips", type=int, default=len(CLIPS), help="how many of the short clips to batch")
    parser.add_argument("--spans-video", type=Path, default=SHARED / "videos" / LONG_VIDEO,
                        help="the real video of the spans part, also the clip that is looped into the long one")
    parser.add_argument("--long-minutes", type=float, default=4.0,
                        help="length of the looped long video of the spans part (0: none)")
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"needs the shared data at {SHARED}", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="gyml-batch-scale-"))
    try:
        print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
        if args.part in ("batch", "all"):
            part_batch([SHARED / "videos" / c for c in CLIPS[: args.clips]], work)
        if args.part in ("spans", "all"):
            short = part_spans(args.spans_video)
            if args.long_minutes > 0:
                t0 = time.perf_counter()
                looped = loop_video_full_size(args.spans_video, args.long_minutes, bench_cache())
                print(f"\nthe long video: {args.spans_video.name} looped forwards and backwards to "
                      f"{args.long_minutes:g} min at its full size (x264 crf 16; synthesised or found in "
                      f"{looped.parent} in {time.perf_counter() - t0:.0f} s): a looped real clip, not a real "
                      f"{args.long_minutes:g}-minute recording")
                long = part_spans(looped, kept_too=False)
                print(f"\n2 spans against one pass: {long:.2f}x on the {args.long_minutes:g}-min looped video "
                      f"(the goal, 1.8x, is judged on it), {short:.2f}x on the {args.spans_video.name} clip")
        if args.part in ("memory", "all"):
            part_memory(SHARED / "videos" / LOOP_SOURCE, work, args.real_model,
                        [float(m) for m in args.memory_minutes.split(",")])
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
