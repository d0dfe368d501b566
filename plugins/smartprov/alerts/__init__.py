"""Alerts: regency feedback, the daily province digest, pipeline-failure incidents.

- `notify_run(report, warehouse, config, sender=...)`: compose what a run (and any earlier
  run) still owes into the outbox (`audit.outbox`): one feedback mail per regency contact
  for its rejected or warned files (findings in an .xlsx each), the day's digest once a day;
  then deliver what is due. A message is marked sent only once its channel accepted it; what
  is refused waits for the next sender (smartprov.alerts.ledger).
- `deliver_outbox(warehouse)`: `smartprov notify`.
- `failure_notifiers(config)` / `recovery_notifiers(config)`: Airflow notifiers for
  `on_failure_callback` / `on_retry_callback` and `on_success_callback`: one mail per
  incident, one when it recovers (smartprov.alerts.incidents).

This module stays light (no pandas, no Airflow at import time): DAG files import it while
they are parsed. See docs/alerts.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from typing import Any

from smartprov import settings
from smartprov.alerts.config import AlertConfig, Deadline, domain_allowed, is_email

__all__ = [
    "AlertConfig",
    "AlertConfigError",
    "AlertDeliveryError",
    "Deadline",
    "deliver_outbox",
    "failure_notifiers",
    "notify_run",
    "recovery_notifiers",
]

log = logging.getLogger(__name__)

EMAIL = "email"
WEBHOOK = "webhook"


class AlertDeliveryError(RuntimeError):
    """Some messages could not be delivered (raised by notify_run(raise_on_error=True))."""

    def __init__(self, result: dict[str, Any]):
        self.result = result
        errors = "; ".join(f"{e['what']} via {e['channel']}: {e['error']}" for e in result["errors"])
        super().__init__(f"{len(result['errors'])} alert(s) not delivered: {errors}")


def notify_run(
    report: dict[str, Any],
    warehouse: Any,
    config: AlertConfig | None = None,
    *,
    today: dt.date | None = None,
    raise_on_error: bool = False,
    sender: str = "nightly",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Compose what this run (and any earlier run) still owes into the outbox, then deliver
    what the outbox has due; return what was sent, skipped or failed (JSON-ready).

    `warehouse`: a `smartprov.warehouse.connection.Warehouse` (or its URL). `sender`: who
    calls ("nightly", "intake", "notify"): the day's digest is composed by the nightly (or,
    with `digest.at` HH:MM, by the first sender after that time). `today`: the date the
    overdue days are counted to (default: `settings.today()`). Every message is stored in
    `audit.outbox` before it is sent and marked sent once its channel accepted it; what is
    refused waits there (`result["outbox"]`) and goes out with a later sender. Failures are
    returned (or raised with `raise_on_error`, for a task that should be retried).
    """
    from smartprov.alerts import deadlines as dl
    from smartprov.alerts.ledger import Outbox, outbox_summary, smtp_relay

    config = config or AlertConfig.load()
    result: dict[str, Any] = {
        "run_id": report.get("run_id"),
        "sent": [],
        "skipped": [],
        "errors": [],
        "overdue": [],
    }
    if not config.enabled:
        result["skipped"].append({"what": "all", "channel": None, "reason": "alerts disabled"})
        return result

    owned = isinstance(warehouse, str)
    if owned:
        from smartprov.warehouse.connection import Warehouse

        warehouse = Warehouse(warehouse)
    try:
        if config.email_enabled and not _smtp_defined(config):
            # No relay configured at all (a laptop, a test): no mail is composed to wait for
            # one; once the Connection exists, the next sender composes what is still owed.
            result["skipped"].append(
                {
                    "what": "email",
                    "channel": EMAIL,
                    "reason": f"SMTP connection {config.smtp_conn_id} not defined",
                }
            )
            config = dataclasses.replace(config, email_enabled=False)
        outbox = Outbox(warehouse, relay=smtp_relay(config.smtp_conn_id) if config.email_enabled else None)
        today = today or config.today()
        own = [s for s in report.get("submissions") or [] if s.get("status") != "duplicate"]
        mine = {str(s.get("submission_id")) for s in own}
        # Runs whose feedback was never composed (a run killed after its load, mail off):
        # only those runs' saved results are read, so a sender stays cheap.
        runs = saved_runs(warehouse, since=_utc(now) - dt.timedelta(days=OWED_DAYS))
        marks = {run_id: composed_key(run_id) for run_id, _ in runs}
        done = outbox.known(marks.values())
        untold = [run_id for run_id, _ in runs if marks[run_id] not in done]
        owed = owed_submissions(warehouse, untold, exclude=mine)
        due = digest_due(sender, config, now)
        if due:  # the digest lists everything since the last one, whoever processed it
            since = outbox.last_created("digest") or _utc(now) - dt.timedelta(days=OWED_DAYS)
            listed_runs = [
                r for r, written in runs if written >= since - dt.timedelta(days=1) and r not in untold
            ]
            owed += owed_submissions(
                warehouse, listed_runs, exclude=mine | {str(s.get("submission_id")) for s in owed}
            )
        errors_before = len(result["errors"])
        feedback_status = _queue_feedback(report, own, owed, outbox, config, result)
        if config.email_enabled and config.feedback_enabled and len(result["errors"]) == errors_before:
            outbox.mark(
                [composed_key(r) for r in untold]
                + ([composed_key(report["run_id"])] if report.get("run_id") else [])
            )

        if due:
            provinces = dl.scope_provinces(report, warehouse, config)
            overdue = dl.overdue_regencies(warehouse, provinces, today, report)
            result["overdue"] = [o.as_dict() for o in overdue]
            if provinces and not warehouse.table_exists(dl.STATUS_MART):
                result["skipped"].append(
                    {"what": "overdue", "channel": None, "reason": f"{dl.STATUS_MART} not built yet"}
                )
            _queue_digests(
                report, [*own, *owed], overdue, provinces, feedback_status, outbox, config, result, now
            )

        delivered = outbox.deliver(config, now=now)
        result["sent"].extend(delivered.sent)
        result["errors"].extend(delivered.errors)
        result["outbox"] = outbox_summary(warehouse)
    finally:
        if owned:
            warehouse.close()
    if raise_on_error and result["errors"]:
        raise AlertDeliveryError(result)
    return result


