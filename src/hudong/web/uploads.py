"""Upload and imports: import a file from the browser through the CLI's import path, and the import history.

- ``/upload`` (admin, analyst): a file (multipart, at most ``[web] max_upload_mb``, default 100 MB) and a
  format (``hudong formats``) or a mapping TOML. The browser's file name is display text only: the file is
  stored as ``uploads/<upload id>/data<suffixes>`` under the workspace (suffixes kept only when the readers know
  them, e.g. ``.csv.gz``), recorded in ``web_uploads``.
- The import runs ``hudong.analyses.scoring.import_and_score`` (exactly what ``hudong import FILE --as FORMAT`` runs) in a
  background thread, on a cursor of the server's DuckDB connection (the server owns the write connection; the
  import is one transaction, so requests meanwhile see the data before it); ``GET /api/imports/jobs/{id}``
  reports its state and the importer's progress (rows read, quarantined, accepted, percent: ``ImportProgress``)
  for the progress bar (static/upload.js).
- ``/imports``: the batches (``import_batches``), each batch's quarantine (file, row, column, reason, raw) and
  a "retry" that re-imports a stored upload with another format or mapping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from hudong.analyses.scoring import import_and_score
from hudong.errors import HudongError
from hudong.ingest import ImportProgress, list_formats, load_mapping
from hudong.ingest.history import batch_exists, batches, quarantined
from hudong.ingest.readers import COMPRESSIONS, FORMATS_BY_SUFFIX
from hudong.store import schema as S
from hudong.store.workspace import Workspace

from .auth import User
from .pages import TEXT, render
from .state import WebState, check_csrf, errors, require, state_of

router = APIRouter()
Reader = Annotated[User, Depends(require("read"))]
Uploader = Annotated[User, Depends(require("upload"))]
CHUNK = 1 << 20
MAX_QUARANTINE_SHOWN = 500
UPLOAD_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")

TEXT.update(
    {
        "upload": ("上传导入", "Upload"),
        "imports": ("导入记录", "Imports"),
        "file": ("文件", "File"),
        "import_format": ("格式", "Format"),
        "mapping_file": ("或上传映射文件（TOML）", "or upload a mapping file (TOML)"),
        "start_import": ("开始导入", "Import"),
        "job_queued": ("排队中（等待数据库）", "queued (waiting for the database)"),
        "job_importing": ("导入中", "importing"),
        "job_scoring": ("文本打分中（情感、情绪、攻击性）", "scoring the texts (sentiment, emotion, toxicity)"),
        "scored": ("文本打分", "Texts scored"),
        "scored_detail": ("{rows} 条新增或修改的文本，{seconds} 秒", "{rows} new or edited texts in {seconds} s"),
        "score_failed": ("文本打分失败（导入已完成；可运行 hudong text score 补上）",
                         "text scoring failed (the import stands; `hudong text score` catches up)"),
        "job_done": ("完成", "done"),
        "job_failed": ("失败", "failed"),
        "stage_reading": ("读取中", "reading"),
        "stage_validating": ("校验中", "validating"),
        "stage_writing": ("写入中", "writing"),
        "stage_done": ("完成", "done"),
        "rows_processed": ("已处理行数", "Rows processed"),
        "rows_read": ("读取行数", "Rows read"),
        "rows_stored": ("新增", "stored"),
        "rows_updated": ("更新", "updated"),
        "rows_unchanged": ("未变化", "unchanged"),
        "rows_quarantined": ("隔离", "quarantined"),
        "quarantine": ("隔离的行", "Quarantined rows"),
        "row": ("行", "Row"),
        "column": ("列", "Column"),
        "q_reason": ("原因", "Reason"),
        "raw": ("原始内容", "Raw"),
        "batch": ("批次", "Batch"),
        "retry": ("换格式重新导入", "Retry with another format"),
        "when": ("时间", "When"),
        "by": ("操作人", "By"),
        "max_size": ("最大 {n} MB", "at most {n} MB"),
    }
)


def uploads_dir(st: WebState) -> Path:
    return st.ws.path / "uploads"


def max_bytes(st: WebState) -> int:
    return int(float(st.ws.setting("web.max_upload_mb", 100)) * 1024 * 1024)


def ensure_tables(con: Any) -> None:
    con.execute(S.ddl(S.APP_TABLES["web_uploads"]))


def safe_suffix(filename: str | None) -> str:
    """The reader-known suffixes of the browser's file name (``.csv``, ``.jsonl.gz``…); the rest is dropped."""
    parts = [s.lower() for s in Path((filename or "").replace("\\", "/")).suffixes]
    comp = parts.pop() if parts and parts[-1] in COMPRESSIONS else ""
    if not parts or parts[-1] not in FORMATS_BY_SUFFIX:
        known = ", ".join(sorted(FORMATS_BY_SUFFIX))
        raise HudongError(f"unsupported file type {filename!r}: use one of {known} (optionally .gz/.xz/.bz2)")
    return parts[-1] + comp


