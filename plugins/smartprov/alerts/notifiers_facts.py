"""What a pipeline-failure (or recovery) mail says, from an Airflow callback's context.

No Airflow import at module level (the log link's base URL is read from Airflow's config
only when there is no `log_url`). Indonesian first, English second, both with the log link;
times in WIB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from smartprov.alerts.render import esc, html_page, wib


def get(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:  # some TaskInstance properties need a database or an API server
        return None


def log_link(ti: Any, dag_id: Any, run_id: Any) -> str | None:
    """The task's log page (or the run's page) under the Airflow base URL the operators set
    (`AIRFLOW__API__BASE_URL`, e.g. https://airflow.example.go.id)."""
    url = get(ti, "log_url")
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


def failure_facts(context: dict[str, Any], event: str = "failure") -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    dag_run = context.get("dag_run")
    exc = context.get("exception")
    dag_id = get(dag, "dag_id") or get(dag_run, "dag_id") or get(ti, "dag_id") or context.get("dag_id")
    run_id = context.get("run_id") or get(dag_run, "run_id") or get(ti, "run_id")
    task = context.get("task") or get(ti, "task")
    try_number = get(ti, "try_number")
    retries = get(task, "retries")
    return {
        "dag_id": dag_id,
        "task_id": get(ti, "task_id") or context.get("task_id"),
        "run_id": run_id,
        "try_number": try_number if retries is None else f"{try_number} / {int(retries) + 1}",
        "state": str(get(ti, "state") or get(dag_run, "state") or "failed"),
        "error": (f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else exc)
        or context.get("reason"),
        "log_url": log_link(ti, dag_id, run_id),
        "at": wib(),
    }


def _table(rows: Iterable[tuple[str, Any]]) -> str:
    cells = []
    for k, v in rows:
        if v in (None, ""):
            continue
        shown = f'<a href="{esc(v)}">{esc(v)}</a>' if k == "Log" and str(v).startswith("http") else esc(v)
        cells.append(f'<tr><th align="left">{esc(k)}</th><td>{shown}</td></tr>')
    return "<table>" + "".join(cells) + "</table>"


def _compose(subject, lead, rows, advice) -> tuple[str, str]:
    """(text, html) from the Indonesian and English leads, rows and advice."""
    (lead_id, lead_en), (rows_id, rows_en), (advice_id, advice_en) = lead, rows, advice
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
    body = (
        f'<div lang="id"><h2>{esc(lead_id)}</h2>{_table(rows_id)}<p>{esc(advice_id)}</p></div>'
        f'<hr><div lang="en"><h2>{esc(lead_en)}</h2>{_table(rows_en)}<p>{esc(advice_en)}</p></div>'
    )
    return text, html_page(subject, body)


def failure_message(
    facts: dict[str, Any],
    event: str = "failure",
    *,
    retry_at: dt.datetime | None = None,
    incident: dict[str, Any] | None = None,
    reminder: bool = False,
) -> tuple[str, str, str, dict[str, Any]]:
    """(subject, text, html, data) of a failure alert, Indonesian first then English.

    event "retry": a try failed and Airflow tries again at `retry_at` (shown exactly, WIB);
    event "failure": no try is left (or the DAG run failed). `reminder`: the incident is
    still open after `reminder_hours`."""
    f = facts
    what = f"{f['dag_id'] or '?'}" + (f".{f['task_id']}" if f["task_id"] else "")
    next_try = wib(retry_at) if retry_at else None
    if reminder:
        since = wib(incident["opened_at"]) if incident and incident.get("opened_at") else "?"
        count = incident.get("failures") if incident else "?"
        subject = f"[smartprov] MASIH GAGAL sejak {since} / STILL FAILING: {what} ({count}x)"
        lead = (f"Tugas smartprov masih gagal sejak {since} ({count} kali): {what}.",
                f"A smartprov task is still failing since {since} ({count} times): {what}.")  # fmt: skip
    elif event == "retry":
        when_id = f"dicoba lagi pukul {next_try}" if next_try else "akan dicoba lagi"
        when_en = f"next try at {next_try}" if next_try else "will retry"
        subject = f"[smartprov] GAGAL, {when_id} / FAILED, {when_en}: {what} (run {f['run_id'] or '?'})"
        lead = (f"Tugas smartprov gagal, {when_id}: {what}.", f"A smartprov task failed, {when_en}: {what}.")
    else:
        subject = f"[smartprov] GAGAL / FAILED: {what} (run {f['run_id'] or '?'})"
        lead = (f"Pipeline smartprov gagal: {what}.", f"The smartprov pipeline failed: {what}.")
    subject = " ".join(subject.split())
    advice = (
        "Surel ini dikirim sekali per insiden: kegagalan berikutnya dengan penyebab yang sama tidak dikirim lagi"
        " (hanya pengingat berkala); Anda menerima surel 'PULIH' saat tugas berhasil lagi. Periksa log tugas.",
        "This mail is sent once per incident: further failures with the same cause are not mailed (only a"
        " periodic reminder); you get a 'RECOVERED' mail when the task succeeds again. Check the task log.",
    )
    rows_id = [
        ("DAG", f["dag_id"]),
        ("Tugas", f["task_id"]),
        ("Run", f["run_id"]),
        ("Percobaan", f["try_number"]),
        ("Galat", f["error"]),
        ("Percobaan berikutnya", next_try),
        ("Log", f["log_url"]),
        ("Waktu", f["at"]),
    ]
    rows_en = [
        ("Task", f["task_id"]),
        ("Try", f["try_number"]),
        ("Error", f["error"]),
        ("Next try", next_try),
        ("Log", f["log_url"]),
        ("Time", f["at"]),
    ]
    text, html = _compose(subject, lead, (rows_id, rows_en), advice)
    data = {k: (None if v is None else str(v)) for k, v in f.items()}
    data["next_try"] = next_try
    return subject, text, html, data


def recovery_message(facts: dict[str, Any], incident: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """(subject, text, html, data) of the one "pulih / recovered" mail that closes an incident."""
    what = f"{incident['dag_id']}" + (f".{incident['task_id']}" if incident.get("task_id") else "")
    since = wib(incident["opened_at"]) if incident.get("opened_at") else "?"
    subject = " ".join(f"[smartprov] PULIH / RECOVERED: {what}".split())
    lead = (
        f"Tugas smartprov berhasil lagi: {what}. Gagal sejak {since}, {incident.get('failures')} kali.",
        f"The smartprov task succeeds again: {what}. Failing since {since}, {incident.get('failures')} time(s).",
    )
    rows_id = [("Penyebab", incident.get("cause")), ("Run", facts.get("run_id")), ("Log", facts.get("log_url")),
               ("Waktu", facts.get("at"))]  # fmt: skip
    rows_en = [("Cause", incident.get("cause")), ("Run", facts.get("run_id")), ("Log", facts.get("log_url")),
               ("Time", facts.get("at"))]  # fmt: skip
    advice = ("Tidak perlu tindakan.", "No action needed.")
    text, html = _compose(subject, lead, (rows_id, rows_en), advice)
    data = {"dag_id": incident["dag_id"], "task_id": incident.get("task_id"), "run_id": facts.get("run_id"),
            "failing_since": since, "failures": incident.get("failures")}  # fmt: skip
    return subject, text, html, data