def _smtp_defined(config: AlertConfig) -> bool:
    from smartprov.alerts import channels

    try:
        return channels.connection_defined(config.smtp_conn_id)
    except Exception:  # Airflow could not be asked: let sending say why
        return True


def deliver_outbox(
    warehouse: Any,
    config: AlertConfig | None = None,
    *,
    now: dt.datetime | None = None,
    ignore_backoff: bool = False,
) -> dict[str, Any]:
    """`smartprov notify`: compose what earlier runs still owe, then deliver what is due
    (everything waiting, with `ignore_backoff`)."""
    config = config or AlertConfig.load()
    if ignore_backoff:
        config = dataclasses.replace(config, retry_minutes=0.0)
    return notify_run({"run_id": None, "submissions": []}, warehouse, config, sender="notify", now=now)


def digest_due(sender: str, config: AlertConfig, now: dt.datetime | None = None) -> bool:
    """Whether this sender composes the day's digest (it is sent once a day in any case)."""
    if config.digest_at == "nightly":
        return sender == "nightly"
    return settings.local(now).strftime("%H:%M") >= config.digest_at


OWED_DAYS = 14  # how far back a sender looks for submissions whose mails were never composed
ARTIFACTS = "audit.run_artifacts"  # each run's saved results (smartprov.run.steps)


def composed_key(run_id: str) -> str:
    """The outbox item that says a run's feedback was composed."""
    return f"run-composed:{run_id}"


def _utc(now: dt.datetime | None) -> dt.datetime:
    return now or settings.utcnow()


