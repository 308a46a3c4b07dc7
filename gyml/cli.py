"""The `gyml` command: a thin Typer layer over the library. Errors in the input become one line on
stderr and exit code 2; result files are written atomically, so a failure never leaves a partial one."""

from __future__ import annotations

import functools
import json
import os
import sys
import warnings
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from gyml.batch.cli import batch as batch_command
from gyml.errors import GymlError
from gyml.progress import progress_bar
from gyml.validate import LAYOUT_OPTION_HELP

JOBS_HELP = "processes extracting one long video in overlapping spans (0: every core; 1: one pass)"

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="gyml: count, recognise and coach exercise repetitions from video or 3D pose files.")
gold_app = typer.Typer(no_args_is_help=True, help="Manage gold reference performances.")
app.add_typer(gold_app, name="gold")
out = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from gyml import __version__
        out.print(f"gyml {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                          help="print the version and exit")):
    """gyml: count, recognise and coach exercise repetitions from video or 3D pose files."""


def fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def friendly(func):
    """Turn GymlError (and a few OS errors) into one line and exit code 2, never a traceback. Numerical
    warnings that escaped the code that should have handled them become one summary line, not raw output."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            if os.environ.get("GYML_DEBUG"):
                return func(*args, **kwargs)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = func(*args, **kwargs)
            _summarise_warnings(caught)  # after a failure the error is the one line shown
            return result
        except GymlError as exc:
            fail(str(exc))
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            fail(f"{exc.strerror}: {exc.filename}")
        except KeyboardInterrupt:
            fail("interrupted")
        except BrokenPipeError:
            # whoever read our output stopped reading (`| head`): nothing to tell them; files are written
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except typer.Exit:
            raise
        except Exception as exc:  # a bug of ours: still one line for the user; GYML_DEBUG=1 shows the trace
            if os.environ.get("GYML_DEBUG"):
                raise
            fail(f"unexpected {type(exc).__name__}: {exc} (set GYML_DEBUG=1 for details and please report it)")
    return wrapper


def _summarise_warnings(caught: list) -> None:
    shown = [w for w in caught if not _deprecation(w)]
    if shown:
        kinds = sorted({w.category.__name__ for w in shown})
        err.print(f"[dim]note: {len(shown)} numerical warning{'s' if len(shown) > 1 else ''} ({', '.join(kinds)}) "
                  "while processing; GYML_DEBUG=1 shows them[/]", highlight=False)


def _deprecation(caught) -> bool:
    """A library telling of its own deprecations, whatever the category it uses (protobuf under MediaPipe
    warns "GetPrototype() is deprecated" as a UserWarning on every live frame): nothing about the input."""
    return issubclass(caught.category, (DeprecationWarning, PendingDeprecationWarning)) or \
        "deprecated" in str(caught.message).lower()


def _progress() -> Progress:
    return progress_bar(console=err)


FPS_HELP = "frame rate for pose files that do not store it (read at 30 fps otherwise)"
FPS_ASSUMED_NOTE = "no frame rate stored in the file: read at 30 fps; give --fps if it was filmed at another rate"


def _read(path: Path, progress: Progress | None = None, fps: float | None = None, layout: str | None = None,
          jobs: int = 1):
    """The poses of `path`; a video's through the pose cache (gyml.pose.cache, by content), as the web app
    and batch read them: the same video analysed again skips the pose model."""
    from gyml.pose.cache import cached_read_pose

    task = None
    if progress is not None:
        task = progress.add_task(f"pose {path.name}", total=None)

    def tick(done, total):
        if progress is not None:
            progress.update(task, completed=done, total=total)

    try:
        return cached_read_pose(path, fps=fps, progress=tick, layout=layout, jobs=jobs)
    finally:
        if progress is not None:
            progress.remove_task(task)


def _load_dataset(data_dir: Path):
    from gyml.classify.recordings import label_typos, load_training_data

    data, problems = load_training_data(data_dir)
    for line in problems:   # file names are the user's: printed as they are, never read as markup
        err.print(f"skipped {line}", highlight=False, markup=False, soft_wrap=True)
    for line in label_typos(data.labels):
        err.print(f"note: {line}", highlight=False, markup=False, soft_wrap=True)
    return data


def _finish_batch(lines: list[str], failed: int, jsonl: Path | None, verb: str) -> None:
    """Write the JSON lines of a batch command in one go and exit 2 if any input failed."""
    if jsonl:
        _write_text(jsonl, "\n".join(lines) + ("\n" if lines else ""))
        out.print(f"wrote {jsonl} ({len(lines) - failed} {verb}, {failed} failed)")
    if failed:
        raise typer.Exit(2)


def _attempt(path: Path, batch: bool, work):
    """(work(path), None); in a batch a failing input gives (None, its error line) instead of stopping the
    others, alone it raises (one line from `friendly`)."""
    try:
        return work(path), None
    except Exception as exc:
        if not batch:
            raise
        return None, _error_line(path, exc)


def _error_line(path: Path, exc: BaseException) -> dict:
    """A batch input's failure as a JSON object: a GymlError is the input's fault ("input"); anything else
    is a bug of ours ("unexpected"), still recorded so the other inputs' results are kept."""
    if isinstance(exc, GymlError):
        return {"input": str(path), "error": str(exc), "error_kind": "input"}
    if isinstance(exc, MemoryError):
        return {"input": str(path), "error": "not enough memory for this input", "error_kind": "memory"}
    return {"input": str(path), "error": f"unexpected {type(exc).__name__}: {str(exc)[:300]}",
            "error_kind": "unexpected"}


def _named(path: Path, message: str) -> str:
    """An input's error led by its file name, once: most readers' messages already begin with it."""
    return message if message.startswith(f"{path.name}:") else f"{path.name}: {message}"


def _validate_common(inputs: list[Path], fps: float | None, outputs: dict, method: str | None = None,
                     layout: str | None = None) -> None:
    """Every option and output path checked before any input is read (a layout's name too, as `gyml batch`
    checks it: a pose file that stores its layout would otherwise pass an unknown one unnoticed)."""
    from gyml.reps.counter import METHODS
    from gyml.validate import check_choice, check_fps, check_layout, check_outputs

    check_fps(fps)
    check_layout(layout)
    if method is not None:
        check_choice("counting method", method, METHODS)
    check_outputs(inputs, outputs)


def _write_text(path: Path, text: str) -> None:
    from gyml.pose.sequence import write_atomically
    write_atomically(path, lambda fh: fh.write(text), mode="w")


@app.command()
@friendly
def extract(video: Path = typer.Argument(..., help="video or pose file"),
            output: Path = typer.Option(..., "-o", "--output", help="gyml pose file (.npz)"),
            fps: float | None = typer.Option(None, help=FPS_HELP),
            layout: str | None = typer.Option(None, help=LAYOUT_OPTION_HELP),
            jobs: int = typer.Option(0, help=JOBS_HELP),
            mirrored: bool = typer.Option(False, help="also read every frame mirrored and average the two "
                                          "readings (a video; one pass, about twice the time; --jobs unused)")):
    """Recover the 3D pose in every frame and save it as a gyml .npz pose file."""
    from gyml.validate import check_count, check_outputs
    check_count("--jobs", jobs, 0, 256)
    if output.suffix.lower() != ".npz":   # the poses are written as .npz whatever the name says
        fail(f"--output {output}: a gyml pose file is .npz; name it so (e.g. {output.with_suffix('.npz').name})")
    check_outputs([video], {"--output": output})
    with _progress() as progress:
        if mirrored:
            from gyml.pose.mirror import extract_mirrored
            task = progress.add_task(f"pose {video.name}, as filmed and mirrored", total=None)
            seq = extract_mirrored(video, lambda done, total: progress.update(task, completed=done, total=total))
        else:
            seq = _read(video, progress, fps, layout, jobs)
    seq.save(output)
    seen = seq.present.mean()
    out.print(f"{len(seq)} frames at {seq.fps:.2f} fps, person found in {seen:.0%}; wrote {output}")
    if seq.metadata.get("fps_assumed"):
        out.print(f"note: {FPS_ASSUMED_NOTE}", highlight=False, soft_wrap=True)


@app.command()
@friendly
def analyze(inputs: list[Path] = typer.Argument(..., help="videos or pose files"),
            exercise: str | None = typer.Option(None, help="skip recognition: the exercise's name"),
            gold: Path | None = typer.Option(None, help="gold reference performance (video or pose file)"),
            json_out: Path | None = typer.Option(None, "--json", help="write the analysis as JSON ('-': to "
                                                 "stdout, the summary then to stderr)"),
            jsonl: Path | None = typer.Option(None, "--jsonl", help="one JSON object a line (several inputs)"),
            report: Path | None = typer.Option(None, help="write an HTML report"),
            method: str = typer.Option("gyml", help="rep counter: gyml or paper"),
            coach: str = typer.Option("gyml", help="coach: gyml or paper"),
            strictness: str = typer.Option("intermediate", help="beginner, intermediate or expert"),
            model: Path | None = typer.Option(None, help="exercise model from gyml train (default: the shipped one)"),
            fps: float | None = typer.Option(None, help=FPS_HELP),
            force: bool = typer.Option(False, help="use --gold even if it does not look like the exercise"),
            overlay: Path | None = typer.Option(None, help="write the video with skeleton, rep count and cues "
                                                "drawn on (H.264 .mp4; a video input)"),
            layout: str | None = typer.Option(None, help=LAYOUT_OPTION_HELP),
            jobs: int = typer.Option(0, help=JOBS_HELP)):
    """Recognise the exercise, count reps and coach form; print a summary and write JSON/HTML."""
    from gyml.coach.compare import STRICTNESS
    from gyml.coach.session import COACH_METHODS
    from gyml.pipeline import analyze_sequence
    from gyml.report.html import write_report
    from gyml.report.overlay import check_overlay_target, write_overlay
    from gyml.validate import check_choice, check_count, check_exercise

    check_count("--jobs", jobs, 0, 256)
    if len(inputs) > 1 and (json_out or report) and not jsonl:
        fail("several inputs: use --jsonl OUT.jsonl (one object a line) instead of --json/--report")
    # `--json -`: the JSON alone on stdout, for a pipe (`| jq`); what a person reads goes to stderr
    json_to_stdout = json_out is not None and str(json_out) == "-"
    if json_to_stdout:
        json_out = None
    say = err if json_to_stdout else out
    check_choice("strictness", strictness, STRICTNESS)
    check_choice("coach", coach, COACH_METHODS)
    _validate_common([*inputs, gold, model], fps, {"--json": json_out, "--report": report, "--jsonl": jsonl,
                                                   "--overlay": overlay}, method, layout)
    if overlay:
        check_overlay_target(inputs, overlay)
    if exercise is not None:
        exercise = check_exercise(exercise)
    if model is not None:
        from gyml.classify.default import load_model
        load_model(str(model))  # a missing or stale model file is refused before the analysis
    batch = len(inputs) > 1 or jsonl is not None
    lines, failed = [], 0
    with _progress() as progress:
        gold_seq = _read_gold(gold, exercise, force, progress, fps, layout) if gold else None
        try:
            for path in inputs:
                result, error = _attempt(path, batch, lambda path: analyze_sequence(
                    _read(path, progress, fps, layout, jobs), str(path), exercise=exercise, gold=gold_seq,
                    count_method=method, coach_method=coach, strictness=strictness,
                    model_path=str(model) if model else None))
                if error is not None:
                    failed += 1
                    lines.append(json.dumps(error))
                    err.print(f"[red]error:[/] {_named(path, error['error'])}", highlight=False, soft_wrap=True)
                    continue
                a = result.analysis
                lines.append(json.dumps(a.to_dict()))
                # Files first: a reader that stops early (`gyml analyze ... | head`) must not cost them.
                written = []
                if json_out:
                    a.write_json(json_out)
                    written.append(json_out)
                if json_to_stdout:
                    print(json.dumps(a.to_dict(), indent=2), flush=True)
                if report:
                    write_report(result, report, video_path=path)
                    written.append(report)
                if overlay:
                    task = progress.add_task(f"overlay {overlay.name}", total=None)
                    write_overlay(result, path, overlay,
                                  progress=lambda done, total, task=task: progress.update(task, completed=done,
                                                                                          total=total))
                    progress.remove_task(task)
                    written.append(overlay)
                say.print(f"[bold]{path.name}[/]: {a.summary}", highlight=False, soft_wrap=True)
                for fb in a.feedback:
                    say.print(f"  - {fb.message}", highlight=False, soft_wrap=True)
                for output in written:
                    say.print(f"wrote {output}")
        finally:  # an interrupted or failing batch still writes what it processed
            _finish_batch(lines, failed, jsonl, "analysed")


@app.command()
@friendly
def count(inputs: list[Path] = typer.Argument(..., help="videos or pose files"),
          jsonl: Path | None = typer.Option(None, "--jsonl", help="write one JSON object a line here"),
          method: str = typer.Option("gyml", help="gyml or paper"),
          fps: float | None = typer.Option(None, help=FPS_HELP),
          layout: str | None = typer.Option(None, help=LAYOUT_OPTION_HELP)):
    """Count repetitions of many inputs in one process; one JSON object a line."""
    from gyml.reps.counter import count_reps
    from gyml.reps.coverage import assess_tracking

    _validate_common(inputs, fps, {"--jsonl": jsonl}, method, layout)
    batch = len(inputs) > 1 or jsonl is not None

    def count_line(path: Path) -> dict:
        seq = _read(path, progress, fps, layout)
        reps = count_reps(seq, method)
        tracking = assess_tracking(seq, reps)
        line = {"input": str(path), "count": reps.count,
                "segments": [s.to_dict() for s in reps.segments], "tracking": tracking.to_dict()}
        if tracking.warning:
            line["warning"] = tracking.warning
        if tracking.framing_warning:
            line["framing_warning"] = tracking.framing_warning
        if seq.metadata.get("plausibility"):
            line["plausibility"] = seq.metadata["plausibility"]
        if seq.metadata.get("fps_assumed"):
            line["fps_assumed"] = True
        return line

    lines, failed = [], 0
    with _progress() as progress:
        overall = progress.add_task("inputs", total=len(inputs)) if len(inputs) > 1 else None
        try:
            for path in inputs:
                line, error = _attempt(path, batch, count_line)
                failed += error is not None
                lines.append(json.dumps(line or error))
                if not jsonl:
                    out.print(lines[-1], highlight=False, soft_wrap=True)
                if overall is not None:
                    progress.advance(overall)
        finally:  # an interrupted or failing batch still writes what it processed
            _finish_batch(lines, failed, jsonl, "counted")


@app.command()
@friendly
def synth(exercise: str = typer.Argument(..., help="catalog exercise, e.g. squat"),
          reps: int = typer.Option(8, help="number of repetitions (a hold: its length, in the time of as many reps)"),
          fault: str | None = typer.Option(None, help="planted faults, e.g. shallow@2,knees_cave@5,hips_sag:ascent@6 (a posture fault on the way down or up only)"),
          seed: int = typer.Option(0),
          output: Path = typer.Option(..., "-o", "--output", help=".npz, or .pkl for FLAG3D SMPL, or "
                                      "phalp.pkl (name ending in phalp.pkl) for a 4D-Humans tracking file, or "
                                      ".csv for MediaPipe's landmark CSV with the 17 points a 3D body tracker "
                                      "fills"),
          missing: float = typer.Option(0.0, help="share of frames dropped"),
          noise: float = typer.Option(0.004, help="joint noise in metres")):
    """Synthesise a set of an exercise with known reps and planted faults."""
    from gyml.synth.faults import parse_fault_spec
    from gyml.synth.motion import SynthConfig, synthesize
    from gyml.synth.writers import write_flag3d_smpl, write_phalp, write_tracker_csv
    from gyml.validate import (
        MAX_MISSING_RATE,
        MAX_NOISE_M,
        MAX_SYNTH_REPS,
        check_count,
        check_exercise,
        check_number,
        check_outputs,
    )

    exercise = check_exercise(exercise)
    check_count("--reps", reps, 1, MAX_SYNTH_REPS)
    check_number("--missing", missing, 0.0, MAX_MISSING_RATE)
    check_number("--noise", noise, 0.0, MAX_NOISE_M)
    check_count("--seed", seed, 0, 2**63 - 1)
    check_outputs([], {"--output": output})
    seq = synthesize(exercise, reps, parse_fault_spec(fault), seed, SynthConfig(noise_m=noise, missing_rate=missing))
    name = output.name.lower()
    if name.endswith("phalp.pkl"):
        write_phalp(seq, output, name=output.stem)
    elif name.endswith(".pkl"):
        write_flag3d_smpl(seq, output)
    elif name.endswith(".csv"):
        write_tracker_csv(seq, output)
    else:
        seq.save(output)
    from gyml.coach.holds import is_hold

    made = f"held {seq.duration:.1f} s" if is_hold(exercise) else f"{reps} reps"   # a hold's --reps sets its length
    out.print(f"{seq.metadata['exercise_name']}: {made}, {len(seq)} frames; wrote {output}")


@app.command("synth-dataset")
@friendly
def synth_dataset(out_dir: Path = typer.Argument(..., help="folder to write"),
                  per_class: int = typer.Option(10, help="sequences per exercise"),
                  exercises: str | None = typer.Option(None, help="comma-separated subset of the catalog"),
                  layout: str = typer.Option("flag3d", help="flag3d (M###P###A###R###.pkl) or npz"),
                  seed: int = typer.Option(0)):
    """Write a labelled dataset of synthesised sets (FLAG3D folder layout by default)."""
    import csv
    import io

    import numpy as np

    from gyml.synth.catalog import CATALOG, get_exercise
    from gyml.synth.motion import SynthConfig, synthesize
    from gyml.synth.writers import action_ids, flag3d_file_name, write_flag3d_smpl
    from gyml.validate import MAX_PER_CLASS, check_count, check_exercise, check_outputs

    if layout not in ("flag3d", "npz"):
        fail("layout must be flag3d or npz")
    check_count("--per-class", per_class, 1, MAX_PER_CLASS)
    check_count("--seed", seed, 0, 2**63 - 1)
    check_outputs([], {}, folders={"OUT_DIR": out_dir})   # a file, a name too long: before any work
    labels = [get_exercise(check_exercise(e)).label for e in exercises.split(",")] if exercises else list(CATALOG)
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = action_ids()
    rng = np.random.default_rng(seed)
    with _progress() as progress:
        task = progress.add_task("synthesising", total=len(labels) * per_class)
        for label in labels:
            for i in range(per_class):
                seq = synthesize(label, int(rng.integers(2, 13)), seed=int(rng.integers(1 << 30)),
                                 config=SynthConfig(noise_m=float(rng.uniform(0.002, 0.015))))
                if layout == "flag3d":
                    write_flag3d_smpl(seq, out_dir / flag3d_file_name(ids[label], person=i % 10 + 1,
                                                                      repeat=i // 10 + 1))
                else:
                    seq.save(out_dir / f"{label}_{i:04d}.npz")
                progress.advance(task)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["action_id", "label", "name"])
    for label in labels:
        writer.writerow([ids[label], label, CATALOG[label].name])
    _write_text(out_dir / "labels.csv", buf.getvalue())
    out.print(f"wrote {len(labels) * per_class} sequences of {len(labels)} exercises to {out_dir}")


@app.command()
@friendly
def train(data_dir: Path = typer.Argument(..., help="FLAG3D-layout or gyml .npz folder, a folder of videos/pose "
                                         "files (one subfolder per exercise), or a manifest CSV path,label[,group]"),
          features: str = typer.Option("angles", help="paper, angles, rep_curve or motion (view-invariant, "
                                                      "for real footage)"),
          pca: float | None = typer.Option(None, help="share of variance PCA keeps; 0 = no PCA [default: 0.75 "
                                                      "with the paper's features (its recipe), none otherwise]"),
          model: str = typer.Option("multinomial", help="multinomial, ovr, trees, knn or knn_dtw (rep_curve features)"),
          choose_kappa: bool = typer.Option(False, help="choose PCA's kappa on the dev set"),
          output: Path = typer.Option(..., "-o", "--output", help="model file to write"),
          report: Path | None = typer.Option(None, help="folder for metrics JSON and plots")):
    """Train an exercise classifier (the paper's approaches or ours) with a fixed 70/20/10 split."""
    from gyml.classify.features import FEATURE_SETS
    from gyml.classify.train import PAPER_PCA
    from gyml.classify.train import train as run
    from gyml.validate import check_choice, check_number, check_outputs

    check_choice("features", features, FEATURE_SETS)
    check_choice("model", model, ("multinomial", "ovr", "trees", "knn", "knn_dtw"))
    check_number("--pca", pca, 0.0, 1.0)
    check_outputs([data_dir], {"--output": output}, folders={"--report": report})
    data = _load_dataset(data_dir)
    if pca is None:
        # PCA is the paper's step for its padded SMPL vectors; before trees, neighbours or a linear model on
        # the compact angle and motion features it throws away what tells real exercises apart
        pca = PAPER_PCA if features == "paper" else 0.0
    result = run(data, features, model, pca or None, choose_kappa=choose_kappa)
    result.model.save(output)
    m = result.metrics
    if not m.get("converged", True):
        err.print("note: the solver stopped at its iteration limit before converging (the model may be a little "
                  "less accurate)", highlight=False)
    out.print(f"{len(data.labels)} sequences, {result.n_features} features, trained in {result.seconds:.1f} s; "
              f"dev accuracy {m['dev']['accuracy']:.3f}, test accuracy {m.get('test', {}).get('accuracy', float('nan')):.3f}")
    if m.get("split_by") == "group":
        parts = m["groups"]
        out.print(f"split by group (no group on two sides): {parts['train']} / {parts['dev']} / {parts['test']} groups "
                  "for train / dev / test")
    elif m.get("split_by") == "recording" and m.get("groups_found"):
        err.print(f"note: split by recording, not by group: only {m['groups_found']} groups (5 or more hold whole "
                  "groups out); recordings of one group may be on two sides, so dev and test accuracy may read high",
                  highlight=False, soft_wrap=True)
    out.print(f"wrote {output}")
    if report:
        report.mkdir(parents=True, exist_ok=True)
        _write_text(report / "metrics.json", json.dumps(m, indent=1))
        from gyml.report.plots import training_plots

        for path in [report / "metrics.json", *training_plots(result.model, m, report)]:
            out.print(f"wrote {path}")


@app.command()
@friendly
def evaluate(model_file: Path = typer.Argument(..., help="model file from gyml train"),
             data_dir: Path = typer.Argument(..., help="labelled data folder"),
             json_out: Path | None = typer.Option(None, "--json", help="write metrics as JSON")):
    """Evaluate a model on a labelled folder."""
    from gyml.classify.model import ExerciseModel
    from gyml.classify.train import evaluate as run
    from gyml.validate import check_outputs

    check_outputs([model_file, data_dir], {"--json": json_out})
    model = ExerciseModel.load(model_file)
    data = _load_dataset(data_dir)
    m = run(model, data)
    out.print(f"accuracy {m['accuracy']:.3f}, precision (weighted) {m['precision_weighted']:.3f}, "
              f"recall (weighted) {m['recall_weighted']:.3f} on {len(data.labels)} sequences")
    if m.get("per_group") and len(m["per_group"]) > 1:
        out.print("by group: " + ", ".join(f"{g} {v['accuracy']:.3f} ({v['recordings']})"
                                           for g, v in m["per_group"].items()), highlight=False, markup=False)
    if unknown := m.get("labels_unknown_to_model"):
        err.print("note: the model does not know " + ", ".join(f"{lab} ({n})" for lab, n in unknown.items())
                  + f"; those recordings count as wrong (it knows {', '.join(model.labels)})",
                  highlight=False, markup=False, soft_wrap=True)
    if json_out:
        _write_text(json_out, json.dumps(m, indent=1))
        out.print(f"wrote {json_out}")


PAPER_TABLE1 = {  # the GyML paper's reported figures (accuracy, training time)
    ("multinomial", True): ("96%", "5 min"), ("ovr", True): ("81%", "-"),
    ("multinomial", False): ("99%", "25 h"), ("ovr", False): ("-", "-"),
}


@app.command("reproduce-table1")
@friendly
def reproduce_table1(data_dir: Path = typer.Argument(..., help="FLAG3D-layout folder"),
                     pca: float = typer.Option(0.75, help="PCA's kappa for the PCA rows"),
                     skip_no_pca: bool = typer.Option(False, help="skip the slow no-PCA rows")):
    """The paper's Table 1 on your data: four approaches on the paper's padded SMPL features."""
    from gyml.classify.train import train as run
    from gyml.validate import check_number

    check_number("--pca", pca, 0.0, 1.0, low_open=True)
    data = _load_dataset(data_dir)
    table = Table("approach", "train time", "accuracy (test)", "precision (w)", "recall (w)", "features",
                  "paper: accuracy", "paper: time")
    for model in ("multinomial", "ovr"):
        for use_pca in (True, False):
            if skip_no_pca and not use_pca:
                continue
            r = run(data, "paper", model, pca if use_pca else None)
            m = r.metrics.get("test") or r.metrics["dev"]
            name = f"{'PCA + ' if use_pca else ''}{'multinomial' if model == 'multinomial' else 'one-vs-rest'} LR"
            acc, t = PAPER_TABLE1[(model, use_pca)]
            table.add_row(name, f"{r.seconds:.1f} s", f"{m['accuracy']:.3f}", f"{m['precision_weighted']:.3f}",
                          f"{m['recall_weighted']:.3f}", str(r.n_features), acc, t)
    out.print(table)


@gold_app.command("add")
@friendly
def gold_add(exercise: str, file: Path, name: str | None = typer.Option(None, help="name in the library"),
             force: bool = typer.Option(False, help="store it even if it does not look like the exercise"),
             fps: float | None = typer.Option(None, help=FPS_HELP),
             layout: str | None = typer.Option(None, help=LAYOUT_OPTION_HELP)):
    """Store a gold performance (video or pose file) for an exercise."""
    from gyml.coach.gold import add
    from gyml.validate import check_exercise, check_fps, check_plain_name

    exercise = check_exercise(exercise)
    check_plain_name(name or file.stem, "gold name")
    check_fps(fps)
    with _progress() as progress:
        seq = _read(file, progress, fps, layout)
    path = add(exercise, seq, name or file.stem, force=force)
    out.print(f"stored {path}")
    if seq.metadata.get("fps_assumed"):
        out.print(f"note: {FPS_ASSUMED_NOTE}", highlight=False, soft_wrap=True)


def _read_gold(path: Path, exercise: str | None, force: bool, progress, fps: float | None,
               layout: str | None = None):
    """The --gold recording, checked to look like the named exercise (unless --force) and labelled with
    where it came from, for the analysis JSON."""
    from gyml.coach.gold import check_recording, gold_info

    seq = _read(path, progress, fps, layout)
    if exercise is not None:
        label = check_recording(exercise, seq, force, f"--gold {path.name}")
    else:
        from gyml.classify.default import recognise
        prediction = recognise(seq)
        label = prediction.label if prediction is not None else None
    seq.metadata["gold"] = gold_info(label, path.name, "file")
    # named with --exercise, it was checked just now; with --force, the user vouches for it: either way the
    # analysis does not hold it against the recording's own recognised exercise
    seq.metadata["gold_checked"] = exercise is not None or force
    return seq


@gold_app.command("list")
@friendly
def gold_list():
    """List the stored gold performances."""
    from gyml.coach.gold import library_dir, list_gold

    items = list_gold()
    if not items:
        out.print(f"no gold references stored in {library_dir()} (built-in references are used)", highlight=False,
                  soft_wrap=True)
    for exercise, names in items.items():
        out.print(f"{exercise}: {', '.join(names)}")


@gold_app.command("remove")
@friendly
def gold_remove(exercise: str, name: str | None = typer.Argument(None)):
    """Remove a stored gold performance (all of an exercise's when no name is given)."""
    from gyml.coach.gold import remove

    out.print(f"removed {remove(exercise, name)} gold reference(s)")


@app.command()
@friendly
def live(video: Path | None = typer.Argument(None, help="a video file to play as if it were live"),
         camera: int | None = typer.Option(None, help="camera index (e.g. 0)"),
         output: Path | None = typer.Option(None, help="write the frames with the count drawn on (.mp4)"),
         serve: int | None = typer.Option(None, help="show the frames with the count in a browser at "
                                             "http://127.0.0.1:PORT/ (0: any free port)"),
         realtime: bool | None = typer.Option(None, "--realtime/--every-frame",
                                              help="play the video at its own speed, dropping the frames the "
                                              "pose model cannot keep up with, as with a camera (default "
                                              "with --serve), or process every frame"),
         exercise: str | None = typer.Option(None, help="skip recognition: the exercise's name"),
         cues: bool = typer.Option(True, help="coach each rep as it ends and print its cue")):
    """Count reps causally, frame by frame, from a camera or a video; prints the count whenever it changes
    and each rep's cue as it ends."""
    from gyml.reps.live import run_live
    from gyml.validate import check_count, check_exercise, check_outputs

    if (video is None) == (camera is None):
        fail("give either a VIDEO or --camera N")
    check_count("--camera", camera, 0, 63)
    check_outputs([video], {"--output": output})
    if video is not None:
        from gyml.pose.readers import sniff_format

        if sniff_format(video) != "video":   # "not a readable video (invalid data)" said nothing useful
            fail(f"{video.name} is a pose file; live plays a video or a camera - "
                 f"use gyml analyze {video.name} for a pose file")
    if exercise:
        exercise = check_exercise(exercise)
    shown: list[str | None] = [None]

    def on_cue(event) -> None:
        if event.exercise_text and event.exercise != shown[0]:   # what it is taken for, when that changes
            shown[0] = event.exercise
            out.print(f"{event.time_s:6.1f} s: exercise: {event.exercise_text}", highlight=False)
        out.print(f"{event.time_s:6.1f} s: {event.message}", highlight=False, soft_wrap=True)

    coach = run_live(video if video is not None else camera, output=output, serve_port=serve,
                     on_rep=lambda n, t: out.print(f"{t:6.1f} s: {n} rep{'s' if n != 1 else ''}"),
                     on_serve=lambda url: out.print(f"watch at {url}"), realtime=realtime, exercise=exercise,
                     on_cue=on_cue if cues else None, coach=cues)
    if not coach.hold:   # a hold's last line is its times
        out.print(f"total: {coach.count} reps")
    elif coach.count:    # reps, then a hold
        out.print(f"total: {coach.count} reps before the {coach.exercise.replace('_', ' ')}")


def _register_serve() -> None:
    from gyml.web.cli import serve
    app.command("serve")(friendly(serve))


_register_serve()


@app.command()
@friendly
def demo(out_dir: Path = typer.Option(Path("demo-output"), "--out", help="folder for the report")):
    """Synthesise a set of 8 squats (two of them shallow), analyse it and write a JSON + HTML report."""
    from gyml.pipeline import analyze_sequence
    from gyml.report.html import write_report
    from gyml.synth.motion import synthesize
    from gyml.validate import check_outputs

    check_outputs([], {}, folders={"--out": out_dir})   # a file, a name too long: before any work
    out_dir.mkdir(parents=True, exist_ok=True)
    seq = synthesize("squat", reps=8, faults={3: "shallow", 6: "shallow"}, seed=7)
    pose_file = seq.save(out_dir / "demo_squats.npz")
    result = analyze_sequence(seq, str(pose_file))
    a = result.analysis
    json_path = a.write_json(out_dir / "report.json")
    html_path = write_report(result, out_dir / "report.html")
    out.print(f"[bold]{pose_file.name}[/]: {a.summary}", highlight=False)
    for fb in a.feedback:
        out.print(f"  - {fb.message}", highlight=False, soft_wrap=True)
    out.print(f"report: {html_path.resolve()}\njson:   {json_path.resolve()}")


# `gyml exercises` (the catalog and the person's own: list, add, remove) lives in its own module, which
# uses the helpers above.
from gyml.exercises_cli import exercises_app

app.add_typer(exercises_app, name="exercises")
app.command()(friendly(batch_command))


def main() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        app()
    except GymlError as exc:  # raised outside a command body (e.g. in a callback)
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
