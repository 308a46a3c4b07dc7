"use strict";
// Camera -> JPEG frames at up to 15 fps, 640 px on their longer side (as the server reads videos), over a
// WebSocket; count and per-rep cues back. (At 320 px the pose's jitter on a person lying in a plank was 3.5
// times that at 640 and read as reps: benchmarks/live_frame_width.py.)
// MAX_BUFFERED: about 5 frames of 20 kB still to go out (a slow uplink); more would only arrive stale
const SEND_FPS = 15, LONG_SIDE = 640, MAX_BUFFERED = 100000;
const $ = (x) => document.getElementById(x);
let socket = null, stream = null, timer = null, sending = false;
fillExercises($("exercise"));

function freshSet() {   // each Start is a new set: nothing of the last one stays on the page
  window.gymlLive = {cues: [], delays: [], retracted: [], stats: null, count: 0, held: null, final: null};
  $("count-label").textContent = "Repetitions"; $("count").textContent = "0";
  $("cue-label").textContent = "Last rep"; $("cue").textContent = ""; $("cue").className = "";
  delete $("cue").dataset.repId;
  for (const id of ["delay", "exercise-now", "rate", "live-error"]) $(id).textContent = "";
  $("cues").replaceChildren();
}
freshSet();

// A cue's text under another rep number: "Rep 9: ..." -> "Rep 8: ...".
const withNumber = (text, n) => text.replace(/^Rep \d+\b/, `Rep ${n}`);

// A standing cue renumbered (an earlier cued rep was taken back): the list, the last rep panel if it shows
// that cue, and window.gymlLive.cues.
function renumberCue(repId, n) {
  const item = document.querySelector(`#cues li[data-rep-id="${repId}"]`);
  if (item) item.textContent = withNumber(item.textContent, n);
  if ($("cue").dataset.repId === String(repId)) $("cue").textContent = withNumber($("cue").textContent, n);
  for (const cue of window.gymlLive.cues) {
    if (cue.rep_id === repId) { cue.rep = n; cue.message = withNumber(cue.message, n); }
  }
}

// The final count's reps in order: each rep's cue numbered by its place there. A cue's number is its rep's
// place in the count when it was sent, which reps counted later before it can change.
function numberAsFinal(reps) {
  const place = new Map(reps.map((r, i) => [r.rep_id, i + 1]));
  if (place.size !== reps.length) return;   // reps on both sides of a hold: their ids are per part
  const items = [...document.querySelectorAll("#cues li[data-rep-id]")];
  const slots = items.map((li) => { const mark = document.createComment(""); li.replaceWith(mark); return mark; });
  items.sort((a, b) => (place.get(+a.dataset.repId) || Infinity) - (place.get(+b.dataset.repId) || Infinity));
  items.forEach((li, i) => {
    const n = place.get(+li.dataset.repId);
    if (n !== undefined) li.textContent = withNumber(li.textContent, n);
    slots[i].replaceWith(li);
  });
  for (const cue of window.gymlLive.cues) {
    const n = place.get(cue.rep_id);
    if (n !== undefined) { cue.rep = n; cue.message = withNumber(cue.message, n); }
  }
}

function say(text) {
  if (!$("speak").checked || !window.speechSynthesis) return;
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
}

