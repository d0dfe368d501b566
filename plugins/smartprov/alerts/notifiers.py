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


def failure_facts(context: dict[str, Any]) -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    dag_run = context.get("dag_run")
    exc = context.get("exception")
    return {
        "dag_id": _get(dag, "dag_id")
        or _get(dag_run, "dag_id")
        or _get(ti, "dag_id")
        or context.get("dag_id"),
        "task_id": _get(ti, "task_id") or context.get("task_id"),
        "run_id": context.get("run_id") or _get(dag_run, "run_id") or _get(ti, "run_id"),
        "try_number": _get(ti, "try_number"),
        "state": str(_get(ti, "state") or _get(dag_run, "state") or "failed"),
        "error": (f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else exc)
        or context.get("reason"),
        "log_url": _get(ti, "log_url"),
    }


def failure_message(context: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """(subject, text, html, data) of a failure alert, Indonesian first then English."""
    f = failure_facts(context)
    what = f"{f['dag_id'] or '?'}" + (f".{f['task_id']}" if f["task_id"] else "")
    subject = " ".join(f"[smartprov] GAGAL / FAILED: {what} (run {f['run_id'] or '?'})".split())
    rows_id = [
        ("DAG", f["dag_id"]),
        ("Tugas", f["task_id"]),
        ("Run", f["run_id"]),
        ("Percobaan", f["try_number"]),
        ("Galat", f["error"]),
        ("Log", f["log_url"]),
    ]
    rows_en = [("Task", f["task_id"]), ("Try", f["try_number"]), ("Error", f["error"])]
    text = "\n".join(
        [
            f"Pipeline smartprov gagal: {what}.",
            *[f"{k}: {v}" for k, v in rows_id if v not in (None, "")],
            "Periksa log tugas, perbaiki penyebabnya, lalu jalankan ulang (hasil run dapat diulang dengan aman).",
            "",
            "--- English ---",
            f"The smartprov pipeline failed: {what}.",
            *[f"{k}: {v}" for k, v in rows_en if v not in (None, "")],
            "Check the task log, fix the cause, then rerun (runs are safe to repeat).",
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
        f'<div lang="id"><h2>Pipeline smartprov gagal: {esc(what)}</h2>{table(rows_id)}'
        "<p>Periksa log tugas, perbaiki penyebabnya, lalu jalankan ulang (hasil run dapat diulang dengan aman).</p></div>"
        f'<hr><div lang="en"><h2>The smartprov pipeline failed: {esc(what)}</h2>{table(rows_en)}'
        "<p>Check the task log, fix the cause, then rerun (runs are safe to repeat).</p></div>"
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
        **kwargs: Any,
    ):
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
        subject, text, html, _ = failure_message(context)
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

    def __init__(self, conn_id: str = "smartprov_webhook", *, required: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
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
        subject, text, _html, data = failure_message(context)
        post_json(
            target,
            webhook_payload(target.format, event="pipeline_failure", title=subject, text=text, data=data),
        )

    async def async_notify(self, context: dict[str, Any]) -> None:
        await asyncio.to_thread(self.notify, context)
