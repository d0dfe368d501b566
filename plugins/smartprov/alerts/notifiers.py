"""Airflow notifiers for pipeline failures (`on_failure_callback`): e-mail and webhook.

Imports Airflow at module level: reach it through `smartprov.alerts.failure_notifiers()`.
Task callbacks run in the worker's task process, DAG-run callbacks in the Dag processor;
both resolve Connections through Airflow's secrets chain.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import BaseNotifier

from smartprov.alerts.channels import (
    ConnectionMissing,
    Email,
    post_json,
    send_email,
    webhook_payload,
    webhook_target,
)
from smartprov.alerts.render import esc, html_page

log = logging.getLogger(__name__)


def _get(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:  # some TaskInstance properties need a database or an API server
        return None


def _log_link(ti: Any, dag_id: Any, run_id: Any) -> str | None:
    """The task's log page (or the run's page) under the Airflow base URL the operators set
    (`AIRFLOW__API__BASE_URL`, e.g. https://airflow.example.go.id)."""
    url = _get(ti, "log_url")
    if url:
        return url
    if not (dag_id and run_id):
        return None
    from urllib.parse import quote

    try:
        from airflow.configuration import conf

        base = conf.get("api", "base_url", fallback="http://localhost:8080/")
    except Exception:
        base = "http://localhost:8080/"
    return f"{base.rstrip('/')}/dags/{dag_id}/runs/{quote(str(run_id))}"


def _retry_minutes(context: dict[str, Any]) -> float | None:
    """Roughly when the next try starts: retry_delay x backoff^(try-1), capped."""
    task = context.get("task") or _get(context.get("ti"), "task")
    delay = _get(task, "retry_delay")
    if delay is None:
        return None
    seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
    backoff = float(_get(task, "retry_exponential_backoff") or 0)
    tries = int(_get(context.get("ti"), "try_number") or 1)
    if backoff > 1:
        seconds *= backoff ** max(0, tries - 1)
        cap = _get(task, "max_retry_delay")
        if cap is not None:
            seconds = min(seconds, cap.total_seconds() if hasattr(cap, "total_seconds") else float(cap))
    return round(seconds / 60, 1)


def failure_facts(context: dict[str, Any], event: str = "failure") -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    dag_run = context.get("dag_run")
    exc = context.get("exception")
    dag_id = _get(dag, "dag_id") or _get(dag_run, "dag_id") or _get(ti, "dag_id") or context.get("dag_id")
    run_id = context.get("run_id") or _get(dag_run, "run_id") or _get(ti, "run_id")
    task = context.get("task") or _get(ti, "task")
    try_number = _get(ti, "try_number")
    retries = _get(task, "retries")
    return {
        "dag_id": dag_id,
        "task_id": _get(ti, "task_id") or context.get("task_id"),
        "run_id": run_id,
        "try_number": try_number if retries is None else f"{try_number} / {int(retries) + 1}",
        "state": str(_get(ti, "state") or _get(dag_run, "state") or "failed"),
        "error": (f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else exc)
        or context.get("reason"),
        "log_url": _log_link(ti, dag_id, run_id),
        "retry_in_minutes": _retry_minutes(context) if event == "retry" else None,
        "at": _wib_now(),
    }


def _wib_now() -> str:
    import datetime as dt
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%d %H:%M:%S WIB")


def failure_message(context: dict[str, Any], event: str = "failure") -> tuple[str, str, str, dict[str, Any]]:
    """(subject, text, html, data) of a failure alert, Indonesian first then English.

    event "retry": the first failures, announced at once ("retrying in N min");
    event "failure": the final one (no retry left), or the DAG run's."""
    f = failure_facts(context, event)
    what = f"{f['dag_id'] or '?'}" + (f".{f['task_id']}" if f["task_id"] else "")
    if event == "retry":
        minutes = f["retry_in_minutes"]
        when_id = f"diulang dalam ~{minutes:g} menit" if minutes is not None else "akan diulang"
        when_en = f"retrying in {minutes:g} min" if minutes is not None else "will retry"
        subject = " ".join(
            f"[smartprov] GAGAL, {when_id} / FAILED, {when_en}: {what} (run {f['run_id'] or '?'})".split()
        )
        lead_id, lead_en = f"Tugas smartprov gagal, {when_id}: {what}.", f"A smartprov task failed, {when_en}: {what}."
        advice_id = "Tidak perlu tindakan bila percobaan berikutnya berhasil; bila gagal lagi, Anda akan menerima surel lagi."
        advice_en = "No action needed if the next try succeeds; if it fails for good you will get another mail."
    else:
        subject = " ".join(f"[smartprov] GAGAL / FAILED: {what} (run {f['run_id'] or '?'})".split())
        lead_id, lead_en = f"Pipeline smartprov gagal: {what}.", f"The smartprov pipeline failed: {what}."
        advice_id = "Periksa log tugas, perbaiki penyebabnya, lalu jalankan ulang (hasil run dapat diulang dengan aman)."
        advice_en = "Check the task log, fix the cause, then rerun (runs are safe to repeat)."
    rows_id = [
        ("DAG", f["dag_id"]),
        ("Tugas", f["task_id"]),
        ("Run", f["run_id"]),
        ("Percobaan", f["try_number"]),
        ("Galat", f["error"]),
        ("Log", f["log_url"]),
        ("Waktu", f["at"]),
    ]
    rows_en = [("Task", f["task_id"]), ("Try", f["try_number"]), ("Error", f["error"]), ("Time", f["at"])]
    text = "\n".join(
        [
            lead_id,
            *[f"{k}: {v}" for k, v in rows_id if v not in (None, "")],
            advice_id,
            "",
            "--- English ---",
            lead_en,
            *[f"{k}: {v}" for k, v in rows_en if v not in (None, "")],
            advice_en,
        ]
    )

    def table(rows: Iterable[tuple[str, Any]]) -> str:
        cells = []
        for k, v in rows:
            if v in (None, ""):
                continue
            shown = f'<a href="{esc(v)}">{esc(v)}</a>' if k == "Log" and str(v).startswith("http") else esc(v)
            cells.append(f'<tr><th align="left">{esc(k)}</th><td>{shown}</td></tr>')
        return "<table>" + "".join(cells) + "</table>"

    body = (
        f'<div lang="id"><h2>{esc(lead_id)}</h2>{table(rows_id)}<p>{esc(advice_id)}</p></div>'
        f'<hr><div lang="en"><h2>{esc(lead_en)}</h2>{table(rows_en)}<p>{esc(advice_en)}</p></div>'
    )
    data = {k: (None if v is None else str(v)) for k, v in f.items()}
    return subject, text, html_page(subject, body), data


def _addresses(value: str | Iterable[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [a.strip() for a in value.replace(";", ",").split(",") if a.strip()]
    return list(value)


class _NoTemplating:
    """Our notifiers build their text in Python: nothing to render with Jinja.

    Skipping BaseNotifier's rendering also avoids two Airflow pitfalls: rendering mutates
    the notifier in place (a notifier object called twice would keep the first failure's
    text), and under `airflow dags test` a DAG-level callback gets a SerializedDAG without
    `get_template_env`, which makes every BaseNotifier raise AttributeError
    (apache/airflow#64649, open for 3.1-3.3).
    """

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        return None


class SmartprovSmtpNotifier(_NoTemplating, SmtpNotifier):
    """Airflow's SmtpNotifier with explicit connection, sender and recipients, and our message.

    The message (plain text + HTML, Indonesian then English) is built from the context in
    Python, sent through the SMTP provider's hook on `smtp_conn_id`.
    """

    def __init__(
        self,
        *,
        to: str | Iterable[str],
        smtp_conn_id: str,
        from_email: str | None = None,
        cc: str | Iterable[str] | None = None,
        event: str = "failure",
        **kwargs: Any,
    ):
        self.event = event
        super().__init__(
            to=to,
            from_email=from_email,
            smtp_conn_id=smtp_conn_id,
            cc=cc,
            subject="smartprov failure",
            html_content="smartprov failure",
            **kwargs,
        )

    def notify(self, context: dict[str, Any]) -> None:
        subject, text, html, _ = failure_message(context, self.event)
        send_email(
            Email(to=_addresses(self.to), cc=_addresses(self.cc), subject=subject, text=text, html=html),
            smtp_conn_id=self.smtp_conn_id,
            from_email=self.from_email,
        )

    async def async_notify(self, context: dict[str, Any]) -> None:
        await asyncio.to_thread(self.notify, context)


class WebhookNotifier(_NoTemplating, BaseNotifier):
    """POST a failure alert to the chat webhook Connection (generic JSON or Slack-compatible).

    With `required=False` (the default, webhook "auto") a missing Connection is logged and
    skipped; with `required=True` it raises.
    """

    template_fields = ()

    def __init__(
        self, conn_id: str = "smartprov_webhook", *, required: bool = False, event: str = "failure", **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.event = event
        self.conn_id = conn_id
        self.required = required

    def notify(self, context: dict[str, Any]) -> None:
        try:
            target = webhook_target(self.conn_id)
        except ConnectionMissing:
            if self.required:
                raise
            log.info("Webhook connection %r not defined: failure alert not posted", self.conn_id)
            return
        subject, text, _html, data = failure_message(context, self.event)
        post_json(
            target,
            webhook_payload(target.format, event="pipeline_retry" if self.event == "retry" else "pipeline_failure", title=subject, text=text, data=data),
        )

    async def async_notify(self, context: dict[str, Any]) -> None:
        await asyncio.to_thread(self.notify, context)