def saved_runs(warehouse: Any, *, since: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """(run id, when its results were saved) of the runs since `since` (audit.run_artifacts)."""
    if not warehouse.table_exists(ARTIFACTS):
        return []
    return warehouse.fetchall(
        f"SELECT run_id, written_at FROM {ARTIFACTS} WHERE name = 'submissions' AND written_at >= ?"
        " ORDER BY written_at, run_id",
        (since,),
    )


def owed_submissions(warehouse: Any, run_ids: list[str], *, exclude: set[str]) -> list[dict[str, Any]]:
    """The non-duplicate submissions these runs saved (audit.run_artifacts), each with the run
    that processed it (`_run_id`): a run killed after its load, an intake whose mail went
    nowhere, are told about by the next sender (the outbox's items say what was composed)."""
    import json

    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(run_ids), 200):
        chunk = run_ids[start : start + 200]
        marks = ", ".join("?" for _ in chunk)
        rows = warehouse.fetchall(
            f"SELECT run_id, body FROM {ARTIFACTS} WHERE name = 'submissions' AND run_id IN ({marks})"
            " ORDER BY written_at, run_id",
            chunk,
        )
        for run_id, body in rows:
            for sub in json.loads(body):
                sid = str(sub.get("submission_id"))
                if sub.get("status") != "duplicate" and sid not in exclude:
                    out[sid] = {**sub, "_run_id": run_id}
    return list(out.values())


def _province_of(sub: dict[str, Any], report: dict[str, Any]) -> str | None:
    code = sub.get("region_code")
    if code and "." in str(code):
        return str(code).split(".", 1)[0]
    return report.get("province")


def _feedback_target(
    sub, report, config: AlertConfig
) -> tuple[dict[str, Any], tuple[list[str], list[str]] | None]:
    """(status, (to, cc)) for a submission that needs feedback; the target is None when it
    cannot be mailed (the status says why)."""
    if not (config.feedback_enabled and config.email_enabled):
        return {"state": "disabled", "reason": "feedback disabled"}, None
    contact = (sub.get("email_kontak") or "").strip()
    if not contact:
        return {"state": "no_email", "reason": "no email_kontak"}, None
    if not is_email(contact):
        return {"state": "invalid_email", "value": contact[:100], "reason": "invalid email_kontak"}, None
    if not domain_allowed(contact, config.feedback_allowed_domains):
        return {
            "state": "domain_not_allowed",
            "value": contact[:100],
            "domains": list(config.feedback_allowed_domains),
            "reason": "email_kontak outside feedback.allowed_domains",
        }, None
    cc = [a for a in config.feedback_cc_for(_province_of(sub, report)) if a.lower() != contact.lower()]
    # REGION_MISMATCH: the contacts of the sender's folder and of the claimed region too.
    to = [contact, *(a for a in sub.get("notify_also") or () if is_email(a) and a.lower() != contact.lower())]
    return {"state": "queued", "to": to, "cc": cc}, (to, cc)


def _queue_feedback(report, own, owed, outbox, config: AlertConfig, result) -> dict[str, dict[str, Any]]:
    """One mail per regency contact for all of its files not yet told about; a file's
    findings are composed once (its item key), however many runs see it."""
    from smartprov.alerts.feedback import needs_feedback
    from smartprov.alerts.ledger import feedback_key

    status: dict[str, dict[str, Any]] = {}
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[tuple[dict[str, Any], str]]] = {}
    mine = {str(s.get("submission_id")) for s in own}
    candidates: list[tuple[dict[str, Any], str, dict[str, Any], str]] = []
    for sub in [*own, *owed]:
        if not needs_feedback(sub, config.feedback_on_warnings):
            continue
        sid = str(sub.get("submission_id"))
        what = f"feedback:{sid}"
        state, target = _feedback_target(sub, report, config)
        if target is None:
            status[sid] = {k: v for k, v in state.items() if k != "reason"}
            if sid in mine:  # earlier runs reported their own skips
                result["skipped"].append({"what": what, "channel": EMAIL, "reason": state["reason"]})
            continue
        candidates.append((sub, sid, state, feedback_key(EMAIL, target[0][0], sid)))
    told = outbox.known(key for *_, key in candidates)  # one look for them all
    for sub, sid, state, key in candidates:
        if key in told:
            status[sid] = {"state": "already"}
            if sid in mine:
                result["skipped"].append(
                    {"what": f"feedback:{sid}", "channel": EMAIL, "reason": "already sent", "key": key}
                )
            continue
        status[sid] = state
        groups.setdefault(
            (tuple(a.lower() for a in state["to"]), tuple(a.lower() for a in state["cc"])), []
        ).append((sub, key))
    for group in groups.values():
        subs = [sub for sub, _ in group]
        _, (to, cc) = _feedback_target(subs[0], report, config)
        try:
            message = _feedback_message(subs, report, to, cc, config)
        except Exception as exc:  # one regency's broken mail must not stop the others
            log.warning("Feedback for %s not composed: %s", [s.get("submission_id") for s in subs], exc)
            for sub in subs:
                status[str(sub.get("submission_id"))] = {"state": "failed", "error": _short_error(exc)}
            result["errors"].append(
                {
                    "what": f"feedback:{subs[0].get('submission_id')}",
                    "channel": EMAIL,
                    "error": _short_error(exc),
                }
            )
            continue
        outbox.enqueue(message, [key for _, key in group])
    return status


