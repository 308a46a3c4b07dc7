"""The FastAPI app of `gyml serve`: pages, the JSON API, the live WebSocket; jobs go to worker processes."""

from __future__ import annotations

import contextlib
import hmac
import html
import json
import re
import shutil
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, File, Form, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from gyml.errors import GymlError
from gyml.validate import LAYOUT_OPTION_HELP, check_fps, check_layout
from gyml.web import store
from gyml.web.settings import WebSettings, is_loopback

STATIC = Path(__file__).parent / "static"
PAGE_FILES = {"json": ("analysis.json", "application/json"), "report": ("report.html", "text/html"),
              "pose": ("pose.npz", "application/octet-stream"), "overlay": ("overlay.mp4", "video/mp4")}
_ID = re.compile(r"^[0-9a-f]{32}$")
_COPY_CHUNK = 1 << 20
UPLOAD_PATH = "/api/analyses"
OPENAPI_30_PATH = "/openapi-3.0.json"
LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
NO_FILE_NAME = "the upload has no file name: send the file as the multipart part 'file' with its name"


def create_app(settings: WebSettings, start_workers: bool = True) -> FastAPI:
    engine = store.open_engine(settings.database_url)
    pool = None

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        nonlocal pool
        if start_workers:
            from gyml.web.worker import WorkerPool

            pool = WorkerPool(settings, engine)
            pool.start()
        else:
            store.requeue_orphans(engine)
        yield
        if pool is not None:
            pool.stop()

    app = FastAPI(title="gyml", version=_version(), lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Upload a video or a pose file, get the reps counted and the form coached.")
    app.state.settings = settings
    app.state.engine = engine
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    swagger = _swagger_assets()
    if swagger is not None:
        app.mount("/swagger-ui", StaticFiles(directory=swagger), name="swagger")

    @app.exception_handler(GymlError)
    async def _bad_input(_request, exc: GymlError):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request, exc: RequestValidationError):
        return JSONResponse({"detail": _one_line(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc: StarletteHTTPException):
        if exc.status_code == 404 and request.method == "GET" and wants_html(request.headers.get("accept", "")):
            # a link opened in the browser (an analysis deleted meanwhile, a mistyped address): a page to go on
            # from, not the API's JSON; scripts and the pages' own requests (Accept */* or JSON) get the JSON
            return HTMLResponse(not_found_page(exc), status_code=404)
        # a multipart part without a file name is read as a text field, which Starlette limits to 1 MB: its
        # "Part exceeded maximum size of 1024KB" names no field. For the part 'file', it is about the missing
        # name, not the (500 MB) upload limit; for another, that field's value is too long
        if exc.status_code == 400 and request.url.path == UPLOAD_PATH and \
                str(exc.detail).startswith(("Part exceeded maximum size", "Field exceeded maximum size")):
            field = _oversized_field(exc)
            if field is None or field == "file":
                return JSONResponse({"detail": NO_FILE_NAME}, status_code=400)
            shown = "".join(c for c in field if c.isprintable())[:40]
            return JSONResponse({"detail": f"the field '{shown}' is larger than 1024 KB: a field is a short value; "
                                           "send the file as the part 'file' with its file name"}, status_code=422)
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def _bug(_request, exc: Exception):   # a bug of ours: one line, no traceback to the client
        return JSONResponse({"detail": f"internal error ({type(exc).__name__}); please report it"},
                            status_code=500)

    # ---- pages ----
    @app.get("/", include_in_schema=False)
    def index_page():
        return FileResponse(STATIC / "index.html")

    @app.get("/analyses/{analysis_id}", include_in_schema=False)
    def result_page(analysis_id: str):
        _row_or_404(engine, analysis_id)
        # asked again each time: a page kept from before its analysis was deleted would open without a word
        return FileResponse(STATIC / "result.html", headers={"Cache-Control": "no-cache"})

    @app.get("/live", include_in_schema=False)
    def live_page():
        return FileResponse(STATIC / "live.html")

    @app.get("/docs", include_in_schema=False)
    def docs_page():
        if swagger is None:
            return FileResponse(STATIC / "docs.html")
        # the bundled Swagger UI (4.x) reads OpenAPI 2.0 and 3.0 only: FastAPI's 3.1 description, rewritten
        # as 3.0, is what it renders; no validator badge (it would load from validator.swagger.io)
        return get_swagger_ui_html(openapi_url=OPENAPI_30_PATH, title="gyml API",
                                   swagger_js_url="/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg",
                                   swagger_ui_parameters={"validatorUrl": None})

    @app.get(OPENAPI_30_PATH, include_in_schema=False)
    def openapi_30():
        return openapi_as_30(app.openapi())

    # ---- API ----
    @app.post(UPLOAD_PATH, status_code=201, summary="Upload a video or pose file to analyse",
              responses={413: {"description": "larger than the upload limit"},
                         422: {"description": "not a readable video or pose file, or a bad field"}})
    async def create_analysis(file: UploadFile = File(..., description="video or pose file"),
                              exercise: str | None = Form(None, description="skip recognition: the exercise"),
                              gold_id: str | None = Form(None, description="id of a finished analysis whose "
                                                         "pose is the gold reference"),
                              fps: float | None = Form(None, description="frame rate of a pose file that does "
                                                       "not store one (1-1000; read at 30 fps otherwise); a "
                                                       "video carries its own"),
                              layout: str | None = Form(None, description=LAYOUT_OPTION_HELP)) -> dict:
        if not (file.filename or "").strip():   # results and history are known by it
            raise HTTPException(422, NO_FILE_NAME)
        exercise = _check_exercise(exercise)
        fps = check_fps(fps, "fps")
        layout = check_layout(layout)
        gold_id = await run_in_threadpool(_check_gold, engine, gold_id, exercise)
        job_id = store.new_id()
        stored_name = job_id + _known_suffix(file.filename)
        path = settings.uploads / stored_name
        try:
            size = await run_in_threadpool(_copy_limited, file, path, settings.max_upload_bytes)
            kind = await run_in_threadpool(check_upload, path, _display_name(file.filename), fps, layout)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        if kind == "video":   # its own frame times; the fields are for pose files
            fps = layout = None
        store.enqueue(engine, job_id, stored_name, kind, _display_name(file.filename), size, exercise, gold_id,
                      fps=fps, layout=layout)
        return {"id": job_id, "status": "queued", "url": f"/analyses/{job_id}"}

    @app.get("/api/limits", summary="The upload size limit (bytes)")
    def limits() -> dict:
        return {"max_upload_bytes": settings.max_upload_bytes}

    @app.get("/api/layouts", summary="The keypoint layouts a pose file can be read in (names for the `layout` "
             "field)")
    def list_layouts() -> dict:
        from gyml.pose.layouts import LAYOUTS

        return {"layouts": [{"name": lay.name, "title": lay.title, "keypoints": lay.count}
                            for lay in LAYOUTS.values()]}

    @app.get("/api/exercises", summary="The exercise catalog, then the server's own exercises (names for the "
             "`exercise` field; `hold`: timed, not counted)")
    def list_exercises() -> dict:
        from gyml.classify.personal import list_personal
        from gyml.synth.catalog import CATALOG

        catalog = [{"label": key, "name": spec.name, "hold": spec.hold} for key, spec in sorted(CATALOG.items())]
        try:
            mine = list_personal()
        except GymlError:   # a damaged stored exercise: the analysis of a recording says which and how to fix it
            mine = []
        own = [{"label": ex.label, "name": ex.name, "hold": ex.hold, "own": True} for ex in mine
               if ex.label not in CATALOG]
        return {"exercises": catalog + own}

    @app.get(UPLOAD_PATH, summary="All analyses, newest first")
    def list_analyses() -> dict:
        items = []
        rows = store.listing(engine)
        names = {row.id: row.input_name for row in rows}   # golds are mostly among the newest analyses
        for row in rows:
            item = store.to_api(row)
            item.pop("result")
            item["summary"], item["count"] = row.summary, row.rep_count
            # the exercise as the pages name it (what was named, while it is not analysed yet)
            item["exercise_label"] = row.exercise_label if row.status == "done" else row.exercise
            item["exercise_text"] = row.exercise_text if row.status == "done" else _named_text(row.exercise)
            item["gold_name"] = _gold_name(engine, row, names)
            if row.status == "done" and row.rep_count is None:
                item["held_s"] = store.held_seconds(engine, row.id)
            items.append(item)
        return {"analyses": items}

    @app.get(UPLOAD_PATH + "/{analysis_id}", summary="One analysis: status, result (the JSON of gyml "
             "analyze) or error")
    def get_analysis(analysis_id: str) -> dict:
        row = _row_or_404(engine, analysis_id)
        ahead = store.queued_before(engine, row.created_at) if row.status == "queued" else None
        out = store.to_api(row, ahead)
        out["gold_name"] = _gold_name(engine, row)
        if out["result"] is not None:
            from gyml.report.html import faults_text

            label = (out["result"].get("exercise") or {}).get("label")
            out["phase_words"] = phase_words(label)
            # each rep's faults in the report's own words, so the page's rep table and the report's agree
            out["fault_texts"] = {str(m["rep"]): faults_text(m.get("fault_phases") or {}, label)
                                  for m in out["result"].get("rep_metrics") or []}
        return out

    @app.delete(UPLOAD_PATH + "/{analysis_id}", summary="Delete an analysis and its files",
                responses={409: {"description": "the gold of an analysis not finished yet"}})
    def delete_analysis(analysis_id: str) -> dict:
        row = _row_or_404(engine, analysis_id)
        users = store.delete_unless_gold(engine, analysis_id)
        if users:   # its job would fail when it ran, its gold gone
            those = "that analysis has" if users == 1 else "those have"
            raise HTTPException(409, f"{row.input_name} is the gold of {users} analys{'i' if users == 1 else 'e'}s "
                                     f"not finished yet: delete it once {those} run")
        (settings.uploads / row.stored_name).unlink(missing_ok=True)
        shutil.rmtree(settings.results / analysis_id, ignore_errors=True)
        return {"id": analysis_id, "deleted": True}

    @app.get(UPLOAD_PATH + "/{analysis_id}/{what}", summary="Download: json, report, pose or overlay",
             responses={200: {"content": {"application/octet-stream": {}}}})
    def download(analysis_id: str, what: str):
        row = _row_or_404(engine, analysis_id)
        files = json.loads(row.files_json) if row.files_json else {}
        if what not in PAGE_FILES:
            raise HTTPException(404, f"no such download '{what}' (json, report, pose or overlay)")
        if what not in files:
            raise HTTPException(404, f"this analysis has no {what} file"
                                + ("" if row.status == "done" else f" (it is {row.status})"))
        name, media = PAGE_FILES[what]
        stem = Path(row.input_name).stem or "analysis"
        attachment = what in ("json", "pose")
        path = settings.results / analysis_id / name
        try:   # read here, not as the response starts: a DELETE between the row and the file was a 500
            found = path.stat()
        except FileNotFoundError:
            raise HTTPException(404, f"no analysis with id '{analysis_id}'") from None
        return FileResponse(path, media_type=media, filename=f"{stem}.{name}" if attachment else None,
                            stat_result=found)

    from gyml.web.live import add_live_routes
    add_live_routes(app)
    app.add_middleware(UploadLimit, limit=settings.max_upload_bytes)
    app.add_middleware(SameOrigin)
    if is_loopback(settings.host):
        # No token on this machine's own address: a page elsewhere that points its own host name at 127.0.0.1
        # (DNS rebinding) could otherwise use the API from the person's browser. Its requests name its host.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS)
    if settings.token:
        app.add_middleware(TokenGate, token=settings.token)   # added last: it runs first
    return app


def _one_line(errors) -> str:
    """A request's validation errors as the one line the API promises, never echoing what was sent (a part
    without a file name would otherwise come back whole as the error's `input`)."""
    if not errors:
        return "the request is not valid"
    error = errors[0]
    loc = [str(part) for part in error.get("loc", ()) if part != "body"]
    field = loc[-1] if loc else None
    if field == "file":
        if error.get("type") == "missing":
            return "the upload has no file: send it as the multipart part 'file'"
        return NO_FILE_NAME
    message = str(error.get("msg", "is not valid"))[:160]
    return f"'{field[:40]}': {message}" if field else message


def _oversized_field(exc: BaseException) -> str | None:
    """The name of the form field Starlette's parser refused as too large (its message names none): the
    parser that raised it, found in the traceback of the exception Starlette turned into this one."""
    from starlette.formparsers import FormParser, MultiPartParser

    cause = exc.__cause__ or exc.__context__
    tb = cause.__traceback__ if cause is not None else None
    while tb is not None:
        parser = tb.tb_frame.f_locals.get("self")
        if isinstance(parser, MultiPartParser):
            part = getattr(parser, "_current_part", None)
            return getattr(part, "field_name", None)
        if isinstance(parser, FormParser):
            name = getattr(parser, "_field_name", None)
            return bytes(name).decode("latin-1") if name is not None else None
        tb = tb.tb_next
    return None


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("gyml")
    except Exception:  # noqa: BLE001 - running from a source tree
        return "dev"


def openapi_as_30(spec: dict) -> dict:
    """FastAPI's OpenAPI 3.1 description as OpenAPI 3.0, for Swagger UI 4 (the bundled one), which refuses
    3.1: a nullable field is `anyOf` with `{"type": "null"}` in 3.1 and `nullable: true` in 3.0; an upload
    is `contentMediaType` in 3.1 and `format: binary` in 3.0."""
    null = {"type": "null"}

    def convert(node):
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: convert(value) for key, value in node.items()}
        for key in ("anyOf", "oneOf"):
            options = node.get(key)
            if isinstance(options, list) and null in options:
                rest = [o for o in options if o != null]
                del node[key]
                if len(rest) == 1 and "$ref" in rest[0]:
                    node["allOf"] = rest   # in 3.0 a $ref's siblings are ignored
                elif len(rest) == 1:
                    node = {**rest[0], **node}
                else:
                    node[key] = rest
                node["nullable"] = True
        if isinstance(node.get("type"), list):   # 3.1's ["string", "null"]
            types = [t for t in node["type"] if t != "null"]
            if len(types) < len(node["type"]):
                node["nullable"] = True
            node["type"] = types[0] if len(types) == 1 else node["type"]
        if "contentMediaType" in node and node.get("type") == "string":
            del node["contentMediaType"]
            node["format"] = "binary"
        if "const" in node:
            node["enum"] = [node.pop("const")]
        if isinstance(node.get("examples"), list) and "type" in node:   # a schema's examples (not a media type's)
            examples = node.pop("examples")
            if examples:
                node["example"] = examples[0]
        return node

    return {**convert(spec), "openapi": "3.0.3"}


def _swagger_assets() -> Path | None:
    """swagger-ui-bundle's files, served by gyml itself (the docs page loads nothing from elsewhere)."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    folder = Path(swagger_ui_bundle.swagger_ui_path)
    return folder if (folder / "swagger-ui-bundle.js").exists() else None


class NoAnalysis(HTTPException):
    """404: no analysis has this id (never had, or deleted)."""

    def __init__(self, analysis_id: str):
        super().__init__(404, f"no analysis with id '{analysis_id[:40]}'")
        self.analysis_id = analysis_id[:40]


def _row_or_404(engine, analysis_id: str):
    row = store.get(engine, analysis_id) if _ID.match(analysis_id) else None
    if row is None:
        raise NoAnalysis(analysis_id)
    return row


def wants_html(accept: str) -> bool:
    """Whether a request's Accept header asks for a web page before JSON: a browser opening a link sends
    text/html; fetch(), curl and scripts send */* or application/json (and keep the API's JSON)."""
    quality = {}
    for part in accept.lower().split(","):
        kind, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        quality[kind] = max(quality.get(kind, 0.0), q)
    page = max(quality.get("text/html", 0.0), quality.get("application/xhtml+xml", 0.0))
    return page > 0 and page >= quality.get("application/json", 0.0)


def not_found_page(exc: StarletteHTTPException) -> str:
    """A small page in the app's style for a 404 met in the browser, with the way back to the history."""
    if isinstance(exc, NoAnalysis):
        heading = "No such analysis"
        text = (f"There is no analysis with the id ‘{html.escape(exc.analysis_id)}’: it does not exist, "
                "or it was deleted.")
    else:
        heading = "Page not found"
        detail = str(exc.detail)
        text = "There is nothing at this address." if detail == "Not Found" else html.escape(detail[:200]) + "."
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            'content="width=device-width,initial-scale=1"><title>gyml: not found</title>'
            '<link rel="icon" href="/static/favicon.svg"><link rel="stylesheet" href="/static/style.css"></head>'
            '<body><nav><a href="/">Upload</a><a href="/live">Live coaching</a><a href="/docs">API</a></nav>'
            f'<h1>{heading}</h1><div class="card" id="not-found"><p>{text}</p>'
            '<p><a href="/">Go to the upload page and the history of analyses</a></p></div></body></html>')


def phase_words(exercise: str | None) -> dict[str, str]:
    """The words the cues use for each moment of a rep (`rep_metrics[].fault_phases`'s values), so that the
    result page's rep table says what the cues say: as gyml.coach.feedback.phrase words them, where the
    turning point of an exercise in TOP_MIDPOINT is its top (into it the way up, out of it the way down)."""
    from gyml.coach.feedback import moment_words

    return moment_words(exercise)


def _named_text(label: str | None) -> str | None:
    """An exercise named with an upload, as the pages name it before the analysis says more."""
    if not label:
        return None
    from gyml.report.analysis import exercise_text
    from gyml.synth.catalog import CATALOG

    name = CATALOG[label].name if label in CATALOG else label.replace("_", " ")
    return exercise_text({"label": label, "name": name, "named": True})


def _gold_name(engine, row, names: dict[str, str] | None = None) -> str | None:
    """The name of the person's own gold an analysis is (or was) coached against, None for the built-in one:
    as its result names it, else (not finished yet, or a hold, whose result names none) the gold analysis's
    file name; a gold deleted since is said to be."""
    if row.status == "done" and row.gold_name:
        return row.gold_name
    if not row.gold_id:
        return None
    if names is not None and row.gold_id in names:
        return names[row.gold_id]
    gold = store.get(engine, row.gold_id)
    return gold.input_name if gold is not None else "(a deleted analysis)"


def _check_exercise(exercise: str | None) -> str | None:
    if not exercise or not exercise.strip():
        return None
    from gyml.synth.catalog import CATALOG, normalize_label

    try:   # the shared input checks, where this version of gyml has them (they suggest close names)
        from gyml.validate import check_exercise
    except ImportError:
        check_exercise = None
    if check_exercise is not None:
        return check_exercise(exercise.strip()[:64])
    key = normalize_label(exercise.strip()[:64])
    if key not in CATALOG:
        raise GymlError(f"unknown exercise '{exercise[:64]}' (the catalog: {', '.join(sorted(CATALOG))})")
    return key


def _check_gold(engine, gold_id: str | None, exercise: str | None = None) -> str | None:
    """A gold of another exercise than the one named is refused now, as `gyml analyze --gold --exercise`
    refuses it (a squat judged against push-ups gets nonsense cues). With no exercise named, the recording's
    own exercise is known only once the worker has read its pose: the worker refuses it then."""
    if not gold_id or not gold_id.strip():
        return None
    gold_id = gold_id.strip()
    row = store.get(engine, gold_id) if _ID.match(gold_id) else None
    if row is None or row.status != "done":
        raise GymlError(f"gold_id '{gold_id[:40]}' is not the id of a finished analysis")
    shown = store.exercise_of(row)
    if exercise is not None and shown is not None and shown != exercise:
        from gyml.synth.catalog import CATALOG

        def called(label: str) -> str:
            return (CATALOG[label].name if label in CATALOG else label.replace("_", " ")).lower()
        raise GymlError(f"the gold {row.input_name} looks like {called(shown)}, not {called(exercise)}: "
                        f"choose a finished analysis of {called(exercise)} as the gold")
    return gold_id


def _known_suffix(filename: str | None) -> str:
    """The user's file extension when it is one gyml reads (some containers are known by it alone);
    the stored name is otherwise ours."""
    from gyml.pose.readers import VIDEO_SUFFIXES

    suffix = Path(filename or "").suffix.lower()
    return suffix if suffix in VIDEO_SUFFIXES | {".npz", ".npy", ".csv", ".pkl"} else ".upload"


def _display_name(filename: str | None) -> str:
    name = Path((filename or "upload").replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable())[:255]
    return name or "upload"


def _copy_limited(upload: UploadFile, path: Path, limit: int) -> int:
    size = 0
    upload.file.seek(0)
    with open(path, "wb") as out:
        while block := upload.file.read(_COPY_CHUNK):
            size += len(block)
            if size > limit:
                raise HTTPException(413, f"the file is larger than the upload limit of {limit / 1e6:.0f} MB")
            out.write(block)
    if size == 0:
        raise GymlError("the file is empty")
    return size


def check_upload(path: Path, shown_name: str = "upload", fps: float | None = None, layout: str | None = None
                 ) -> str:
    """The upload's format, judged by its content; a file gyml cannot read is refused now, not in a worker.
    Pose files are read in full (pickles only through the restricted unpickler), at `fps` and in `layout`
    (the upload's fields); a video must open and give a first frame. Messages name the file as the user
    did, never by its stored name, and the upload's fields where a reader names command-line options."""
    from gyml.pose.readers import read_pose, sniff_format
    from gyml.web.worker import in_api_words

    try:
        kind = sniff_format(path)
        if kind == "video":
            probe_video(path)
        else:
            read_pose(path, fps=fps, layout=layout)
    except GymlError as exc:
        text = str(exc).replace(f"{path.name}: ", "").replace(str(path), shown_name).replace(path.name, shown_name)
        raise GymlError(f"{shown_name}: {in_api_words(text)}") from None
    return kind


def probe_video(path: Path) -> None:
    """The video opens, its first frame decodes, and so does its end: a file cut short (an upload broken
    off) has an index promising frames its data no longer holds."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise GymlError("the file has no video stream")
            stream = container.streams.video[0]
            if next(container.decode(stream), None) is None:
                raise GymlError("the video has no decodable frame (damaged or truncated?)")
            duration = stream.duration or (container.duration and container.duration / 1e6 / stream.time_base)
            if duration:
                container.seek(int(stream.start_time or 0) + int(duration * 0.95), stream=stream)
                if next(container.decode(stream), None) is None:
                    raise GymlError("the video ends before its own index says it does (truncated?)")
    except GymlError:
        raise
    except (av.FFmpegError, ValueError, OSError, StopIteration):
        raise GymlError("the video cannot be decoded (damaged or truncated?)") from None


class UploadLimit:
    """Refuse an upload bigger than the limit from its Content-Length, before its body is read."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == UPLOAD_PATH:
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            if length is None:
                return await _json(send, 411, "the upload needs a Content-Length header")
            # a little over the limit is the multipart wrapping around the file
            if not length.isdigit() or int(length) > self.limit + 65536:
                return await _json(send, 413, f"the file is larger than the upload limit of "
                                              f"{self.limit / 1e6:.0f} MB")
        await self.app(scope, receive, send)


class SameOrigin:
    """A request that changes something (POST, PUT, PATCH, DELETE) or opens the live WebSocket is refused
    when it comes from another site's page: a browser names the page's origin (`Origin`), and a form posted
    there needs no CORS preflight, so any page the person visits could otherwise queue jobs or delete them.
    Requests without `Origin` (curl, scripts) are not a browser's page's and go through."""

    METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" or (scope["type"] == "http" and scope["method"] in self.METHODS):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            origin = headers.get("origin")
            if origin is not None and not same_origin(origin, headers.get("host", "")):
                if scope["type"] == "websocket":   # the handshake refused: 403 (with no body: uvicorn logs
                    await receive()                  # an error after a body sent to a WebSocket handshake)
                    return await send({"type": "websocket.close", "code": 1008})
                return await _json(send, 403, f"refused: a request from another site's page (Origin "
                                              f"{origin[:80]!r} is not this server); use the app's own pages, or "
                                              "send no Origin header from a script")
        await self.app(scope, receive, send)


def same_origin(origin: str, host: str) -> bool:
    """Whether a browser's `Origin` is the server the request reached (`Host`): the same host name and
    port. A Host without a port is taken at the default port of the Origin's scheme, so that a server behind a
    TLS proxy (Origin https://gym.lan, Host gym.lan) takes its own pages' requests."""
    try:
        page = urlsplit(origin)
        if page.scheme not in ("http", "https") or not page.hostname:
            return False   # "null": a sandboxed frame, a file: page
        default = 443 if page.scheme == "https" else 80
        page_port = page.port or default
        server = urlsplit("//" + host)
        return bool(server.hostname) and server.hostname == page.hostname and (server.port or default) == page_port
    except ValueError:   # a port that is not a number
        return False


class TokenGate:
    """With an access token set, every request needs it: `Authorization: Bearer TOKEN`, or `?token=TOKEN`
    once in the browser (kept in a cookie for the pages, their API calls and the live WebSocket)."""

    COOKIE = "gyml_token"

    def __init__(self, app, token: str):
        self.app = app
        self.token = token

    def _given(self, scope) -> tuple[str | None, bool]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            return query["token"][0], True
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), False
        cookie = SimpleCookie(headers.get("cookie", ""))
        if self.COOKIE in cookie:
            return cookie[self.COOKIE].value, False
        return None, False

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        given, from_query = self._given(scope)
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            if scope["type"] == "websocket":
                await receive()
                return await send({"type": "websocket.close", "code": 1008})
            return await _json(send, 401, "an access token is needed: open the page as /?token=TOKEN or send "
                                          "'Authorization: Bearer TOKEN'")
        if from_query and scope["type"] == "http":
            async def send_with_cookie(message):
                if message["type"] == "http.response.start":
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (b"set-cookie", f"{self.COOKIE}={self.token}; "
                                          "HttpOnly; SameSite=Strict; Path=/".encode())]
                await send(message)
            return await self.app(scope, receive, send_with_cookie)
        await self.app(scope, receive, send)


async def _json(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def make_app_from_env() -> FastAPI:
    """For `uvicorn --factory gyml.web.app:make_app_from_env`: settings from GYML_* variables."""
    import os

    return create_app(WebSettings.build(database_url=os.environ.get("GYML_DATABASE"),
                                        host=os.environ.get("GYML_HOST", "127.0.0.1")))