def display_name(filename: str | None) -> str:
    """The browser's file name as display text: base name only, control characters removed, at most 200 chars."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:200] or "upload"


def _store(st: WebState, src: UploadFile, dest: Path) -> tuple[int, str]:
    """Stream the upload to ``dest`` (size-limited); returns size and SHA-256."""
    limit, size, sha = max_bytes(st), 0, hashlib.sha256()
    with dest.open("wb") as out:
        while chunk := src.file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise HudongError(f"file is larger than {limit // (1024 * 1024)} MB ([web] max_upload_mb)")
            sha.update(chunk)
            out.write(chunk)
    if size == 0:
        raise HudongError("the file is empty")
    return size, sha.hexdigest()


def _format_of(fmt: str | None, mapping: UploadFile | None, folder: Path) -> str:
    """A built-in format name, or the uploaded mapping stored in ``folder`` (validated now, with a clear error)."""
    if mapping is not None and mapping.filename:
        path = folder / f"mapping-{secrets.token_hex(4)}.toml"
        data = mapping.file.read(CHUNK + 1)
        if len(data) > CHUNK:
            raise HudongError("mapping file is larger than 1 MB")
        path.write_bytes(data)
        try:
            load_mapping(path)
        except HudongError as e:
            path.unlink()
            raise HudongError(str(e).replace(str(path), display_name(mapping.filename))) from None
        return str(path)
    if fmt not in list_formats():  # never a path: a name from the list only
        raise HudongError(f"unknown format {fmt!r}; formats: {', '.join(list_formats())}")
    return fmt


# ---- background jobs ---------------------------------------------------------------------------------
@dataclass
class Job:
    id: str
    upload_id: str
    file_name: str
    format: str
    by: str
    state: str = "queued"  # queued → importing → scoring → done | failed
    rows_done: int = 0  # rows read so far
    rows_total: int | None = None  # the file's row count, once read
    rows_quarantined: int = 0
    rows_accepted: int = 0
    stage: str | None = None  # the importer's: reading | validating | writing | done
    percent: int = 0
    batch_id: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    scored: dict[str, Any] = field(default_factory=dict)  # the text scoring run after the import (see _score)
    score_error: str | None = None  # scoring failed: the import stands, `hudong text score` catches up
    started: float = field(default_factory=time.time)
    seconds: float = 0.0

    def on_progress(self, p: ImportProgress) -> None:
        """The importer's progress callback (runs in the import thread; plain attribute writes)."""
        self.stage = p.stage
        self.rows_done = p.rows_read
        self.rows_total = p.rows_total
        self.rows_quarantined = p.rows_quarantined
        self.rows_accepted = p.rows_accepted
        self.percent = int(p.fraction * 100)

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out["format"] = Path(self.format).name if self.format.endswith(".toml") else self.format
        out["seconds"] = round(self.seconds or time.time() - self.started, 2)
        return out


def jobs_of(st: WebState) -> dict[str, Job]:
    return st.import_jobs


