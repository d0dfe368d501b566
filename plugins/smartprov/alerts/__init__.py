"""Alerts after a run: regency feedback, the province digest, and pipeline-failure notifiers.

- `notify_run(report, warehouse, config)`: after every run, e-mail each rejected or warned
  submission's `email_kontak` (plus the province's CC list) its findings with an .xlsx, then
  send the province digest by e-mail and to the chat webhook. `audit.notifications` keeps
  what was sent, so that a rerun or a later run never sends the same thing twice.
- `failure_notifiers(config)`: Airflow notifiers for `on_failure_callback`.

This module stays light (no pandas, no Airflow at import time): DAG files import it while
they are parsed. See docs/alerts.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from smartprov.alerts.config import AlertConfig, Deadline, domain_allowed, is_email

__all__ = ["AlertConfig", "AlertConfigError", "AlertDeliveryError", "Deadline", "failure_notifiers", "notify_run"]

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
) -> dict[str, Any]:
    """Send what this run has to say; return what was sent, skipped or failed (JSON-ready).

    `warehouse`: a `smartprov.warehouse.connection.Warehouse` (or its URL). `today`: the date the
    overdue days are counted to (default: `settings.today()`, the package's one clock); who is
    overdue is read from the mart `province_submission_status`. A message is recorded
    in `audit.notifications` only once its channel accepted it; failures are returned (or
    raised with `raise_on_error`, for a task that should be retried) and retried next time.
    """
    from smartprov.alerts import deadlines as dl
    from smartprov.alerts.ledger import Ledger, smtp_relay

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
        ledger = Ledger(
            warehouse,
            relay=smtp_relay(config.smtp_conn_id) if config.email_enabled else None,
            report_path=report.get("report_path"),
        )
        _resend_after_relay_change(report, ledger, warehouse, config, result)
        today = today or config.today()
        submissions = [s for s in report.get("submissions") or [] if s.get("status") != "duplicate"]

        feedback_status = _send_feedback(report, submissions, ledger, config, result)

        provinces = dl.scope_provinces(report, warehouse, config)
        overdue = dl.overdue_regencies(warehouse, provinces, today, report)
        result["overdue"] = [o.as_dict() for o in overdue]
        if provinces and not warehouse.table_exists(dl.STATUS_MART):
            result["skipped"].append(
                {"what": "overdue", "channel": None, "reason": f"{dl.STATUS_MART} not built yet"}
            )

        _send_digests(report, submissions, overdue, provinces, feedback_status, ledger, config, result)
    finally:
        if owned:
            warehouse.close()
    if raise_on_error and result["errors"]:
        raise AlertDeliveryError(result)
    return result


def _resend_after_relay_change(report, ledger, warehouse, config: AlertConfig, result) -> None:
    """E-mail that earlier runs sent through another relay (a development catcher) is sent
    again through the current one, from those runs' reports (smartprov.alerts.ledger)."""
    import dataclasses
    import json
    from pathlib import Path

    from smartprov.alerts import deadlines as dl
    from smartprov.alerts.ledger import Ledger

    for run_id, path in ledger.stale_email_runs().items():
        if run_id == report.get("run_id"):
            continue  # this run's own messages are sent (again) right after
        if not path or not Path(path).is_file():
            log.warning("E-mail of run %s went through another relay; its report %s is gone", run_id, path)
            result["skipped"].append(
                {"what": f"resend:{run_id}", "channel": EMAIL, "reason": f"report not found: {path}"}
            )
            continue
        earlier = json.loads(Path(path).read_text(encoding="utf-8"))
        again = Ledger(warehouse, relay=ledger.relay, report_path=path)
        submissions = [s for s in earlier.get("submissions") or [] if s.get("status") != "duplicate"]
        sub_result: dict[str, Any] = {"sent": [], "skipped": [], "errors": []}
        status = _send_feedback(earlier, submissions, again, config, sub_result)
        provinces = dl.scope_provinces(earlier, warehouse, config)
        email_only = dataclasses.replace(config, webhook_enabled=False)
        _send_digests(earlier, submissions, [], provinces, status, again, email_only, sub_result)
        for item in sub_result["sent"]:
            result["sent"].append({**item, "resent_from_run": run_id})
        result["errors"].extend(sub_result["errors"])


def _province_of(sub: dict[str, Any], report: dict[str, Any]) -> str | None:
    code = sub.get("region_code")
    if code and "." in str(code):
        return str(code).split(".", 1)[0]
    return report.get("province")


def _send_feedback(report, submissions, ledger, config: AlertConfig, result) -> dict[str, dict[str, Any]]:
    from smartprov.alerts import channels
    from smartprov.alerts.feedback import build_feedback, needs_feedback
    from smartprov.alerts.ledger import feedback_key

    status: dict[str, dict[str, Any]] = {}
    run_id = report.get("run_id")
    for sub in submissions:
        if not needs_feedback(sub, config.feedback_on_warnings):
            continue
        sid = str(sub.get("submission_id"))
        what = f"feedback:{sid}"
        if not (config.feedback_enabled and config.email_enabled):
            status[sid] = {"state": "disabled"}
            result["skipped"].append({"what": what, "channel": EMAIL, "reason": "feedback disabled"})
            continue
        contact = (sub.get("email_kontak") or "").strip()
        if not contact:
            status[sid] = {"state": "no_email"}
            result["skipped"].append({"what": what, "channel": EMAIL, "reason": "no email_kontak"})
            continue
        if not is_email(contact):
            status[sid] = {"state": "invalid_email", "value": contact[:100]}
            result["skipped"].append({"what": what, "channel": EMAIL, "reason": "invalid email_kontak"})
            continue
        if not domain_allowed(contact, config.feedback_allowed_domains):
            status[sid] = {
                "state": "domain_not_allowed",
                "value": contact[:100],
                "domains": list(config.feedback_allowed_domains),
            }
            result["skipped"].append(
                {"what": what, "channel": EMAIL, "reason": "email_kontak outside feedback.allowed_domains"}
            )
            continue
        key = feedback_key(EMAIL, contact, sid)
        if ledger.sent(key):
            status[sid] = {"state": "already"}
            result["skipped"].append({"what": what, "channel": EMAIL, "reason": "already sent", "key": key})
            continue
        cc = [a for a in config.feedback_cc_for(_province_of(sub, report)) if a.lower() != contact.lower()]
        # REGION_MISMATCH: the contacts of the sender's folder and of the claimed region too.
        to = [contact, *(a for a in sub.get("notify_also") or () if is_email(a) and a.lower() != contact.lower())]
        try:
            email = build_feedback(sub, report, to=to, cc=cc, max_in_body=config.max_findings_in_body)
            channels.send_email(email, smtp_conn_id=config.smtp_conn_id, from_email=config.from_email)
        except Exception as exc:  # one regency's failure must not stop the others
            log.warning("Feedback for %s not sent: %s", sid, exc)
            status[sid] = {"state": "failed", "error": _short_error(exc)}
            result["errors"].append({"what": what, "channel": EMAIL, "error": _short_error(exc)})
            continue
        ledger.record([key], channel=EMAIL, recipient=", ".join([*to, *cc]), run_id=run_id)
        status[sid] = {"state": "sent", "to": to, "cc": cc}
        result["sent"].append(
            {"what": what, "channel": EMAIL, "to": to, "cc": cc, "key": key, "submission_id": sid}
        )
    return status


def _send_digests(report, submissions, overdue, provinces, feedback_status, ledger, config, result) -> None:
    from smartprov.alerts import channels
    from smartprov.alerts.digest import build_digest
    from smartprov.alerts.ledger import digest_item_key, digest_key

    run_id = str(report.get("run_id"))
    for channel in (EMAIL, WEBHOOK):
        what = "digest"
        if channel == EMAIL and not config.email_enabled:
            result["skipped"].append({"what": what, "channel": channel, "reason": "channel disabled"})
            continue
        if channel == WEBHOOK and config.webhook_enabled is False:
            result["skipped"].append({"what": what, "channel": channel, "reason": "channel disabled"})
            continue
        key = digest_key(channel, run_id)
        if ledger.sent(key):
            result["skipped"].append({"what": what, "channel": channel, "reason": "already sent", "key": key})
            continue
        item_keys = {
            str(s.get("submission_id")): digest_item_key(channel, str(s.get("submission_id")))
            for s in submissions
        }
        listed = ledger.sent_keys(item_keys.values())
        items = [s for s in submissions if item_keys[str(s.get("submission_id"))] not in listed]
        digest = build_digest(
            report,
            items=items,
            overdue=overdue,
            feedback_status=feedback_status,
            config=config,
            provinces=provinces,
        )
        if not digest.reportable and not config.digest_always:
            result["skipped"].append({"what": what, "channel": channel, "reason": "nothing to report"})
            continue
        recipients: list[str] = []
        try:
            if channel == EMAIL:
                recipients = config.digest_recipients(provinces)
                if not recipients:
                    result["skipped"].append(
                        {"what": what, "channel": channel, "reason": "no recipients configured"}
                    )
                    continue
                channels.send_email(
                    channels.Email(to=recipients, subject=digest.subject, text=digest.text, html=digest.html),
                    smtp_conn_id=config.smtp_conn_id,
                    from_email=config.from_email,
                )
            else:
                if config.webhook_enabled is None and not channels.connection_defined(config.webhook_conn_id):
                    result["skipped"].append(
                        {
                            "what": what,
                            "channel": channel,
                            "reason": f"connection {config.webhook_conn_id} not defined",
                        }
                    )
                    continue
                fmt = channels.send_webhook(
                    config.webhook_conn_id,
                    event="digest",
                    title=digest.subject,
                    text=digest.short_text,
                    data=digest.data,
                )
                recipients = [f"{config.webhook_conn_id} ({fmt})"]
        except Exception as exc:
            log.warning("Digest via %s not sent: %s", channel, exc)
            result["errors"].append({"what": what, "channel": channel, "error": _short_error(exc)})
            continue
        ledger.record(
            [key, *(item_keys[str(s.get("submission_id"))] for s in items)],
            channel=channel,
            recipient=", ".join(recipients),
            run_id=run_id,
        )
        result["sent"].append(
            {
                "what": what,
                "channel": channel,
                "to": recipients,
                "key": key,
                "counts": digest.counts,
                "subject": digest.subject,
            }
        )


def _short_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


class AlertConfigError(ValueError):
    """Alerts are switched on but cannot be delivered (no sender, no recipient)."""


def _connection_sender(conn_id: str) -> str | None:
    """The `from_email` extra of a Connection given in the environment (no database at parse time)."""
    import json
    import os

    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if not raw or not raw.lstrip().startswith("{"):
        return None
    try:
        extra = json.loads(raw).get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra)
    except ValueError:
        return None
    return extra.get("from_email") or None


