"""The live page's pose rate ("pose at P frames/s of R sent"): R is the frames the browser sent in the last
second, P how many of those the pose model processed. A user saw "15.8 of 69.6" at the start (frames sent
while the model loaded, counted into the first second) and "16.5 of 15.5" (a frame sent just before a second
and processed in it, counted in both)."""

import threading
import time

import cv2
import numpy as np

from gyml.web.live import LiveChannel


def test_the_pose_rate_counts_the_frames_of_each_second_once():
    messages, ready, final = [], threading.Event(), threading.Event()

    def emit(message):
        messages.append(message)
        {"ready": ready, "final": final}.get(message["type"], threading.Event()).set()

    jpeg = cv2.imencode(".jpg", np.full((240, 320, 3), 120, np.uint8))[1].tobytes()
    channel = LiveChannel(emit)
    channel.start()
    try:
        t = 0.0
        for _ in range(60):   # the page sends frames from the moment it connects, while the model loads
            channel.offer(t, jpeg)
            t += 1 / 15
        assert ready.wait(120)
        start = time.monotonic()
        while time.monotonic() - start < 4.5:   # then a camera's 15 frames a second
            channel.offer(t, jpeg)
            t += 1 / 15
            time.sleep(1 / 15)
        channel.stop()
        assert final.wait(30)
    finally:
        channel.close()
    stats = [m for m in messages if m["type"] == "stats"]
    assert len(stats) >= 3
    for s in stats:
        assert s["received_fps"] <= 17, stats
        assert s["processed_fps"] <= s["received_fps"], stats
