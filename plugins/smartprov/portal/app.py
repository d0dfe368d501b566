"""The portal's web application: pages for people, `/api/v1/...` for machines.

Every check goes through `smartprov.run.check.check_workbooks`, the function `smartprov
validate` calls: the isolated reader child, the GX suites, the cross-rules and the regency's
current masterplan in the warehouse. A send checks the bytes again in the same request and
writes exactly those bytes to the landing zone (`portal.send`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import mimetypes
import os
import secrets
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from smartprov import settings
from smartprov.contract import catalogue as contract
from smartprov.ingest import shared_store
from smartprov.portal import status as status_data
from smartprov.portal.store import PortalStore, User
from smartprov.portal.texts import LANGS, translator

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SESSION_COOKIE = "smartprov_session"
PRE_CSRF_COOKIE = "smartprov_login_csrf"
LANG_COOKIE = "lang"
MAX_UPLOAD = contract.MAX_FILE_BYTES
LOGIN_FAILURES_ALLOWED = 5
LOGIN_WINDOW_MINUTES = 15
MIN_PASSWORD = 10
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
# Reports and Data Docs are the pipeline's own pages (inline styles and scripts, vendored
# assets): same origin only, nothing from elsewhere.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; object-src 'none'; frame-ancestors 'self'; base-uri 'self'"
)


@dataclass
class PortalConfig:
    warehouse_url: str
    landing_url: str
    public_url: str = "http://127.0.0.1:8600"
    secret: bytes = b""
    secure_cookies: bool = False

    @classmethod
    def from_env(cls) -> PortalConfig:
        secret = os.environ.get("SMARTPROV_PORTAL_SECRET")
        secret_file = os.environ.get("SMARTPROV_PORTAL_SECRET_FILE")
        if not secret and secret_file:  # compose: the portal_secret secret, never in the environment
            secret = Path(secret_file).read_text(encoding="utf-8").strip() or None
        public_url = (
            os.environ.get("SMARTPROV_PORTAL_URL")
            or os.environ.get("SMARTPROV_PUBLIC_BASE_URL")  # the address the digest's links use
            or "http://127.0.0.1:8600"
        )
        return cls(
            warehouse_url=settings.warehouse_url(),
            landing_url=settings.landing_url(),
            public_url=public_url.rstrip("/"),
            secret=secret.encode() if secret else secrets.token_bytes(32),
            secure_cookies=os.environ.get("SMARTPROV_PORTAL_SECURE_COOKIES", "").lower()
            in ("1", "true", "yes"),
        )


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    if not stored:
        PasswordHasher().hash(password)  # the same work as a real check: no timing oracle for unknown users
        return False
    try:
        return PasswordHasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class Forbidden(Exception):
    pass


class NeedLogin(Exception):
    pass


def create_app(config: PortalConfig | None = None) -> FastAPI:
    config = config or PortalConfig.from_env()
    if not config.secret:
        config.secret = secrets.token_bytes(32)
    store = PortalStore(config.warehouse_url)
    app = FastAPI(
        title="smartprov portal",
        description="Periksa dan kirim workbook Smart City / check and send Smart City workbooks",
        version="1",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: the schema is at /openapi.json
        redoc_url=None,
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["max_mb"] = MAX_UPLOAD // (1024 * 1024)
    templates.env.filters["wib"] = status_data.as_wib
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.store = store
    app.state.config = config

    # -- plumbing ------------------------------------------------------------------
    @app.middleware("http")
    async def guard(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_UPLOAD + 1024 * 1024:
            response: Response = JSONResponse(
                {
                    "detail": f"berkas melebihi {MAX_UPLOAD // 1048576} MB / file larger than {MAX_UPLOAD // 1048576} MB"
                },
                status_code=413,
            )
        else:
            response = await call_next(request)
        docs = request.url.path.startswith(("/reports/", "/data-docs/"))
        response.headers["Content-Security-Policy"] = DOCS_CSP if docs else PAGE_CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "SAMEORIGIN" if docs else "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cache-Control"] = "no-store"
        if config.secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        return page(request, "message.html", {"message_key": "forbidden"}, status_code=403)

    def lang_of(request: Request) -> str:
        lang = request.cookies.get(LANG_COOKIE, "id")
        return lang if lang in LANGS else "id"

    def client_of(request: Request) -> str:
        return request.client.host if request.client else "?"

    def current(request: Request) -> tuple[User, str] | None:
        secret = request.cookies.get(SESSION_COOKIE)
        return store.session_user(secret) if secret else None

    def require(request: Request) -> tuple[User, str]:
        found = current(request)
        if found is None:
            raise NeedLogin()
        return found

    def require_csrf(request: Request, csrf: str, expected: str) -> None:
        if not csrf or not hmac.compare_digest(csrf, expected):
            raise Forbidden()

    def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        lang = lang_of(request)
        found = context.pop("_session", None) or current(request)
        user, csrf = found if found else (None, "")
        context = {"t": translator(lang), "lang": lang, "user": user, "csrf": csrf, **context}
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="strict",
            secure=config.secure_cookies,
            path="/",
        )

    def sign(payload: dict[str, Any]) -> str:
        """The findings of a check, carried by the page to the findings download: signed, not stored."""
        body = base64.urlsafe_b64encode(zlib.compress(json.dumps(payload, default=str).encode())).decode()
        mac = hmac.new(config.secret, body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def unsign(blob: str) -> dict[str, Any] | None:
        body, _, mac = blob.rpartition(".")
        good = hmac.new(config.secret, body.encode(), hashlib.sha256).hexdigest()
        if not body or not hmac.compare_digest(mac, good):
            return None
        return json.loads(zlib.decompress(base64.urlsafe_b64decode(body.encode())))

    async def read_upload(upload: UploadFile) -> bytes:
        return await upload.read(MAX_UPLOAD + 1)  # one byte more: too large is a finding, not a crash

    def run_check(name: str, data: bytes, region: str) -> tuple[dict[str, Any], Any]:
        from smartprov.run.check import Workbook, check_workbooks, stored_programs_in, verdict

        plain = stored_programs_in(config.warehouse_url)

        def guarded(code: str):
            with store.guard():  # DuckDB: one opener of the warehouse file in this process at a time
                return plain(code)

        (sub,) = check_workbooks(
            [Workbook(name, data, region)], config.warehouse_url, stored_programs=guarded
        )
        result = verdict(sub)
        result["file_name"] = name
        result["sha256"] = sub.sha256
        result["submission_id"] = sub.submission_id
        return result, sub

    def with_advice(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from smartprov.contract.rules import advice

        out = []
        for f in findings:
            todo_id, todo_en = advice(str(f.get("rule")))
            out.append({**f, "todo": todo_id, "todo_en": todo_en})
        return out

    def regency_user(request: Request) -> tuple[User, str]:
        user, csrf = require(request)
        if user.is_province or not user.region_code:
            raise Forbidden()
        return user, csrf

    def send_bytes(
        user_email: str, region: str, name: str, data: bytes, result: dict[str, Any], client: str, via: str
    ):
        from smartprov.portal.send import _confirm_submission, deposit

        path = deposit(config.landing_url, region, name, data)
        sent_at = status_data.as_wib(settings.utcnow())
        store.audit(
            "send",
            "sent",
            actor=user_email,
            region_code=region,
            client=client,
            detail={
                "via": via,
                "file_name": name,
                "landing_path": path,
                "sha256": result["sha256"],
                "kind": result["kind"],
                "period": result["period"],
                "size": len(data),
            },
        )
        mailed = _confirm_submission(
            store,
            user_email,
            region=region,
            file_name=name,
            landing_path=path,
            sent_at=sent_at,
            sha256=result["sha256"],
        )
        return path, mailed

    # -- pages ---------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def home(request: Request):
        found = current(request)
        if found is None:
            return RedirectResponse("/login", status_code=303)
        user, _ = found
        return RedirectResponse("/province" if user.is_province else "/check", status_code=303)

    @app.get("/lang/{code}", include_in_schema=False)
    def switch_language(code: str, request: Request):
        back = urlsplit(request.headers.get("referer") or "/")
        target = _local(back.path + (f"?{back.query}" if back.query else ""))
        response = RedirectResponse(target, status_code=303)
        set_cookie(response, LANG_COOKIE, code if code in LANGS else "id", max_age=365 * 86400)
        return response

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = "/"):  # noqa: A002 - the query parameter's name
        token = secrets.token_urlsafe(24)
        response = page(request, "login.html", {"login_csrf": token, "next": _local(next), "error": None})
        set_cookie(response, PRE_CSRF_COOKIE, token, max_age=3600)
        return response

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        email: str = Form(...),
        password: str = Form(...),
        csrf: str = Form(""),
        next: str = Form("/"),  # noqa: A002
    ):
        expected = request.cookies.get(PRE_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(csrf, expected):
            raise Forbidden()
        client = client_of(request)
        email = email.strip().lower()[:256]
        failures = store.failed_logins(actor=email, client=client, minutes=LOGIN_WINDOW_MINUTES)
        if failures >= LOGIN_FAILURES_ALLOWED:
            store.audit("login", "limited", actor=email, client=client)
            return page(
                request, "login.html", {"login_csrf": expected, "next": _local(next), "error": "login_limited"},
                status_code=429,
            )  # fmt: skip
        found = store.user_by_email(email)
        if found is None or not verify_password(found[1], password):
            store.audit("login", "failed", actor=email, client=client)
            return page(
                request, "login.html", {"login_csrf": expected, "next": _local(next), "error": "login_failed"},
                status_code=401,
            )  # fmt: skip
        user = found[0]
        secret, _ = store.new_session(user.user_id)
        store.audit("login", "ok", actor=email, region_code=user.region_code, client=client)
        response = RedirectResponse(_local(next) if next not in ("", "/") else "/", status_code=303)
        set_cookie(response, SESSION_COOKIE, secret)
        response.delete_cookie(PRE_CSRF_COOKIE, path="/")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("")):
        user, expected = require(request)
        require_csrf(request, csrf, expected)
        store.end_session(request.cookies.get(SESSION_COOKIE, ""))
        store.audit("logout", "ok", actor=user.email, region_code=user.region_code, client=client_of(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/set-password/{secret}", include_in_schema=False)
    def set_password_page(secret: str, request: Request):
        if not store.link_is_live(secret):
            return page(request, "message.html", {"message_key": "link_dead"}, status_code=410)
        token = secrets.token_urlsafe(24)
        response = page(request, "set_password.html", {"login_csrf": token, "secret": secret, "error": None})
        set_cookie(response, PRE_CSRF_COOKIE, token, max_age=3600)
        return response

    @app.post("/set-password/{secret}", include_in_schema=False)
    def set_password(
        secret: str,
        request: Request,
        password: str = Form(...),
        password_again: str = Form(...),
        csrf: str = Form(""),
    ):
        expected = request.cookies.get(PRE_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(csrf, expected):
            raise Forbidden()
        error = None
        if password != password_again:
            error = "password_mismatch"
        elif len(password) < MIN_PASSWORD:
            error = "password_short"
        if error:
            context = {"login_csrf": expected, "secret": secret, "error": error}
            return page(request, "set_password.html", context, status_code=400)
        user_id = store.take_set_password_link(secret)
        if user_id is None:
            return page(request, "message.html", {"message_key": "link_dead"}, status_code=410)
        store.set_password_hash(user_id, hash_password(password))
        store.audit("set_password", "ok", actor=user_id, client=client_of(request))
        return page(request, "message.html", {"message_key": "password_set", "login_link": True})

    @app.get("/check", include_in_schema=False)
    def check_page(request: Request):
        found = require(request)
        if found[0].is_province:
            return page(request, "message.html", {"message_key": "province_cannot_send", "_session": found})
        return page(request, "check.html", {"result": None, "_session": found})

    @app.post("/check", include_in_schema=False)
    async def check_form(request: Request, file: Annotated[UploadFile, File()], csrf: str = Form("")):
        user, expected = regency_user(request)
        require_csrf(request, csrf, expected)
        data = await read_upload(file)
        name = file.filename or "workbook.xlsx"
        result, _ = await run_in_threadpool(run_check, name, data, user.region_code)
        store.audit(
            "check", result["status"], actor=user.email, region_code=user.region_code, client=client_of(request),
            detail={"via": "page", "file_name": name, "sha256": result["sha256"], "findings": len(result["findings"])},
        )  # fmt: skip
        result["findings"] = with_advice(result["findings"])
        return page(
            request, "check.html",
            {"result": result, "signed": sign({**result, "region_code": user.region_code}), "_session": (user, expected)},
        )  # fmt: skip

    @app.post("/check/findings.xlsx", include_in_schema=False)
    def findings_workbook(request: Request, signed: str = Form(...), csrf: str = Form("")):
        from smartprov.alerts.feedback import attachment_name, findings_xlsx

        user, expected = regency_user(request)
        require_csrf(request, csrf, expected)
        result = unsign(signed)
        if result is None or result.get("region_code") != user.region_code:
            raise Forbidden()
        sub = {
            "path": result.get("file_name"),
            "sha256": result.get("sha256"),
            "submission_id": result.get("submission_id"),
            "region_code": result.get("region_code"),
            "kind": result.get("kind"),
            "period": result.get("period"),
            "status": result.get("status"),
            "findings": result.get("findings") or [],
        }
        body = findings_xlsx(sub, {"run_id": "portal", "finished_at": status_data.as_wib(settings.utcnow())})
        return Response(
            body,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{attachment_name(sub)}"'},
        )

    @app.post("/send", include_in_schema=False)
    async def send_form(request: Request, file: Annotated[UploadFile, File()], csrf: str = Form("")):
        user, expected = regency_user(request)
        require_csrf(request, csrf, expected)
        data = await read_upload(file)
        name = file.filename or "workbook.xlsx"
        result, _ = await run_in_threadpool(run_check, name, data, user.region_code)
        if result["status"] != "accepted":
            store.audit(
                "send", "refused", actor=user.email, region_code=user.region_code, client=client_of(request),
                detail={"via": "page", "file_name": name, "sha256": result["sha256"]},
            )  # fmt: skip
            result["findings"] = with_advice(result["findings"])
            context = {
                "result": result,
                "signed": sign({**result, "region_code": user.region_code}),
                "not_sent": True,
            }
            return page(request, "check.html", {**context, "_session": (user, expected)}, status_code=422)
        path, mailed = await run_in_threadpool(
            send_bytes, user.email, user.region_code, name, data, result, client_of(request), "page"
        )
        return page(
            request,
            "sent.html",
            {"path": path, "mailed": mailed, "result": result, "_session": (user, expected)},
        )

    @app.get("/status", include_in_schema=False)
    def my_status(request: Request):
        user, _ = require(request)
        if user.is_province:
            return RedirectResponse("/province", status_code=303)
        return RedirectResponse(f"/status/{user.region_code}", status_code=303)

    @app.get("/status/{region}", include_in_schema=False)
    def region_status(region: str, request: Request):
        found = require(request)
        user = found[0]
        if not user.may_see(region) or region not in contract.regions():
            raise Forbidden()
        with store.open() as wh:
            subs = status_data.submissions(wh, region)
            received = status_data.received_hashes(wh, region)
            due = status_data.deadlines(wh, region_code=region)
        waiting = status_data.pending_sends(store.events(region_code=region, action="send"), received)
        for s in subs:
            s["findings"] = with_advice(s["findings"])
        return page(
            request,
            "status.html",
            {
                "region": contract.regions()[region],
                "subs": subs,
                "waiting": waiting,
                "deadlines": due,
                "year": settings.today().year - 1,
                "_session": found,
            },
        )

    @app.get("/templates/{region}/{kind}.xlsx", include_in_schema=False)
    def template_download(region: str, kind: str, request: Request, year: int | None = None):
        from smartprov.authoring.template import template_filename, write_template

        user, _ = require(request)
        if not user.may_see(region) or region not in contract.regions():
            raise Forbidden()
        if kind not in ("masterplan", "evaluasi"):
            return Response("unknown kind", status_code=404)
        with tempfile.TemporaryDirectory() as tmp, store.guard():
            out = Path(tmp) / template_filename(region, kind.upper())
            if kind == "evaluasi":
                evaluated = year or settings.today().year - 1
                try:
                    write_template(
                        region, "EVALUASI", out, year=evaluated, warehouse_url=config.warehouse_url
                    )
                except ValueError:  # no accepted masterplan yet: the blank template
                    write_template(region, "EVALUASI", out, year=evaluated)
            else:
                write_template(region, "MASTERPLAN", out)
            body = out.read_bytes()
        return Response(
            body,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{out.name}"'},
        )

    @app.get("/province", include_in_schema=False)
    def province(request: Request):
        found = require(request)
        user = found[0]
        if not user.is_province:
            raise Forbidden()
        with store.open() as wh:
            overview = status_data.province_overview(wh, user.province_code)
            # What waits undelivered first (the operator's action item), then the latest sent.
            outbox = (
                wh.fetchall(
                    """SELECT coalesce(sent_at, created_at), kind, channel, recipients, subject,
                              sent_at IS NOT NULL, attempts, last_error, next_attempt_at
                       FROM audit.outbox
                       ORDER BY CASE WHEN sent_at IS NULL THEN 0 ELSE 1 END, coalesce(sent_at, created_at) DESC
                       LIMIT 50"""
                )
                if wh.table_exists("audit.outbox")
                else []
            )
        reports_store = shared_store.reports_store()
        reports = sorted(_report_files(reports_store), reverse=True)[:20]
        has_docs = _latest_data_docs(reports_store) is not None
        return page(
            request,
            "province.html",
            {"overview": overview, "outbox": outbox, "reports": reports, "has_docs": has_docs,
             "_session": found},
        )  # fmt: skip

    @app.get("/reports/{path:path}", include_in_schema=False)
    def reports_file(path: str, request: Request):
        user, _ = require(request)
        if not user.is_province:
            raise Forbidden()
        return _serve_stored(shared_store.reports_store(), path)

    @app.get("/data-docs/{path:path}", include_in_schema=False)
    def data_docs(path: str, request: Request):
        user, _ = require(request)
        if not user.is_province:
            raise Forbidden()
        store = shared_store.reports_store()
        site = _latest_data_docs(store)
        if site is None:
            return Response("no Data Docs yet", status_code=404)
        return _serve_stored(store, f"{site}/{path or 'index.html'}")

    # -- the API -------------------------------------------------------------------
    def api_region(request: Request) -> tuple[str, str] | JSONResponse:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        found = store.token_region(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
        if found is None:
            return JSONResponse(
                {"detail": "token tidak sah / invalid or missing bearer token"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return found

    def api_body(result: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": result["status"],
            "kind": result["kind"],
            "region": result["region_code"],
            "period": result["period"],
            "file_name": result["file_name"],
            "sha256": result["sha256"],
            "findings": with_advice(result["findings"]),
        }

    @app.post("/api/v1/check", tags=["api"], summary="Check a workbook (nothing is stored)")
    async def api_check(request: Request, file: Annotated[UploadFile, File()]):
        auth = api_region(request)
        if isinstance(auth, JSONResponse):
            return auth
        token_id, region = auth
        result, _ = await run_in_threadpool(
            run_check, file.filename or "workbook.xlsx", await read_upload(file), region
        )
        store.audit(
            "check", result["status"], actor=f"token:{token_id}", region_code=region, client=client_of(request),
            detail={"via": "api", "file_name": result["file_name"], "sha256": result["sha256"]},
        )  # fmt: skip
        return api_body(result)

    @app.post(
        "/api/v1/submit", tags=["api"], summary="Check a workbook and, without errors, send it to intake"
    )
    async def api_submit(request: Request, file: Annotated[UploadFile, File()]):
        auth = api_region(request)
        if isinstance(auth, JSONResponse):
            return auth
        token_id, region = auth
        name = file.filename or "workbook.xlsx"
        data = await read_upload(file)
        result, _ = await run_in_threadpool(run_check, name, data, region)
        if result["status"] != "accepted":
            store.audit(
                "send", "refused", actor=f"token:{token_id}", region_code=region, client=client_of(request),
                detail={"via": "api", "file_name": name, "sha256": result["sha256"]},
            )  # fmt: skip
            return JSONResponse({**api_body(result), "sent": False}, status_code=422)
        from smartprov.portal.send import deposit

        path = deposit(config.landing_url, region, name, data)
        store.audit(
            "send", "sent", actor=f"token:{token_id}", region_code=region, client=client_of(request),
            detail={"via": "api", "file_name": name, "landing_path": path, "sha256": result["sha256"],
                    "kind": result["kind"], "period": result["period"], "size": len(data)},
        )  # fmt: skip
        return JSONResponse(
            {**api_body(result), "sent": True, "landing_path": path, "state": "terkirim, menunggu intake"},
            status_code=202,
        )

    @app.get("/healthz", include_in_schema=False)
    def health():
        return {"ok": True}

    return app


def _local(target: str) -> str:
    """Only paths of this site: never redirect a login to another host."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _serve_under(root: Path, path: str) -> Response:
    root = root.resolve()
    target = (root / path).resolve()
    if root != target and root not in target.parents:
        return Response("not found", status_code=404)
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return Response("not found", status_code=404)
    return FileResponse(target)