def _run(st: WebState, job: Job, path: Path) -> None:
    """Run the import on its own DuckDB cursor (a connection to the same database): the app keeps serving the
    last committed data meanwhile (MVCC) and sees the whole batch at its commit; then score its texts
    (``[web] score_uploads``, default on; ``hudong.analyses.scoring.import_and_score``: the workspace's adapted
    models, new and edited texts only — a failure is reported on the job, the import stands). Imports run one at
    a time."""
    try:
        with st.import_lock:
            job.state = "importing"
            with st.db() as ws:
                cursor = ws.con.cursor()
            try:
                def imported(_: Any, summary: Any) -> None:
                    st.data_changed()  # the next request re-reads the data version: the new batch shows at once
                    _record(job, summary)

                target = Workspace(ws.path, cursor, ws.config)
                res = import_and_score(target, [(path, job.format)], score=ws.setting("web.score_uploads", True),
                                       on_file=imported, before_scoring=lambda: setattr(job, "state", "scoring"),
                                       on_progress=job.on_progress)  # fmt: skip
                if res.scored is not None:
                    s = res.scored
                    job.scored = {"rows": s.rows, "unchanged": s.unchanged, "removed": s.removed,
                                  "seconds": round(s.seconds, 2), "model_versions": s.model_versions}  # fmt: skip
                job.score_error = res.score_error or None
            finally:
                cursor.close()
                st.data_changed()
        job.state = "done"
    except Exception as e:  # noqa: BLE001 - reported to the user through the job
        job.error = str(e).replace(str(path), job.file_name)
        job.state = "failed"
    job.seconds = time.time() - job.started


def _record(job: Job, summary: Any) -> None:
    job.batch_id = summary.batch_id
    job.rows_total = job.rows_done = summary.rows_read
    job.rows_quarantined, job.rows_accepted = summary.quarantined, summary.rows_read - summary.quarantined
    job.percent = 100
    job.summary = {
        "rows_read": summary.rows_read,
        "quarantined": summary.quarantined,
        "reasons": summary.reasons,
        "tables": {t: asdict(c) for t, c in summary.tables.items()},
    }


def start_job(st: WebState, upload: dict[str, Any], fmt: str, by: str) -> Job:
    job = Job(secrets.token_hex(8), upload["upload_id"], upload["original_name"], fmt, by)
    jobs_of(st)[job.id] = job
    threading.Thread(target=_run, args=(st, job, Path(upload["stored_path"])), daemon=True).start()
    return job


def _upload_row(st: WebState, upload_id: str) -> dict[str, Any]:
    if not UPLOAD_ID.match(upload_id):
        raise LookupError(f"no upload {upload_id!r}")
    with st.db() as ws:
        row = ws.con.execute(
            "SELECT upload_id, original_name, stored_path FROM web_uploads WHERE upload_id = ?", [upload_id]
        ).fetchone()
    if row is None:
        raise LookupError(f"no upload {upload_id!r}")
    return dict(upload_id=row[0], original_name=row[1], stored_path=row[2])


def receive(st: WebState, user: User, file: UploadFile, fmt: str | None, mapping: UploadFile | None) -> Job:
    """Store an upload, record it in ``web_uploads`` and start its import."""
    suffix = safe_suffix(file.filename)
    upload_id = dt.datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)
    folder = uploads_dir(st) / upload_id
    folder.mkdir(parents=True)
    try:
        fmt = _format_of(fmt, mapping, folder)
        dest = folder / f"data{suffix}"
        size, sha = _store(st, file, dest)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    upload = dict(upload_id=upload_id, original_name=display_name(file.filename), stored_path=str(dest))
    with st.db() as ws:
        ws.con.execute(
            "INSERT INTO web_uploads (upload_id, original_name, stored_path, size_bytes, file_sha256, uploaded_by, "
            "uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [upload_id, upload["original_name"], str(dest), size, sha, user.name, dt.datetime.now()],
        )
    return start_job(st, upload, fmt, user.name)


def retry(st: WebState, user: User, upload_id: str, fmt: str | None, mapping: UploadFile | None) -> Job:
    upload = _upload_row(st, upload_id)
    if not Path(upload["stored_path"]).exists():
        raise HudongError("the stored copy of this upload was deleted (`hudong forget` erased a person it held)")
    return start_job(st, upload, _format_of(fmt, mapping, Path(upload["stored_path"]).parent), user.name)


# ---- queries -------------------------------------------------------------------------------------------
def history(st: WebState, limit: int = 200) -> list[dict[str, Any]]:
    """Import batches, newest first, with the upload's original name where the file came from the browser."""
    with st.db() as ws:
        out = batches(ws.con, limit=limit, newest_first=True)
    for r in out:
        r["started_at"] = r["started_at"].isoformat(timespec="seconds")
    return out


