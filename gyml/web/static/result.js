"use strict";
const id = window.location.pathname.split("/").filter(Boolean).pop();
const $ = (x) => document.getElementById(x);

function show(a) {
  document.title = `gyml: ${a.input_name}`;
  $("title").textContent = a.input_name;
  if (a.status === "queued" || a.status === "running") {
    const stage = a.status === "queued" ? `queued${a.queue_ahead ? ` (${a.queue_ahead} ahead)` : ""}` : (a.stage || "running");
    $("status").textContent = stage;
    $("progress").hidden = a.progress == null;
    if (a.progress != null) $("progress").value = a.progress;
    return false;
  }
  $("pending").hidden = true;
  if (a.status === "failed") { $("error").hidden = false; $("error").textContent = `The analysis failed: ${a.error}`; return true; }
  const r = a.result;
  $("done").hidden = false;
  $("exercise").textContent = exerciseText(r.exercise);
  // a hold is timed, not counted: its time under tension where a set shows its count, and no reps table
  const hold = r.reps.method === "hold" ? (r.hold || {}) : null;
  $("count-label").textContent = hold ? "Held" : "Repetitions";
  $("count").textContent = hold ? `${(hold.time_under_tension_s || 0).toFixed(1)} s` : r.reps.count;
  $("reps-card").hidden = Boolean(hold);
  $("summary").textContent = r.summary;
  const reference = referenceLine(a, r, hold);
  $("reference").hidden = !reference;
  if (reference) $("reference").replaceChildren("Reference: ", ...reference);
  $("cues").replaceChildren(...(r.feedback.length ? r.feedback.map((f) => el("li", {class: f.severity}, f.message))
    : [el("li", {}, "No feedback.")]));
  const metrics = Object.fromEntries((r.rep_metrics || []).map((m) => [m.rep, m]));
  $("reps").querySelector("tbody").replaceChildren(...r.reps.segments.map((s) => {
    const m = metrics[s.index] || {};
    const tempo = m.tempo_s ? `${m.tempo_s.down.toFixed(1)} / ${m.tempo_s.up.toFixed(1)} s` : "";
    // the faults and their moment in the cues' words ("not deep enough (at the bottom)"), as the report's
    // table says them (the server's fault_texts; phase_words for a server that gives only those)
    const words = a.phase_words || {};
    const faults = (a.fault_texts || {})[String(s.index)] ?? Object.entries(m.fault_phases || {})
      .map(([k, p]) => `${k.replaceAll("_", " ")} (${words[p] || p})`).join(", ");
    // the coach's own frames, in the video's seconds, as its down / up times are read (else as counted)
    const start = m.times_s ? m.times_s.start : s.start / r.fps, end = m.times_s ? m.times_s.end : s.end / r.fps;
    return el("tr", {}, el("td", {}, s.index), el("td", {}, `${start.toFixed(1)} s`),
      el("td", {}, `${end.toFixed(1)} s`), el("td", {}, m.score == null ? "" : m.score),
      el("td", {}, tempo), el("td", {}, faults));
  }));
  if (a.files.report) { $("report").src = a.files.report; $("report-link").href = a.files.report; }
  if (a.files.overlay) { $("overlay-card").hidden = false; $("overlay").src = a.files.overlay; }
  $("downloads").replaceChildren("Downloads: ", ...Object.entries(a.files).flatMap(([k, url]) =>
    [el("a", {href: url, download: ""}, k), " "]));
  return true;
}

// What the reps were compared with (coach.gold, or a hold's reference): the person's own gold by its name
// (linked to its analysis when it is one), else the built-in one; null when nothing was coached.
function referenceLine(a, r, hold) {
  const gold = (r.coach && r.coach.gold) || {};
  const own = gold.source === "file" || gold.source === "library" || (hold && hold.reference === "gold");
  if (own) {
    const name = a.gold_name || gold.name;
    if (!name) return ["your stored gold"];
    const shown = a.gold_id ? el("a", {href: `/analyses/${a.gold_id}`}, name) : name;
    return [shown, gold.source === "library" ? " (your gold, from your library)" : " (your gold)"];
  }
  const label = gold.exercise || (hold && hold.exercise);
  if (gold.source === "builtin" || (hold && hold.reference === "built-in")) {
    const name = r.exercise && r.exercise.label === label ? r.exercise.name.toLowerCase()
      : String(label || "reference").replaceAll("_", " ");
    // a rep set is also compared with its own best reps (coach.reference says so); a hold is not
    const best = r.coach && r.coach.method === "gyml" && !hold ? ", and your own best reps" : "";
    return [`the built-in ${name}${best}`];
  }
  return r.coach && r.coach.reference ? [String(r.coach.reference)] : null;
}

async function poll() {
  try {
    const finished = show(await api(`/api/analyses/${id}`));
    if (!finished) setTimeout(poll, 700);
  } catch (e) {
    $("pending").hidden = true; $("error").hidden = false; $("error").textContent = e.message;
  }
}
$("delete").onclick = async () => {
  if (!confirm("Delete this analysis?")) return;
  try {
    await api(`/api/analyses/${id}`, {method: "DELETE"});
  } catch (e) {   // deleted meanwhile (in another tab), or the server is gone: say so
    $("error").hidden = false; $("error").textContent = `Not deleted: ${e.message}`;
    return;
  }
  window.location = "/";
};
poll();
