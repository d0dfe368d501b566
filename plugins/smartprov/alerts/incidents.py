"""Pipeline failures as incidents: one mail when it opens, one when it recovers.

Failures of the same DAG and task with the same cause (the exception's type and message,
numbers left out) are one incident (`audit.incidents`, in the warehouse, so that it holds
whichever worker or process fails). Its first failure mails the failure recipients (the
exception, the exact time of the next try as Airflow computes it, in WIB, and the log link,
in both languages); later failures while it stays open mail nobody, except a reminder at
most every `reminder_hours`; the next success of that task closes it with one
"pulih / recovered" mail. The mails go through the outbox (smartprov.alerts.ledger), so a
relay that is down delays them rather than losing them.

When the warehouse itself cannot be reached, the failure is mailed directly (no incident
can be kept): a warehouse that is down is worth every mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import re
from typing import Any

from smartprov.alerts.config import AlertConfig
from smartprov.connections import warehouse_url
from smartprov.settings import utcnow

log = logging.getLogger(__name__)

TABLE = "audit.incidents"
RUN_TASK = "(dag run)"  # the DAG run's own failure callback, no task
INCIDENT_KINDS = ("failure", "reminder", "recovery")


def cause_of(error: str | None) -> str:
    """The part of an error that names its cause: numbers (ports, PIDs, sizes, times) and
    hex ids left out, so that the same failure on every run is one cause."""
    text = str(error or "unknown")
    text = re.sub(r"0x[0-9a-fA-F]+|[0-9a-fA-F]{12,}", "#", text)
    text = re.sub(r"\d+", "#", text)
    return " ".join(text.split())[:500]


def incident_key(dag_id: str, task_id: str | None, error: str | None) -> str:
    digest = hashlib.sha256(cause_of(error).encode()).hexdigest()[:16]
    return f"{dag_id}.{task_id or RUN_TASK}:{digest}"


def next_try_at(context: dict[str, Any], now: dt.datetime | None = None) -> dt.datetime | None:
    """When Airflow starts the next try, as its scheduler computes it
    (`TaskInstance.next_retry_datetime`: retry_delay x backoff^(try-1), plus the jitter that
    is a hash of dag, task, logical date and try, capped at max_retry_delay). None when no
    try is left or the task is unknown."""
    from smartprov.alerts.notifiers_facts import get

    ti = context.get("ti") or context.get("task_instance")
    task = context.get("task") or get(ti, "task")
    delay = get(task, "retry_delay")
    if delay is None:
        return None
    retries = get(task, "retries")
    try_number = int(get(ti, "try_number") or 1)
    if retries is not None and try_number > int(retries):
        return None
    now = now or dt.datetime.now(dt.UTC)
    seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
    multiplier = float(get(task, "retry_exponential_backoff") or 0) or 1.0
    if multiplier != 1.0 and multiplier > 0:
        min_backoff = max(1, math.ceil(seconds * multiplier ** (try_number - 1)))
        logical = context.get("logical_date") or get(ti, "logical_date")
        ti_hash = int(
            hashlib.sha1(
                f"{get(ti, 'dag_id')}#{get(ti, 'task_id')}#{logical}#{try_number}".encode(),
                usedforsecurity=False,
            ).hexdigest(),
            16,
        )
        seconds = min_backoff + ti_hash % min_backoff
        cap = get(task, "max_retry_delay")
        if cap is not None:
            seconds = min(seconds, cap.total_seconds() if hasattr(cap, "total_seconds") else float(cap))
    return now + dt.timedelta(seconds=seconds)


# -- the incident table ---------------------------------------------------------------
def record_failure(
    wh, facts: dict[str, Any], config: AlertConfig, *, now: dt.datetime | None = None
) -> tuple[str, dict[str, Any]]:
    """Open the incident or count the failure in the open one; returns (what to mail:
    "open" | "reminder" | "quiet", the incident)."""
    now = now or utcnow()
    dag_id = str(facts.get("dag_id") or "?")
    task_id = str(facts.get("task_id") or RUN_TASK)
    if task_id == RUN_TASK:
        # The DAG run failed because a task did: that task's incident already said so.
        open_ones = wh.fetchall(
            f"SELECT incident_key FROM {TABLE} WHERE dag_id = ? AND closed_at IS NULL", (dag_id,)
        )
        if open_ones:
            return "quiet", {"incident_key": open_ones[0][0], "dag_id": dag_id, "task_id": task_id}
    key = incident_key(dag_id, task_id, facts.get("error"))
    with wh.transaction():
        rows = wh.fetchall(
            f"SELECT opened_at, last_mail_at, failures FROM {TABLE} WHERE incident_key = ? AND closed_at IS NULL",
            (key,),
        )
        if not rows:
            wh.execute(f"DELETE FROM {TABLE} WHERE incident_key = ?", (key,))  # an old closed one
            wh.execute(
                f"""INSERT INTO {TABLE} (incident_key, dag_id, task_id, cause, opened_at, last_mail_at, failures)
                    VALUES (?, ?, ?, ?, ?, ?, 1)""",
                (key, dag_id, task_id, cause_of(facts.get("error")), now, now),
            )
            return "open", {
                "incident_key": key,
                "dag_id": dag_id,
                "task_id": task_id,
                "opened_at": now,
                "failures": 1,
            }
        opened_at, last_mail_at, failures = rows[0]
        remind = now - last_mail_at >= dt.timedelta(hours=config.reminder_hours) and config.reminder_hours > 0
        wh.execute(
            f"UPDATE {TABLE} SET failures = failures + 1, last_mail_at = ? WHERE incident_key = ?",
            (now if remind else last_mail_at, key),
        )
    incident = {
        "incident_key": key, "dag_id": dag_id, "task_id": task_id, "opened_at": opened_at, "failures": failures + 1,
    }  # fmt: skip
    return ("reminder" if remind else "quiet"), incident


def record_success(
    wh, dag_id: str, task_id: str | None, *, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Close the open incidents of this task (or, for the DAG run, of the run itself)."""
    now = now or utcnow()
    task_id = task_id or RUN_TASK
    rows = wh.fetchall(
        f"""SELECT incident_key, cause, opened_at, failures FROM {TABLE}
            WHERE dag_id = ? AND task_id = ? AND closed_at IS NULL""",
        (dag_id, task_id),
    )
    if rows:
        wh.execute(
            f"UPDATE {TABLE} SET closed_at = ? WHERE dag_id = ? AND task_id = ? AND closed_at IS NULL",
            (now, dag_id, task_id),
        )
    return [
        {"incident_key": k, "dag_id": dag_id, "task_id": task_id, "cause": c, "opened_at": o, "failures": n}
        for k, c, o, n in rows
    ]