def quarantine_rows(
    st: WebState, batch_id: str, limit: int = MAX_QUARANTINE_SHOWN, *, show_raw: bool = False
) -> dict[str, Any]:
    """A batch's quarantined rows. The raw rows (pseudonymised and redacted, but still the most personal thing a
    batch keeps) only with ``show_raw`` — admins (``users`` permission); others see file, row, column and reason."""
    with st.db() as ws:
        if not batch_exists(ws.con, batch_id):
            raise LookupError(f"no import batch {batch_id!r}")
        total, rows = quarantined(ws.con, batch_id, limit=limit)
    for r in rows:
        del r["batch_id"]
        if not show_raw:
            r["raw"] = None
    return {"batch_id": batch_id, "total": total, "raw_shown": show_raw, "rows": rows}


# ---- API -----------------------------------------------------------------------------------------------
@router.post(
    "/api/uploads",
    tags=["api"],
    summary="Upload a file and import it (returns the job to poll)",
    responses=errors(400, 401, 403, 422),
)
def api_upload(
    request: Request,
    user: Uploader,
    file: Annotated[UploadFile, File(description="the export file")],
    format: Annotated[str | None, Form(description="a format from `hudong formats`")] = None,
    mapping: Annotated[UploadFile | None, File(description="or a mapping TOML")] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    check_csrf(request, csrf or request.headers.get("x-csrf-token"))
    return receive(state_of(request), user, file, format, mapping).public()


@router.get(
    "/api/imports/jobs/{job_id}",
    tags=["api"],
    summary="State of an upload's import (for progress)",
    responses=errors(401, 404, 422),
)
def api_job(request: Request, job_id: str, user: Reader) -> dict[str, Any]:
    job = jobs_of(state_of(request)).get(job_id)
    if job is None:
        raise LookupError(f"no import job {job_id!r}")
    return job.public()


@router.get("/api/imports", tags=["api"], summary="Import history, newest first", responses=errors(401))
def api_imports(request: Request, user: Reader) -> list[dict[str, Any]]:
    return history(state_of(request))


@router.get(
    "/api/imports/{batch_id}/quarantine",
    tags=["api"],
    summary="Quarantined rows of one import batch",
    responses=errors(401, 404, 422),
)
def api_quarantine(request: Request, batch_id: str, user: Reader) -> dict[str, Any]:
    return quarantine_rows(state_of(request), batch_id, show_raw=user.can("users"))


# ---- pages ---------------------------------------------------------------------------------------------
@router.get("/upload", include_in_schema=False)
def upload_page(request: Request, user: Uploader) -> Response:
    st = state_of(request)
    return render(
        request, "upload.html", user=user, formats=list_formats(), max_mb=max_bytes(st) // (1024 * 1024), job=None
    )


@router.post("/upload", include_in_schema=False)
def upload_form(
    request: Request,
    user: Uploader,
    file: Annotated[UploadFile, File()],
    format: Annotated[str | None, Form()] = None,
    mapping: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    job = receive(state_of(request), user, file, format, mapping)
    return RedirectResponse(f"/upload/{job.id}", status_code=303)


@router.get("/upload/{job_id}", include_in_schema=False)
def job_page(request: Request, job_id: str, user: Uploader) -> Response:
    st = state_of(request)
    job = jobs_of(st).get(job_id)
    if job is None:
        raise LookupError(f"no import job {job_id!r}")
    q = quarantine_rows(st, job.batch_id, show_raw=user.can("users")) if job.batch_id else None
    return render(
        request,
        "upload.html",
        user=user,
        formats=list_formats(),
        max_mb=max_bytes(st) // (1024 * 1024),
        job=job.public(),
        quarantine=q,
    )


@router.get("/imports", include_in_schema=False)
def imports_page(request: Request, user: Reader) -> Response:
    return render(request, "imports.html", user=user, batches=history(state_of(request)), formats=list_formats())


@router.get("/imports/{batch_id}", include_in_schema=False)
def batch_page(request: Request, batch_id: str, user: Reader) -> Response:
    st = state_of(request)
    q = quarantine_rows(st, batch_id, show_raw=user.can("users"))
    batch = next((b for b in history(st, limit=100_000) if b["batch_id"] == batch_id), None)
    return render(request, "imports_batch.html", user=user, batch=batch, quarantine=q, formats=list_formats())


@router.post("/imports/retry", include_in_schema=False)
def retry_form(
    request: Request,
    user: Uploader,
    upload_id: Annotated[str, Form()],
    format: Annotated[str | None, Form()] = None,
    mapping: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    job = retry(state_of(request), user, upload_id, format, mapping)
    return RedirectResponse(f"/upload/{job.id}", status_code=303)
