"""Airflow notifiers for pipeline failures and recoveries: one mail per incident.

Imports Airflow at module level: reach it through `smartprov.alerts.failure_notifiers()` /
`recovery_notifiers()`. Task callbacks run in the worker's task process, DAG-run callbacks
in the Dag processor; both resolve Connections through Airflow's secrets chain. The mail
itself is decided by smartprov.alerts.incidents (open, reminder, quiet, recovered) and goes
through the outbox.
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
from smartprov.alerts.notifiers_facts import failure_facts, failure_message

log = logging.getLogger(__name__)


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
        import dataclasses

        from smartprov.alerts.config import AlertConfig
        from smartprov.alerts.incidents import failure_event

        config = AlertConfig.load()
        config = dataclasses.replace(config, failure_to=_addresses(self.to), from_email=self.from_email)
        outcome = failure_event(context, config, event=self.event)
        if outcome["mail"] != "direct":
            log.info(
                "failure of %s: incident mail %s",
                outcome.get("incident", {}).get("incident_key"),
                outcome["mail"],
            )
            return
        subject, text, html, _ = outcome["message"]
        send_email(
            Email(to=_addresses(self.to), cc=_addresses(self.cc), subject=subject, text=text, html=html),
            smtp_conn_id=self.smtp_conn_id,
            from_email=self.from_email,
        )

    async def async_notify(self, context: dict[str, Any]) -> None:
        await asyncio.to_thread(self.notify, context)


class WebhookNotifier(_NoTemplating, BaseNotifier):
    """POST a failure alert to the chat webhook Connection (generic JSON or Slack-compatible),
    when e-mail alerts are off (otherwise the incident posts to the webhook through the outbox).

    With `required=False` (the default, webhook "auto") a missing Connection is logged and
    skipped; with `required=True` it raises.
    """

    template_fields = ()

    def __init__(
        self,
        conn_id: str = "smartprov_webhook",
        *,
        required: bool = False,
        event: str = "failure",
        **kwargs: Any,
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
        subject, text, _html, data = failure_message(failure_facts(context, self.event), self.event)
        post_json(
            target,
            webhook_payload(
                target.format,
                event="pipeline_retry" if self.event == "retry" else "pipeline_failure",
                title=subject,
                text=text,
                data=data,
            ),
        )

    async def async_notify(self, context: dict[str, Any]) -> None:
        await asyncio.to_thread(self.notify, context)


class RecoveryNotifier(_NoTemplating, BaseNotifier):
    """`on_success_callback`: closes the task's (or DAG run's) open incidents with one
    "pulih / recovered" mail. Nothing open: nothing sent."""

    template_fields = ()

    def __init__(self, *, to: Iterable[str] = (), from_email: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.to = list(to)
        self.from_email = from_email

    def notify(self, context: dict[str, Any]) -> None:
        import dataclasses

        from smartprov.alerts.config import AlertConfig
        from smartprov.alerts.incidents import success_event

        config = AlertConfig.load()
        config = dataclasses.replace(
            config, failure_to=self.to or config.failure_to, from_email=self.from_email or config.from_email
        )
        try:
            closed = success_event(context, config)
        except Exception as exc:  # a success never fails because its callback could not look
            log.warning("open incidents not checked: %s", exc)
            return
        for incident in closed:
            log.info("incident %s recovered", incident["incident_key"])

    async def async_notify(self, context: dict[str, Any]) -> None:
        await asyncio.to_thread(self.notify, context)