def _feedback_message(subs, report, to, cc, config: AlertConfig):
    import hashlib

    from smartprov.alerts.feedback import build_feedback, build_feedback_bundle
    from smartprov.alerts.ledger import Message

    sids = [str(s.get("submission_id")) for s in subs]
    if len(subs) == 1:
        email = build_feedback(subs[0], report, to=to, cc=cc, max_in_body=config.max_findings_in_body)
    else:
        email = build_feedback_bundle(subs, report, to=to, cc=cc, max_in_body=config.max_findings_in_body)
    # The items (one per file) keep a file's findings from being mailed twice; the message's
    # own key is unique, so that a file forgotten on purpose (reprocess --notify-again) is
    # mailed again.
    files = hashlib.sha256(",".join(sorted(sids)).encode()).hexdigest()[:12]
    key = f"feedback-mail:{EMAIL}:{to[0].lower()}:{files}:{uuid.uuid4().hex[:8]}"
    return Message(
        key=key,
        kind="feedback",
        channel=EMAIL,
        subject=email.subject,
        text=email.text,
        html=email.html,
        to=email.to,
        cc=email.cc,
        reply_to=config.reply_address([p for p in {_province_of(s, report) for s in subs} if p]),
        attachments=email.attachments,
        payload={
            "what": "feedback:" + ",".join(sids),
            "submission_id": sids[0],
            "submission_ids": sids,
            "headers": email.headers,
        },
        run_id=report.get("run_id"),
    )


def _queue_digests(
    report, submissions, overdue, provinces, feedback_status, outbox, config, result, now
) -> None:
    """The day's digest, once a day per channel: everything not yet listed by a digest."""
    from smartprov.alerts import channels
    from smartprov.alerts.digest import build_digest
    from smartprov.alerts.ledger import Message, digest_item_key, digest_key
    from smartprov.alerts.render import wib

    day = wib(now)[:10]
    scope = ",".join(provinces) or "all"
    for channel in (EMAIL, WEBHOOK):
        what = "digest"
        if channel == EMAIL and not config.email_enabled:
            result["skipped"].append({"what": what, "channel": channel, "reason": "channel disabled"})
            continue
        if channel == WEBHOOK and config.webhook_enabled is False:
            result["skipped"].append({"what": what, "channel": channel, "reason": "channel disabled"})
            continue
        if (
            channel == WEBHOOK
            and config.webhook_enabled is None
            and not channels.connection_defined(config.webhook_conn_id)
        ):
            result["skipped"].append(
                {
                    "what": what,
                    "channel": channel,
                    "reason": f"connection {config.webhook_conn_id} not defined",
                }
            )
            continue
        key = digest_key(channel, f"{scope}:{day}")
        if key in outbox.known([key]):
            result["skipped"].append(
                {"what": what, "channel": channel, "reason": "already sent today", "key": key}
            )
            continue
        item_keys = {
            str(s.get("submission_id")): digest_item_key(channel, str(s.get("submission_id")))
            for s in submissions
        }
        listed = outbox.known(item_keys.values())
        items = [s for s in submissions if item_keys[str(s.get("submission_id"))] not in listed]
        digest = build_digest(
            report, items=items, overdue=overdue, feedback_status=feedback_status, config=config,
            provinces=provinces, undelivered=outbox.waiting(),
        )  # fmt: skip
        if not digest.reportable and not config.digest_always:
            result["skipped"].append({"what": what, "channel": channel, "reason": "nothing to report"})
            continue
        info = {"what": what, "counts": digest.counts, "day": day}
        if channel == EMAIL:
            recipients = config.digest_recipients(provinces)
            if not recipients:
                result["skipped"].append(
                    {"what": what, "channel": channel, "reason": "no recipients configured"}
                )
                continue
            message = Message(
                key=key, kind="digest", channel=channel, subject=digest.subject, text=digest.text,
                html=digest.html, to=recipients, reply_to=config.reply_address(provinces), payload=info,
                run_id=report.get("run_id"),
            )  # fmt: skip
        else:
            message = Message(
                key=key, kind="digest", channel=channel, subject=digest.subject, text=digest.short_text,
                payload={**info, "webhook": {"event": "digest", "text": digest.short_text, "data": digest.data}},
                run_id=report.get("run_id"),
            )  # fmt: skip
        outbox.enqueue(message, [item_keys[str(s.get("submission_id"))] for s in items])


