"""gyml serve under load, on this machine: 20 uploads at once (all must finish, no 5xx), queue wait and time
to result, status polling requests/s and the server's memory while busy; then live coaching over the
WebSocket from real clips sent as the live page sends a camera's frames (640 px JPEG at 15 fps, real time):
frames/s processed and the delay from each rep's end to its cue arriving (goal: under 1.5 s), per cue; cues per rep of the
final count (goal: one each, none for a rep the count does not hold; a cue the count withdrew is
retracted and shown as such).

    PYTHONPATH=. python benchmarks/serve_load.py            # real pose extraction (an empty pose cache)
    PYTHONPATH=. python benchmarks/serve_load.py --cached   # poses from the shared cache: the queue alone

Baselines measured in the same run: one upload alone (time to result) and the pose model's own speed on
the live frames in this process (frames/s), so the figures read as ratios on a busy machine too.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "data" / "videos" / "counted"
LIVE_CLIPS = ["push-ups__push-up_37.mp4", "squats__squat_19.mp4", "pull-ups__pull-up_6.mp4"]
SEND_FPS, SEND_WIDTH = 15.0, 640


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data: Path, cache: Path | None, workers: int | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if cache is not None:
        env["GYML_CACHE"] = str(cache)
    args = [sys.executable, "-c", "from gyml.cli import main; main()", "serve", "--port", str(port),
            "--data", str(data)] + (["--workers", str(workers)] if workers else [])
    process = subprocess.Popen(args, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/api/analyses", timeout=2)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def tree_rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 1e6
    except psutil.NoSuchProcess:
        return 0.0


def upload_and_wait(url: str, path: Path, out: dict, statuses: list) -> None:
    t0 = time.monotonic()
    with open(path, "rb") as fh:
        response = httpx.post(url + "/api/analyses", files={"file": (path.name, fh)}, timeout=120)
    statuses.append(response.status_code)
    if response.status_code != 201:
        out["error"] = response.text
        return
    job_id = response.json()["id"]
    while True:
        job = httpx.get(f"{url}/api/analyses/{job_id}", timeout=30)
        statuses.append(job.status_code)
        body = job.json()
        if body["status"] in ("done", "failed"):
            out.update(body, time_to_result=time.monotonic() - t0)
            return
        time.sleep(0.5)


def load_test(url: str, server_pid: int, clips: list[Path], n: int) -> None:
    print(f"== one upload alone ({clips[0].name}; after one to warm the workers up)")
    upload_and_wait(url, clips[-1], {}, [])
    alone: dict = {}
    upload_and_wait(url, clips[0], alone, [])
    print(f"time to result {alone['time_to_result']:.1f} s (queue wait {alone['queue_wait_s']:.2f} s, "
          f"run {alone['run_s']:.1f} s)")
    print(f"== {n} uploads at once")
    results = [{} for _ in range(n)]
    statuses: list[int] = []
    threads = [threading.Thread(target=upload_and_wait, args=(url, clips[i % len(clips)], results[i], statuses))
               for i in range(n)]
    peak = [0.0]
    busy = threading.Event()

    def sample_memory():
        while not busy.is_set():
            peak[0] = max(peak[0], tree_rss_mb(server_pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    started = time.monotonic()
    for t in threads:
        t.start()
    # status polling while the queue is busy: one client asking as fast as it can for 5 s, for one
    # analysis (what the result page polls) and for the history
    time.sleep(2.0)
    poll_errors, poll_rates = 0, {}
    with httpx.Client() as client:
        some_id = client.get(url + "/api/analyses").json()["analyses"][0]["id"]
        for what in (f"/api/analyses/{some_id}", "/api/analyses"):
            polls, t0 = 0, time.monotonic()
            while time.monotonic() - t0 < 5.0:
                r = client.get(url + what)
                polls += 1
                poll_errors += r.status_code >= 500
            poll_rates[what] = polls / (time.monotonic() - t0)
    for t in threads:
        t.join()
    busy.set()
    wall = time.monotonic() - started
    done = [r for r in results if r.get("status") == "done"]
    waits = [r["queue_wait_s"] for r in results if r.get("queue_wait_s") is not None]
    totals = [r["time_to_result"] for r in results if "time_to_result" in r]
    server_errors = sum(s >= 500 for s in statuses) + poll_errors
    print(f"finished {len(done)}/{n} (failed {sum(r.get('status') == 'failed' for r in results)}), "
          f"5xx responses: {server_errors}, all in {wall:.1f} s")
    print(f"queue wait: median {statistics.median(waits):.1f} s, max {max(waits):.1f} s")
    print(f"time to result: median {statistics.median(totals):.1f} s, max {max(totals):.1f} s "
          f"(x{statistics.median(totals) / alone['time_to_result']:.1f} / x{max(totals) / alone['time_to_result']:.1f}"
          f" one upload alone)")
    one, history = poll_rates.values()
    print(f"status polling while busy, one client: {one:.0f} requests/s (GET /api/analyses/ID), "
          f"{history:.0f} requests/s (GET /api/analyses, {n + 2} analyses)")
    print(f"server memory while busy (server + workers, peak RSS): {peak[0]:.0f} MB")


def jpeg_frames(path: Path):
    import av
    import cv2

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        frames = []
        for frame in container.decode(stream):
            height = round(SEND_WIDTH * frame.height / frame.width)
            bgr = frame.to_ndarray(format="bgr24", width=SEND_WIDTH, height=height)
            frames.append(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 70])[1].tobytes())
    return fps, frames


def pose_only_fps(frames: list[bytes]) -> float:
    import cv2
    import numpy as np

    from gyml.pose.readers.video import pose_estimator, quiet_native_logs
    from gyml.reps.live import pose_of

    estimator = pose_estimator()
    t0 = time.perf_counter()
    with estimator, quiet_native_logs():
        for jpeg in frames:
            bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            pose_of(estimator, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return len(frames) / (time.perf_counter() - t0)


def live_clip(url: str, path: Path, labelled: int) -> dict:
    from websockets.sync.client import connect

    fps, frames = jpeg_frames(path)
    events, stats = [], []
    origin = time.monotonic()
    with connect(url.replace("http", "ws") + "/ws/live", max_size=None) as ws:
        ws.send(json.dumps({"type": "start"}))
        while json.loads(ws.recv())["type"] != "ready":
            pass

        def receive():
            for raw in ws:
                message = json.loads(raw)
                message["arrived"] = time.monotonic() - origin
                (stats if message["type"] == "stats" else events).append(message)
                if message["type"] == "final":
                    return

        receiver = threading.Thread(target=receive, daemon=True)
        receiver.start()
        start = time.monotonic()
        sent = 0
        for i in range(int(len(frames) / fps * SEND_FPS)):   # the camera: SEND_FPS frames a second, real time
            at = start + i / SEND_FPS
            time.sleep(max(0.0, at - time.monotonic()))
            jpeg = frames[min(len(frames) - 1, int(i / SEND_FPS * fps))]
            ws.send(struct.pack("<d", at - origin) + jpeg)
            sent += 1
        ws.send(json.dumps({"type": "stop"}))
        receiver.join(60)
    cues = [e for e in events if e["type"] == "cue"]
    retracted = {e["rep_id"] for e in events if e["type"] == "retract"}
    # what was taken back: the cue's rep, when it ended and when its cue and its retraction were decided
    taken_back = [(c["rep"], c["rep_end_s"], c["time_s"], r["time_s"]) for r in events if r["type"] == "retract"
                  for c in cues if c["rep_id"] == r["rep_id"]]
    final_event = next((e for e in events if e["type"] == "final"), {})
    final = final_event.get("count")
    held = {r["rep_id"]: r["end_s"] for r in final_event.get("reps", [])}
    stream_end = sent / SEND_FPS
    # cues decided before the stream ended: the delay from the rep's end (as the cue gave it, and as the
    # final count places it) to the cue's arrival
    live = [c for c in cues if c["time_s"] < stream_end - 0.1]
    delays = [c["arrived"] - c["rep_end_s"] for c in live]
    final_delays = [c["arrived"] - held[c["rep_id"]] for c in live if c["rep_id"] in held]
    cued = [c["rep_id"] for c in cues]
    processed = [s["processed_fps"] for s in stats[1:]] or [s["processed_fps"] for s in stats]
    return {"clip": path.name, "labelled": labelled, "final": final, "origin": start - origin,
            "cues": len(cues), "delays": delays,
            "final_delays": final_delays, "retracted": len(retracted), "taken_back": taken_back,
            "unheld": sum(i not in held for i in cued), "repeated": len(cued) - len(set(cued)),
            "uncued": sum(i not in cued for i in held),
            "processed_fps": statistics.median(processed) if processed else 0.0, "sent": sent,
            "frames": frames}


def live_test(url: str) -> None:
    with open(VIDEOS / "manifest.csv") as fh:
        labels = {r["video"]: int(r["reps"]) for r in csv.DictReader(fh)}
    print(f"== live: {len(LIVE_CLIPS)} clips sent as a camera ({SEND_WIDTH} px JPEG at {SEND_FPS:.0f} fps, real time)")
    all_delays, all_final = [], []
    totals = {"cues": 0, "held": 0, "unheld": 0, "repeated": 0, "uncued": 0, "retracted": 0}
    for name in LIVE_CLIPS:
        r = live_clip(url, VIDEOS / name, labels[name])
        baseline = pose_only_fps(r["frames"])
        all_delays += r["delays"]
        all_final += r["final_delays"]
        for key in totals:
            totals[key] += r.get(key, r["final"] if key == "held" else 0) or 0
        shown = ", ".join(f"{d:.2f}" for d in r["delays"]) or "-"
        print(f"{name}: count {r['final']} (labelled {r['labelled']}), {r['cues']} cues ({r['unheld']} for reps "
              f"the final count does not hold, {r['retracted']} retracted, {r['repeated']} repeated, "
              f"{r['uncued']} held reps without one); processed "
              f"{r['processed_fps']:.1f} frames/s of {SEND_FPS:.0f} sent (pose model alone here: {baseline:.1f} "
              f"frames/s, x{r['processed_fps'] / baseline:.2f}); rep end -> cue: {shown} s")
        for rep, end, cued, back in r["taken_back"]:
            print(f"  retracted: rep {rep} (ended {end - r['origin']:.2f} s into the clip), cued at "
                  f"{cued - r['origin']:.2f} s, retracted at {back - r['origin']:.2f} s")
    print(f"cues per rep: {totals['cues']} cues for {totals['held']} reps counted; {totals['unheld']} for reps the "
          f"final count does not hold ({totals['retracted']} retracted), {totals['repeated']} repeated, "
          f"{totals['uncued']} counted reps without a cue")
    for what, delays in (("the rep's end as cued", all_delays), ("the rep's end in the final count", all_final)):
        if delays:
            within = sum(d < 1.5 for d in delays)
            print(f"rep end -> cue over {len(delays)} cues ({what}): median {statistics.median(delays):.2f} s, "
                  f"max {max(delays):.2f} s, {within}/{len(delays)} under 1.5 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cached", action="store_true", help="use the shared pose cache (no pose extraction)")
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: gyml's)")
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--skip-uploads", action="store_true", help="only the live part")
    args = parser.parse_args()
    if not VIDEOS.exists():
        raise SystemExit(f"needs {VIDEOS}")
    clips = sorted(VIDEOS.glob("*.mp4"))
    with tempfile.TemporaryDirectory() as tmp:
        cache = None if args.cached else Path(tmp) / "empty-cache"
        process, url = start_server(Path(tmp) / "data", cache, args.workers)
        print(f"gyml serve on {os.cpu_count()} cores, {'cached poses' if args.cached else 'poses extracted'}")
        try:
            if not args.skip_uploads:
                load_test(url, process.pid, clips, args.uploads)
            if not args.skip_live:
                live_test(url)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)


if __name__ == "__main__":
    main()