def open_incidents(wh) -> list[dict[str, Any]]:
    rows = wh.fetchall(
        f"SELECT incident_key, dag_id, task_id, cause, opened_at, failures FROM {TABLE} WHERE closed_at IS NULL"
        " ORDER BY opened_at"
    )
    names = ("incident_key", "dag_id", "task_id", "cause", "opened_at", "failures")
    return [dict(zip(names, r, strict=True)) for r in rows]


# -- mails ----------------------------------------------------------------------------
def failure_event(
    context: dict[str, Any], config: AlertConfig, *, event: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """A task (or DAG run) failed: keep the incident, queue its mail if one is due, deliver.
    Returns what happened: {"mail": "open" | "reminder" | "quiet" | "direct", ...}."""
    from smartprov.alerts.notifiers_facts import failure_facts, failure_message
    from smartprov.warehouse.connection import Warehouse

    facts = failure_facts(context, event)
    retry_at = next_try_at(context) if event == "retry" else None
    try:
        wh = Warehouse(warehouse_url())
    except Exception as exc:  # the warehouse is down: mail directly, every time
        log.warning("incident not recorded (warehouse unreachable: %s); mailing directly", exc)
        return {"mail": "direct", "message": failure_message(facts, event, retry_at=retry_at)}
    try:
        wh.ensure_schema()
        decision, incident = record_failure(wh, facts, config, now=now)
        if decision != "quiet":
            subject, text, html, data = failure_message(
                facts, event, retry_at=retry_at, incident=incident, reminder=decision == "reminder"
            )
            _queue(wh, config, f"incident:{incident['incident_key']}:{decision}:{facts.get('run_id')}:"
                   f"{incident.get('failures')}", "failure" if decision == "open" else "reminder",
                   subject, text, html, data)  # fmt: skip
        _deliver(wh, config, now)
        return {"mail": decision, "incident": incident}
    finally:
        wh.close()


def success_event(
    context: dict[str, Any], config: AlertConfig, *, now: dt.datetime | None = None
) -> list[dict]:
    """A task (or DAG run) succeeded: close its open incidents with one recovery mail each."""
    from smartprov.alerts.notifiers_facts import failure_facts, recovery_message
    from smartprov.warehouse.connection import Warehouse

    facts = failure_facts(context, "success")
    with Warehouse(warehouse_url()) as wh:
        wh.ensure_schema()
        if not wh.fetchall(f"SELECT 1 FROM {TABLE} WHERE closed_at IS NULL LIMIT 1"):
            return []  # the usual case: nothing open, nothing to do
        closed = record_success(wh, str(facts.get("dag_id")), facts.get("task_id"), now=now)
        for incident in closed:
            subject, text, html, data = recovery_message(facts, incident)
            _queue(wh, config, f"incident:{incident['incident_key']}:recovered:{facts.get('run_id')}",
                   "recovery", subject, text, html, data)  # fmt: skip
        if closed:
            _deliver(wh, config, now)
    return closed


def _queue(
    wh, config: AlertConfig, key: str, kind: str, subject: str, text: str, html: str, data: dict
) -> None:
    from smartprov.alerts.ledger import EMAIL, WEBHOOK, Message, Outbox

    outbox = Outbox(wh)
    to = config.failure_recipients()
    if config.email_enabled and to:
        outbox.enqueue(
            Message(
                key=key,
                kind=kind,
                channel=EMAIL,
                subject=subject,
                text=text,
                html=html,
                to=to,
                reply_to=config.reply_address(),
                payload={"what": kind, **data},
            )  # fmt: skip
        )
    if config.webhook_enabled is not False:
        import smartprov.alerts.channels as channels

        if config.webhook_enabled or channels.connection_defined(config.webhook_conn_id):
            event = {
                "failure": "pipeline_failure",
                "reminder": "pipeline_failure",
                "recovery": "pipeline_recovered",
            }
            outbox.enqueue(
                Message(key=key + ":webhook", kind=kind, channel=WEBHOOK, subject=subject, text=text,
                        payload={"what": kind, "webhook": {"event": event[kind], "text": text, "data": data}})
            )  # fmt: skip


def _deliver(wh, config: AlertConfig, now: dt.datetime | None) -> None:
    from smartprov.alerts.ledger import Outbox, smtp_relay

    result = Outbox(wh, relay=smtp_relay(config.smtp_conn_id)).deliver(config, now=now, kinds=INCIDENT_KINDS)
    for error in result.errors:
        log.warning("incident mail not delivered yet (it waits in the outbox): %s", error["error"])
