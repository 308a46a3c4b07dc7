"use strict";
const fileInput = document.getElementById("file"), drop = document.getElementById("drop");
const bar = document.getElementById("progress"), statusText = document.getElementById("upload-status");
const errorText = document.getElementById("upload-error"), exercise = document.getElementById("exercise");
const fps = document.getElementById("fps"), layout = document.getElementById("layout");
const gold = document.getElementById("gold");
fillExercises(exercise);
api("/api/layouts").then((l) => {
  for (const k of l.layouts) layout.append(el("option", {value: k.name}, `${k.title} (${k.keypoints} points)`));
}).catch(() => {});
let maxUploadBytes = null;
api("/api/limits").then((l) => { maxUploadBytes = l.max_upload_bytes; }).catch(() => {});

function upload(file) {
  errorText.textContent = "";
  if (maxUploadBytes !== null && file.size > maxUploadBytes) {   // refused before minutes of uploading
    errorText.textContent = `Upload refused: ${file.name} is larger than the upload limit of ${Math.round(maxUploadBytes / 1e6)} MB`;
    return;
  }
  if (!fps.checkValidity()) {   // not a number, or outside 1-1000: said now, not after the upload
    errorText.textContent = "Upload refused: the frame rate must be a number from 1 to 1000, or left empty";
    return;
  }
  const form = new FormData();
  form.append("file", file);
  if (exercise.value) form.append("exercise", exercise.value);
  if (gold.value) form.append("gold_id", gold.value);
  if (fps.value) form.append("fps", fps.value);
  if (layout.value) form.append("layout", layout.value);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/analyses");
  bar.hidden = false; bar.value = 0;
  statusText.textContent = `uploading ${file.name}...`;
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; };
  xhr.onload = () => {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (xhr.status >= 200 && xhr.status < 300 && body) { window.location = `/analyses/${body.id}`; return; }
    bar.hidden = true; statusText.textContent = "";
    errorText.textContent = `Upload refused: ${(body && body.detail) || `error ${xhr.status}`}`;
  };
  xhr.onerror = () => { bar.hidden = true; errorText.textContent = "Upload failed: the server could not be reached."; };
  xhr.send(form);
}
fileInput.addEventListener("change", () => {
  if (!fileInput.files.length) return;
  const file = fileInput.files[0];
  fileInput.value = "";   // the same file chosen again (say with the layout set, after a refusal) is sent again
  upload(file);
});
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault(); drop.classList.remove("over");
  if (e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
});

// The analyses usable as gold (the API's gold_id): finished, of a known exercise, with reps (or a hold)
let golds = [];
function fillGolds() {
  const chosen = gold.value;
  const options = golds.map((a) => {
    // a gold of another exercise than the one named would be refused: shown, not choosable
    const other = Boolean(exercise.value) && a.exercise_label !== exercise.value;
    const size = a.held_s != null ? `held ${a.held_s.toFixed(1)} s` : `${a.count} rep${a.count === 1 ? "" : "s"}`;
    return el("option", Object.assign({value: a.id}, other ? {disabled: ""} : {}),
      `${a.input_name}: ${a.exercise_text}, ${size}, ${when(a.created_at)}${other ? " (another exercise)" : ""}`);
  });
  const key = options.map((o) => o.value + o.textContent).join("|");
  if (gold.dataset.key === key) return;   // unchanged: an open list is not rebuilt under the pointer
  gold.dataset.key = key;
  gold.replaceChildren(el("option", {value: ""}, "none (built-in)"), ...options);
  const still = options.find((o) => o.value === chosen && !o.disabled);
  gold.value = still ? chosen : "";   // deleted meanwhile, or of another exercise than the one now named
}
exercise.addEventListener("change", fillGolds);

// a failed job's reason, on one line (the result page has it whole)
function oneLine(text) {
  const line = String(text || "").split("\n")[0];
  return line.length > 240 ? `${line.slice(0, 239)}\u2026` : line;
}

async function loadHistory() {
  const tbody = document.querySelector("#history tbody");
  const list = (await api("/api/analyses")).analyses;
  golds = list.filter((a) => a.status === "done" && a.exercise_label && (a.count > 0 || a.held_s != null));
  fillGolds();
  tbody.replaceChildren(...list.map((a) => {
    const remove = el("button", {class: "delete", "data-id": a.id}, "delete");
    remove.onclick = async () => {
      if (!confirm(`Delete the analysis of ${a.input_name}?`)) return;
      try {
        await api(`/api/analyses/${a.id}`, {method: "DELETE"});
      } catch (e) {
        errorText.textContent = `Not deleted: ${e.message}`;
      }
      loadHistory();
    };
    // under the name, what tells apart uploads of one file: the exercise, the gold, a failure's reason
    const file = el("td", {class: "file"}, el("a", {href: `/analyses/${a.id}`}, a.input_name));
    const about = [a.exercise_text && el("span", {class: "exercise"}, a.exercise_text),
      a.gold_name && el("span", {class: "gold"}, `gold: ${a.gold_name}`)].filter(Boolean);
    if (about.length) file.append(el("div", {class: "muted small"}, ...about.flatMap((x, i) => i ? [" \u00b7 ", x] : [x])));
    if (a.status === "failed" && a.error) file.append(el("div", {class: "reason error small", title: a.error}, oneLine(a.error)));
    return el("tr", {"data-id": a.id}, file,
      el("td", {}, when(a.created_at)), el("td", {class: "status"}, a.status),
      // its unit shown on a phone, where the rows have no header
      el("td", Object.assign({class: "count"}, a.held_s == null && a.count != null ? {"data-unit": a.count === 1 ? "rep" : "reps"} : {}),
        a.held_s != null ? `held ${a.held_s.toFixed(1)} s` : a.count == null ? "" : a.count),
      el("td", {}, remove));
  }));
  document.getElementById("history-empty").hidden = list.length > 0;
}
loadHistory();
setInterval(loadHistory, 5000);