def _short_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


class AlertConfigError(ValueError):
    """Alerts are switched on but cannot be delivered (no sender, no recipient)."""


def connection_sender(conn_id: str) -> tuple[str | None, bool]:
    """(the `from_email` extra of the SMTP Connection, whether that answer is certain), read
    through `smartprov.connections` (both of Airflow's forms: URI and JSON) without
    importing Airflow. Not certain when the Connection may live where only Airflow looks
    (the metadata database, a secrets backend): then it is resolved when a mail is sent."""
    from smartprov import connections

    conn, certain = connections.environment_only(conn_id)
    return ((conn.extra_dejson.get("from_email") or None) if conn else None), certain


def failure_notifiers(config: AlertConfig | None = None, *, event: str = "failure") -> list[Any]:
    """Notifiers for `on_failure_callback` (event "failure") or `on_retry_callback` ("retry").

    E-mail: `SmtpNotifier` (our subclass) with explicit `smtp_conn_id`, `from_email` and `to`
    (the failure recipients). Webhook: posted when its Connection exists ("auto"), required
    when enabled explicitly, absent when disabled.

    Called while a DAG file is parsed: when e-mail alerts are on but there is no sender
    (`SMARTPROV_ALERTS_FROM` / `from_email`, or the `from_email` extra of the SMTP
    Connection in either of Airflow's forms, `smtp://…?from_email=…` or JSON) or no recipient
    (`failures.to` / `digest.to`), it raises AlertConfigError, which Airflow shows as the
    DAG's import error. A Connection kept where only Airflow looks is checked when sending.
    """
    config = config or AlertConfig.load()
    if not config.enabled:
        return []
    from smartprov.alerts.notifiers import SmartprovSmtpNotifier, WebhookNotifier

    out: list[Any] = []
    to = config.failure_recipients()
    if config.email_enabled:
        sender, certain = (
            (config.from_email, True) if config.from_email else connection_sender(config.smtp_conn_id)
        )
        missing = [
            what
            for what, value in (
                ("sender (SMARTPROV_ALERTS_FROM or from_email in the alerts config)", sender or not certain),
                ("recipient (SMARTPROV_ALERTS_FAILURE_TO or SMARTPROV_ALERTS_DIGEST_TO)", to),
            )
            if not value
        ]
        if missing:
            raise AlertConfigError(
                "smartprov e-mail alerts are on but have no "
                + " and no ".join(missing)
                + "; set them (docs/alerts.md) or set SMARTPROV_ALERTS_EMAIL_ENABLED=false"
            )
        out.append(
            SmartprovSmtpNotifier(to=to, smtp_conn_id=config.smtp_conn_id, from_email=sender, event=event)
        )
    elif config.webhook_enabled is not False:  # with e-mail on, the incident posts to the webhook too
        out.append(
            WebhookNotifier(config.webhook_conn_id, required=config.webhook_enabled is True, event=event)
        )
    return out


def recovery_notifiers(config: AlertConfig | None = None) -> list[Any]:
    """Notifiers for `on_success_callback`: an open incident of that task closes with one
    "pulih / recovered" mail (smartprov.alerts.incidents)."""
    config = config or AlertConfig.load()
    if not config.enabled:
        return []
    from smartprov.alerts.notifiers import RecoveryNotifier

    return [RecoveryNotifier(to=config.failure_recipients(), from_email=config.from_email)]