function onEvent(message) {
  if (message.type === "ready") $("live-status").textContent = "Counting: start your set.";
  else if (message.type === "count") {   // (after a hold left for reps, the count takes its place again)
    $("count-label").textContent = "Repetitions"; $("count").textContent = message.count;
    $("cue-label").textContent = "Last rep";
    window.gymlLive.count = message.count; window.gymlLive.held = null;
  }
  else if (message.type === "hold") {   // a hold is timed: its seconds where a set shows its count
    $("count-label").textContent = "Held"; $("count").textContent = `${message.held_s.toFixed(0)} s`;
    $("cue-label").textContent = "Last cue";
    const reps = window.gymlLive.count;
    $("live-status").textContent = reps ? `Timing the hold (after ${reps} rep${reps === 1 ? "" : "s"}).`
                                        : "Timing the hold.";
    window.gymlLive.held = message.held_s;
  }
  else if (message.type === "cue") {
    // a rep's cue, or a hold's (no rep: a posture fault since rep_end_s, or the hold's times at the end)
    const rep = message.rep_id !== undefined && message.rep_id !== null;
    const delay = message.rep_end_s === undefined ? null : performance.now() / 1000 - message.rep_end_s;
    window.gymlLive.cues.push(message);
    if (message.exercise_text) $("exercise-now").textContent = `Exercise: ${message.exercise_text}`;
    if (rep) window.gymlLive.delays.push(delay);
    $("cue").textContent = message.message; $("cue").className = message.severity;
    $("delay").textContent = delay === null ? "" :
      `shown ${delay.toFixed(1)} s after ${rep ? "the rep ended" : "it began"}`;
    $("cues").append(el("li", rep ? {class: message.severity, "data-rep-id": message.rep_id}
                                  : {class: message.severity}, message.message));
    if (rep) $("cue").dataset.repId = message.rep_id; else delete $("cue").dataset.repId;
    say(message.message);
  } else if (message.type === "retract") {
    // the count took the rep back: its cue goes, and is no longer spoken (the count this leaves shown,
    // if lower, follows as a "count" message)
    window.gymlLive.retracted.push(message.rep_id);
    window.gymlLive.cues = window.gymlLive.cues.filter((c) => c.rep_id !== message.rep_id);
    const item = document.querySelector(`#cues li[data-rep-id="${message.rep_id}"]`);
    if (item) item.remove();
    if ($("cue").dataset.repId === String(message.rep_id)) {
      if (window.speechSynthesis) window.speechSynthesis.cancel();
      $("cue").textContent = message.message; $("cue").className = "info"; $("delay").textContent = "";
      delete $("cue").dataset.repId;
    }
  } else if (message.type === "renumber") {
    // a rep before this cue's was taken back: its number falls (the count that falls with it follows)
    renumberCue(message.rep_id, message.rep);
  } else if (message.type === "stats") {
    window.gymlLive.stats = message;
    $("rate").textContent = `pose at ${message.processed_fps} frames/s of ${message.received_fps} sent`;
  } else if (message.type === "final") {
    window.gymlLive.final = message.count;
    if (!message.hold) $("count").textContent = message.count;
    numberAsFinal(message.reps || []);
    const reps = `${message.count} rep${message.count === 1 ? "" : "s"}`;
    $("live-status").textContent = !message.hold ? `Set finished: ${reps}.`
      : message.count ? `Set finished: ${reps}, then the hold: its times are the last cue.`
      : "Hold finished: its times are the last cue.";
  } else if (message.type === "error") $("live-error").textContent = message.message;
}

// The size a camera's frame is sent at: LONG_SIDE on its longer side (a phone held upright too).
function frameSize(width, height) {
  const scale = LONG_SIDE / Math.max(width, height);
  return [Math.round(scale * width), Math.round(scale * height)];
}

function sendFrame() {
  const video = $("camera"), canvas = $("frame");
  if (!socket || socket.readyState !== WebSocket.OPEN || !video.videoWidth || sending) return;
  // a frame still on its way: skip this one rather than queue stale frames on the network
  if (socket.bufferedAmount > MAX_BUFFERED) return;
  [canvas.width, canvas.height] = frameSize(video.videoWidth, video.videoHeight);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  const stamp = performance.now() / 1000;
  sending = true;
  canvas.toBlob(async (blob) => {
    sending = false;
    if (!blob || !socket || socket.readyState !== WebSocket.OPEN) return;
    const jpeg = new Uint8Array(await blob.arrayBuffer());
    const message = new Uint8Array(8 + jpeg.length);
    new DataView(message.buffer).setFloat64(0, stamp, true);
    message.set(jpeg, 8);
    socket.send(message);
  }, "image/jpeg", 0.7);
}

$("start").onclick = async () => {
  clearInterval(timer);
  freshSet();
  try {
    stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: false});
  } catch (e) { $("live-error").textContent = `The camera cannot be opened: ${e.message}`; return; }
  $("camera").srcObject = stream;
  if (socket) socket.close();   // the last set's connection: whatever it still says is not about this set
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const own = new WebSocket(`${scheme}://${location.host}/ws/live`);
  socket = own;
  own.onopen = () => {
    own.send(JSON.stringify({type: "start", exercise: $("exercise").value || null}));
    timer = setInterval(sendFrame, 1000 / SEND_FPS);
    $("live-status").textContent = "Loading the pose model...";
  };
  own.onmessage = (e) => { if (socket === own) onEvent(JSON.parse(e.data)); };
  own.onclose = () => {
    if (socket !== own) return;
    clearInterval(timer); $("start").disabled = false; $("stop").disabled = true;
  };
  own.onerror = () => { if (socket === own) $("live-error").textContent = "The connection to the server failed."; };
  $("start").disabled = true; $("stop").disabled = false;
};
$("stop").onclick = () => {
  clearInterval(timer);
  if (stream) stream.getTracks().forEach((t) => t.stop());
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({type: "stop"}));
  $("stop").disabled = true;
};
