"""Live coaching over a WebSocket: the browser sends camera frames, the server answers with the count
and each rep's cue.

Protocol on /ws/live: the client may first send {"type": "start", "exercise": NAME | null}; then binary
messages, each an 8-byte little-endian float64 timestamp (seconds, the client's clock) followed by a
JPEG frame; {"type": "stop"} ends the set. Any other text message (not JSON, not an object, another
type) is answered {"type": "error", "message": ...} and ignored; a start whose exercise is not a name the
server knows is answered so, then the connection is closed. A frame whose timestamp is not finite or jumps
more than MAX_STAMP_GAP_S ahead is dropped (said once). The server sends {"type": "ready"} once the pose model is
loaded, {"type": "count", ...}, {"type": "hold", "held_s": ...} (each second of a hold) and
{"type": "cue", ...} events (LiveEvent fields; times on the client's
clock, so the client can tell how long after a rep's end its cue arrived), {"type": "stats", ...} each
second (frames received, processed and dropped per second) and {"type": "final", "count": N, "reps":
[{"rep_id", "end_s"}, ...]} (the final count's reps, each rep's end on the client's clock; a set that
ends in a hold also has "hold": its exercise, whose times are the last cue, and the reps counted before
it, if any).

Each cue names its rep's identity (`rep_id`); there is at most one cue per `rep_id`. When the count
withdraws a rep whose cue was sent, {"type": "retract", "rep_id": ID, ...} follows, and the page removes
that cue; a cue whose rep is withdrawn before its coaching is done is never sent. A retraction lowers the
number of each cue standing after it by one: {"type": "renumber", "rep_id": ID, "rep": N, "count": ...}
follows the retraction for each such cue that was sent (the page writes "Rep N" in its place; a cue not
yet sent goes out under its new number), before the "count" message that falls with them.

Frames wait for the pose model, in its own thread, in a FrameBacklog (gyml.reps.backlog): each one while
the model keeps up; when it stalls, only the last CATCH_UP_S of frames, thinned, so that it catches up on
what the person did meanwhile without falling further behind. The frames waiting at a stop are processed
before the set ends (the last frame sent is always counted), and the final count's reps end at the latest
at that frame's time (see LiveCoach.stop).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import queue
import struct
import threading
import time

import numpy as np
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from gyml.errors import GymlError
from gyml.reps.backlog import FrameBacklog

MAX_FRAME_BYTES = 2_000_000
STATS_EVERY_S = 1.0


class LiveChannel:
    """One connection's pose thread and coach; frames in through `offer`, events out through `emit`."""

    def __init__(self, emit, exercise: str | None = None):
        self.emit = emit
        self.exercise = exercise
        self._backlog = FrameBacklog()   # frames waiting for the pose model: (JPEG, its number) by stamp
        self._ready = threading.Condition()
        self._closed = False
        self._stopping = False
        self.received = self.processed = self.dropped = 0
        self._judging: queue.Queue = queue.Queue()   # cues waiting for the coaching thread; None ends it
        self._withdrawn: set[int] = set()   # rep ids the count took back (their cues are not to be sent)
        self._sent: set[int] = set()        # rep ids whose cue went out
        # retractions, and the "count" events behind them, given to the coaching thread and not yet out
        self._ordered = 0
        self._order = threading.Lock()
        self._last_stamp: float | None = None   # the newest frame's timestamp
        self._thread = threading.Thread(target=self._run, name="gyml-live", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def offer(self, stamp: float, jpeg: bytes) -> None:
        with self._ready:
            self.received += 1
            self.dropped += self._backlog.put(stamp, (jpeg, self.received))
            self._ready.notify()

    def stop(self) -> None:
        """The set ended: finish counting, then close."""
        with self._ready:
            self._stopping = True
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._judging.put(None)

    def _run(self) -> None:
        import cv2

        from gyml.pose.readers.video import pose_estimator, quiet_native_logs
        from gyml.reps.live import LiveCoach, pose_of

        coach = LiveCoach(exercise=self.exercise, defer_coaching=True)
        estimator = pose_estimator()
        judging = self._judging
        warm = threading.Event()
        judge = threading.Thread(target=self._judge, args=(judging, coach, warm), name="gyml-live-coach",
                                 daemon=True)
        judge.start()
        warm.wait()
        self.emit({"type": "ready"})
        last_stats = time.monotonic()
        # the rates start at "ready": the frames sent while the model loaded came in faster than the
        # camera's rate (the page said "15.8 of 69.6" at first)
        with self._ready:
            window = [self.received, self.processed, self.dropped]   # at the last stats
        fresh = 0   # frames processed since then that were also received since then
        with estimator, quiet_native_logs():
            while True:
                with self._ready:
                    self._ready.wait_for(lambda: len(self._backlog) or self._closed or self._stopping,
                                         timeout=STATS_EVERY_S)
                    if self._closed:
                        return
                    item = self._backlog.take()
                    if item is None and self._stopping:
                        break
                if item is not None:
                    stamp, (jpeg, number), _ = item
                    self._last_stamp = stamp
                    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
                    if bgr is not None:
                        joints, conf = pose_of(estimator, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                        for event in coach.add(stamp, joints, conf):
                            self._route(event, coach, judging)
                    self.processed += 1
                    fresh += number > window[0]
                now = time.monotonic()
                if now - last_stats >= STATS_EVERY_S:
                    span = now - last_stats
                    counts = [self.received, self.processed, self.dropped]
                    rates = [(c - w) / span for c, w in zip(counts, window)]
                    # processed of the frames sent in this second: one sent just before it and processed
                    # in it belongs to the second before (the page said "16.5 of 15.5")
                    rates[1] = fresh / span
                    self.emit({"type": "stats", "received_fps": round(rates[0], 1),
                               "processed_fps": round(rates[1], 1), "dropped_fps": round(rates[2], 1),
                               "count": coach.shown_count})
                    window, last_stats, fresh = counts, now, 0
        for event in coach.stop(self._last_stamp):
            self._route(event, coach, judging)
        judging.put(None)
        judge.join()
        t0 = coach._t0 or 0.0
        final = {"type": "final", "count": coach.count,
                 "reps": [{"rep_id": r.id, "end_s": round(r.end / coach.rate + t0, 3)} for r in coach.reps]}
        if coach.hold:   # timed, not counted (its times came as the last cue); the reps before it, if any
            final["hold"] = coach.exercise
        self.emit(final)

    def _route(self, event, coach, judging: queue.Queue) -> None:
        """Counts go out now; a cue goes to the coaching thread, so the pose thread never waits for it, and
        so does a retraction, to follow its cue (or to stop it from going out, if it is still queued).
        The renumberings a retraction causes follow it there too (after their cues), and the count that
        falls with them, so that the page never shows the lower count beside the cue still to be taken
        back or renumbered, and so does every count after it until it is out (counts keep their order)."""
        if event.kind in ("retract", "renumber") or (event.kind == "count" and self._ordered):
            if event.kind == "retract":
                self._withdrawn.add(event.rep_id)
            with self._order:
                self._ordered += 1
            judging.put(event)
        elif event.judge is not None:
            judging.put(event)
        else:
            self.emit(self._event(event, coach))

    def _judge(self, judging: queue.Queue, coach, warm: threading.Event) -> None:
        try:
            coach.warm_up()   # before "ready", so that the first rep's cue is as quick as the others
        finally:
            warm.set()
        while (event := judging.get()) is not None:
            if self._closed:
                return
            if event.kind in ("count", "retract", "renumber"):
                if event.kind == "count":   # a count behind a retraction
                    self.emit(self._event(event, coach))
                elif event.rep_id in self._sent:   # (a cue not sent went out renumbered, or never will)
                    if event.kind == "retract":
                        self._sent.discard(event.rep_id)
                    self.emit(self._event(event, coach))
                with self._order:   # out: a count may go straight out again once none waits here
                    self._ordered -= 1
            elif event.rep_id not in self._withdrawn:   # withdrawn while queued: never said at all
                self.emit(self._event(event.judge(), coach))
                self._sent.add(event.rep_id)

    def _event(self, event, coach) -> dict:
        out = {"type": event.kind, **event.to_dict()}
        t0 = coach._t0 or 0.0   # events carry stream times from the first frame; the client wants its clock
        for key in ("time_s", "rep_end_s"):
            if key in out:
                out[key] = round(out[key] + t0, 3)
        return out


def add_live_routes(app: FastAPI) -> None:
    @app.websocket("/ws/live")
    async def live_socket(ws: WebSocket):
        await ws.accept()
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue = asyncio.Queue()

        def emit(message: dict) -> None:
            loop.call_soon_threadsafe(outbox.put_nowait, message)

        async def sender():
            while True:
                message = await outbox.get()
                await ws.send_text(json.dumps(message))
                if message.get("type") == "final":
                    return

        channel = None
        send_task = asyncio.create_task(sender())
        # a client gone while a message was on its way fails the sender: nothing to report, and not to be
        # logged later as an exception never retrieved
        send_task.add_done_callback(lambda task: task.cancelled() or task.exception())
        told: set[str] = set()   # what was said about frames already: once each, not 15 times a second
        last_stamp: float | None = None
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("text") is not None:
                    try:
                        kind, exercise = _command(message["text"])
                    except BadMessage as exc:   # said, and the message ignored: the set goes on
                        await ws.send_text(json.dumps({"type": "error", "message": str(exc)}))
                        continue
                    if kind == "start" and channel is None:
                        channel = _open(emit, exercise)
                    elif kind == "stop" and channel is not None:
                        channel.stop()
                        await asyncio.wait_for(send_task, timeout=30)
                        break
                    continue
                data = message.get("bytes") or b""
                if len(data) <= 8 or len(data) > MAX_FRAME_BYTES:
                    continue
                stamp = struct.unpack("<d", data[:8])[0]
                problem = _bad_stamp(stamp, last_stamp)
                if problem is not None:
                    if problem not in told:
                        told.add(problem)
                        emit({"type": "error", "message": problem})
                    continue
                last_stamp = stamp if last_stamp is None else max(last_stamp, stamp)
                if channel is None:
                    channel = _open(emit, None)
                channel.offer(stamp, data[8:])
        except (TimeoutError, WebSocketDisconnect, OSError):
            pass   # the client went away (a tab closed, the network dropped): an ordinary end
        except GymlError as exc:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await ws.send_text(json.dumps({"type": "error", "message": str(exc)}))
        except Exception as exc:  # noqa: BLE001 - a bug of ours: one line to the client, as the API says it
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await ws.send_text(json.dumps({"type": "error", "message": f"internal error "
                                               f"({type(exc).__name__}); please report it"}))
        finally:
            if channel is not None:
                channel.close()
            send_task.cancel()
            if ws.client_state is WebSocketState.CONNECTED and ws.application_state is WebSocketState.CONNECTED:
                # the client may be gone without having said so (a connection cut): closing then finds out
                with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                    await ws.close()


class BadMessage(ValueError):
    """A text message the protocol has no place for: told to the client, then ignored."""


SEND_INSTEAD = 'send {"type": "start"} (optionally with "exercise": a name) or {"type": "stop"}'


def _command(text: str) -> tuple[str, object]:
    """A text message's type ("start" or "stop") and its exercise, as sent (checked when the set starts)."""
    try:
        command = json.loads(text)
    except (ValueError, RecursionError):   # not JSON; a number too long to read; nested too deep
        raise BadMessage(f"a text message must be a JSON object: {SEND_INSTEAD}") from None
    if not isinstance(command, dict):
        raise BadMessage(f"a text message must be a JSON object, not {_json_kind(command)}: {SEND_INSTEAD}")
    kind = command.get("type")
    if kind not in ("start", "stop"):
        shown = repr(kind[:20]) if isinstance(kind, str) else _json_kind(kind)
        raise BadMessage(f"unknown message type {shown}: {SEND_INSTEAD}")
    return kind, command.get("exercise")


def _json_kind(value) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "true or false"), (str, "a string"), (int, "a number"), (float, "a number"),
                       (list, "a list"), (dict, "an object")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


MAX_STAMP_GAP_S = 600.0   # a frame this long after the one before: no camera pauses a set that long


def _bad_stamp(stamp: float, last: float | None) -> str | None:
    """Why a frame's timestamp cannot be taken, or None. The live coach steps its clock to each frame's
    time: an infinite one never ends the step, one years ahead keeps it busy for hours."""
    if not math.isfinite(stamp):
        return "a frame's timestamp must be a finite number of seconds: frames with another are dropped"
    if last is not None and stamp - last > MAX_STAMP_GAP_S:
        return (f"a frame's timestamp jumped more than {MAX_STAMP_GAP_S:.0f} s ahead of the frame before: such "
                "frames are dropped; start a new set")
    return None


def _open(emit, exercise) -> LiveChannel:
    if exercise is not None and not isinstance(exercise, str):
        raise GymlError(f"the start message's exercise must be an exercise's name or null, not "
                        f"{_json_kind(exercise)}")
    if exercise:
        from gyml.web.app import _check_exercise
        exercise = _check_exercise(exercise)
    channel = LiveChannel(emit, exercise or None)
    channel.start()
    return channel
