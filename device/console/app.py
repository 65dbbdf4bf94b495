"""The console's web app: the page, the JSON API it and scripts use, and who may press.

    app = make_app(daemon, token)       # a Starlette app; device/console/server.py serves it

GET /api/status, /api/jobs, /api/jobs/{id}, /api/jobs/{id}/receipt.png; POST /api/press,
/api/reprint, /api/knob {"value": 0..1023}. A press from the console takes the button's own
path (Daemon.on_press: one job runs, one may wait). Who may ask at all (host, origin, token,
body size, security headers) is guard.py's; job ids are checked against the archive's id
pattern, so no request reaches a file outside the archive.
"""
from __future__ import annotations

import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.routing import Route

from ..archive import JOB_ID
from ..job import PREVIEW, Job
from .guard import Guard

PAGE = Path(__file__).with_name("page.html")
RECENT = 24        # jobs the page shows


def status(daemon) -> dict:
    """What the operator wants to know at a glance."""
    failed = next((r for r in reversed(daemon.results) if r.status == "failed"), None)
    return {"light": daemon.controls.status, "jobs_waiting_or_running": daemon.pending,
            "spooled": len(daemon.spool.queue), "printer": daemon.spool.fault or "ready",
            "voice": daemon.voice.name, "voices": [v.name for v in daemon.voices], "knob": daemon.selector.index,
            "last_error": failed.error if failed else "", "jobs_done": len(daemon.results)}


def job_summary(record: dict) -> dict:
    return {k: record.get(k, "") for k in ("id", "created", "caption", "status", "voice")}


def make_app(daemon, token: str = "", listen: str = "127.0.0.1:8080", names: tuple[str, ...] = ()) -> Guard:
    """The console for `daemon`, answering as `listen` (HOST:PORT) or one of `names`."""
    archive = daemon.archive
    html = PAGE.read_text(encoding="utf-8")

    def known(job_id: str) -> bool:
        return bool(JOB_ID.match(job_id)) and (archive.root / job_id).is_dir()

    def page(request: Request):
        return HTMLResponse(html)

    def api_status(request: Request):
        return JSONResponse(status(daemon))

    def api_jobs(request: Request):
        out = []
        for job_id in reversed([j for j in archive.jobs() if JOB_ID.match(j)][-RECENT:]):
            try:
                out.append(job_summary(Job.open(archive, job_id).record))
            except (OSError, ValueError):
                out.append({"id": job_id, "status": "unreadable"})
        return JSONResponse(out)

    def api_job(request: Request):
        job_id = request.path_params["job_id"]
        if not known(job_id):
            return JSONResponse({"error": "no such job"}, status_code=404)
        try:
            return JSONResponse(Job.open(archive, job_id).record)
        except (OSError, ValueError) as e:
            return JSONResponse({"error": f"unreadable record: {e}"}, status_code=500)

    def api_receipt(request: Request):
        job_id = request.path_params["job_id"]
        if not known(job_id) or not archive.path(job_id, PREVIEW).exists():
            return JSONResponse({"error": "no receipt for this job"}, status_code=404)
        return FileResponse(archive.path(job_id, PREVIEW), media_type="image/png")

    def api_press(request: Request):
        return JSONResponse({"accepted": daemon.on_press()})

    def api_reprint(request: Request):
        return JSONResponse({"accepted": daemon.on_press(long=True)})

    async def api_knob(request: Request):
        try:
            value = json.loads(await request.body())["value"]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1023:
                raise ValueError
        except (ValueError, KeyError, TypeError, RecursionError):   # deep JSON is a bad request, not a 500
            return JSONResponse({"error": 'send {"value": N} with N in 0..1023'}, status_code=400)
        daemon.on_knob(value / 1023)
        return JSONResponse({"voice": daemon.voice.name, "knob": daemon.selector.index})

    return Guard(Starlette(routes=[
        Route("/", page), Route("/api/status", api_status), Route("/api/jobs", api_jobs),
        Route("/api/jobs/{job_id}", api_job), Route("/api/jobs/{job_id}/receipt.png", api_receipt),
        Route("/api/press", api_press, methods=["POST"]), Route("/api/reprint", api_reprint, methods=["POST"]),
        Route("/api/knob", api_knob, methods=["POST"]),
    ]), listen, token, names, html)