def _serve_stored(store: shared_store.Store, path: str) -> Response:
    """A file of the reports store (this host's folder, a share, or S3); a folder's index.html."""
    if isinstance(store, shared_store.LocalStore):
        return _serve_under(store.root, path)
    try:
        key = shared_store.safe_key(path)
        for candidate in (key, f"{key}/index.html".lstrip("/")):
            if candidate and store.exists(candidate):
                media = mimetypes.guess_type(candidate)[0] or "application/octet-stream"
                return Response(store.get_bytes(candidate), media_type=media)
    except FileNotFoundError:
        pass
    return Response("not found", status_code=404)


def _report_files(store: shared_store.Store) -> list[str]:
    """The reports people open (Excel, HTML) one folder down the reports store: the province's
    outputs and what a run keeps beside its report. In S3 only the province's (one request:
    listing every run's folder would mean listing every file of every Data Docs site)."""
    found = store.list("province", depth=0) if store.remote else store.list(depth=1)
    return [o.key for o in found if o.key.count("/") == 1 and o.key.endswith((".html", ".xlsx"))]


def _latest_data_docs(store: shared_store.Store) -> str | None:
    """The folder (a key prefix) of the newest run's Data Docs site: `<run>/data_docs/<run>/`
    as runs write it, or `<run>/data_docs/`: the one a shared store marks as the newest, else
    the newest index.html."""
    marked = shared_store.latest_marked(store, "data_docs")
    if marked and store.exists(f"{marked}/index.html"):
        return marked
    sites = [
        o
        for o in store.list(depth=3)
        if o.key.endswith("/index.html")
        and o.key.split("/")[1:2] == ["data_docs"]
        and o.key.count("/") in (2, 3)
    ]
    if not sites:
        return None
    newest = max(sites, key=lambda o: (o.modified, o.key))
    return newest.key.rsplit("/", 1)[0]