def failure_notifiers(config: AlertConfig | None = None, *, event: str = "failure") -> list[Any]:
    """Notifiers for `on_failure_callback` (event "failure") or `on_retry_callback` ("retry").

    E-mail: `SmtpNotifier` (our subclass) with explicit `smtp_conn_id`, `from_email` and `to`
    (the failure recipients). Webhook: posted when its Connection exists ("auto"), required
    when enabled explicitly, absent when disabled.

    Called while a DAG file is parsed: when e-mail alerts are on but there is no sender
    (`SMARTPROV_ALERTS_FROM` / `from_email`, or the `from_email` extra of an
    `AIRFLOW_CONN_SMTP_DEFAULT`-style Connection) or no recipient (`failures.to` /
    `digest.to`), it raises AlertConfigError, which Airflow shows as the DAG's import error.
    """
    config = config or AlertConfig.load()
    if not config.enabled:
        return []
    from smartprov.alerts.notifiers import SmartprovSmtpNotifier, WebhookNotifier

    out: list[Any] = []
    to = config.failure_recipients()
    if config.email_enabled:
        sender = config.from_email or _connection_sender(config.smtp_conn_id)
        missing = [
            what
            for what, value in (
                ("sender (SMARTPROV_ALERTS_FROM or from_email in the alerts config)", sender),
                ("recipient (SMARTPROV_ALERTS_FAILURE_TO or SMARTPROV_ALERTS_DIGEST_TO)", to),
            )
            if not value
        ]
        if missing:
            raise AlertConfigError(
                "smartprov e-mail alerts are on but have no " + " and no ".join(missing)
                + "; set them (docs/alerts.md) or set SMARTPROV_ALERTS_EMAIL_ENABLED=false"
            )
        out.append(SmartprovSmtpNotifier(to=to, smtp_conn_id=config.smtp_conn_id, from_email=sender, event=event))
    if config.webhook_enabled is not False:
        out.append(WebhookNotifier(config.webhook_conn_id, required=config.webhook_enabled is True, event=event))
    return out
