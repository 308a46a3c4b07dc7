"use strict";
// Shared helpers of gyml's pages (no external scripts: everything is served by gyml).
const EXERCISES = ["squat", "push_up", "pull_up", "dip", "lunge", "deadlift", "bench_press", "shoulder_press",
  "bicep_curl", "sit_up", "jumping_jack", "plank"];
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) { if (k === "class") node.className = v; else node.setAttribute(k, v); }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return node;
}
async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) throw new Error((body && body.detail) ? (typeof body.detail === "string" ? body.detail :
    JSON.stringify(body.detail)) : `request failed (${response.status})`);
  return body;
}
async function fillExercises(select) {
  try {
    const spec = await api("/api/exercises");
    for (const e of spec.exercises) select.append(el("option", {value: e.label}, e.name));
  } catch (e) {
    for (const e2 of EXERCISES) select.append(el("option", {value: e2}, e2.replace("_", " ")));
  }
}
function when(seconds) { return new Date(seconds * 1000).toLocaleString(); }

// as gyml.report.analysis.exercise_text: a guess marked as one, a person's own exercise as theirs
function exerciseText(e) {
  if (!e || e.label === "unknown") return "not recognised";
  if (e.personal) return `${e.name} (yours)`;
  if (e.named) return e.recognised
    ? `${e.name} (named; looks like ${e.recognised.name.toLowerCase()}, ${Math.round(e.recognised.confidence * 100)}%)`
    : `${e.name} (named)`;
  const sure = `${Math.round(e.confidence * 100)}%`;
  return e.guess ? `looks like ${e.name.toLowerCase()} (${sure}, a guess)` : `${e.name} (${sure})`;
}
