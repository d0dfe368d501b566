"""Delivery: e-mail through Airflow's SMTP provider, and one chat webhook. Both by Airflow Connection.

The webhook Connection is read by `smartprov.connections`: from `AIRFLOW_CONN_<ID>` without
importing Airflow, else through Airflow's secrets chain. Inside a task that chain ends at the
API server (Connections made in the UI work). Outside a task (the `smartprov` CLI, tests)
Airflow 3 reads only environment variables and any configured secrets backend, never the
metadata database: define `AIRFLOW_CONN_SMTP_DEFAULT` / `AIRFLOW_CONN_SMARTPROV_WEBHOOK` there.
E-mail goes through the SMTP provider's hook, which imports Airflow.

Airflow imports stay inside the functions: `import smartprov.alerts` must stay cheap.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from smartprov import connections

log = logging.getLogger(__name__)

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class ChannelError(RuntimeError):
    """A channel refused or could not take a message."""


class ConnectionMissing(ChannelError):
    """The Airflow Connection for a channel is not defined."""


@dataclass
class Attachment:
    filename: str
    content: bytes
    maintype: str = XLSX_TYPE[0]
    subtype: str = XLSX_TYPE[1]


@dataclass
class Email:
    to: list[str]
    subject: str
    text: str
    html: str
    cc: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


# -- e-mail -----------------------------------------------------------------------------
def build_mime(email: Email, from_email: str) -> EmailMessage:
    """multipart/mixed( multipart/alternative(text/plain, text/html), attachments... )."""
    msg = EmailMessage()
    msg["Subject"] = email.subject
    msg["From"] = from_email
    msg["To"] = ", ".join(email.to)
    if email.cc:
        msg["Cc"] = ", ".join(email.cc)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=from_email.rsplit("@", 1)[-1])
    for name, value in email.headers.items():
        msg[name] = value
    msg.set_content(email.text, subtype="plain", charset="utf-8")
    msg.add_alternative(email.html, subtype="html", charset="utf-8")
    for att in email.attachments:
        msg.add_attachment(att.content, maintype=att.maintype, subtype=att.subtype, filename=att.filename)
    return msg


def send_email(email: Email, *, smtp_conn_id: str, from_email: str | None = None) -> list[str]:
    """Send through the SMTP Connection `smtp_conn_id`; returns the envelope recipients.

    SmtpHook resolves the Connection and opens the session with its host, port, SSL/STARTTLS
    and login settings (extras `disable_ssl`, `disable_tls`, `timeout`, `from_email` ...). The
    hook's own `send_email_smtp` can only send an HTML body, so the finished MIME message
    (plain text + HTML + attachments) goes through the session the hook opened.
    """
    from airflow.providers.smtp.hooks.smtp import SmtpHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    recipients = list(dict.fromkeys([*email.to, *email.cc]))
    if not recipients:
        raise ChannelError("no recipients")
    hook = SmtpHook(smtp_conn_id=smtp_conn_id)
    try:
        hook.smtp_connection = hook.get_connection(smtp_conn_id)
    except AirflowNotFoundException as exc:
        raise ConnectionMissing(f"SMTP connection {smtp_conn_id!r} is not defined") from exc
    sender = from_email or hook.from_email
    if not sender:
        raise ChannelError(
            f"no sender: set from_email in the alerts config or the `from_email` extra of {smtp_conn_id!r}"
        )
    msg = build_mime(email, sender)
    with hook as session:
        client = getattr(session, "_smtp_client", None)
        if client is None:  # pragma: no cover - guards against a provider refactoring
            raise ChannelError("the SMTP provider's hook exposes no client session")
        refused = client.send_message(msg, from_addr=sender, to_addrs=recipients)
    if refused:
        log.warning("SMTP server refused some recipients: %s", sorted(refused))
    return [r for r in recipients if r not in (refused or {})]


# -- webhook ----------------------------------------------------------------------------
@dataclass
class WebhookTarget:
    url: str
    headers: dict[str, str]
    format: str  # "generic" | "slack"
    timeout: float

    def __repr__(self) -> str:  # never show the URL: for Slack the path is the secret
        return f"WebhookTarget(format={self.format!r}, timeout={self.timeout})"


def webhook_target(conn_id: str) -> WebhookTarget:
    """Read the webhook Connection.

    URL: `host` (a full `https://…` URL is accepted as the host), `schema` as the protocol
    (`http`/`https`) or, in URI form, as the path; `port`; extra `endpoint` for the path.
    Auth: `password` alone is sent as `Authorization: Bearer …`; `login` + `password` as Basic.
    Extra: `format` (`generic` | `slack`), `timeout` (seconds, default 10), `headers` (dict).
    """
    try:
        conn = connections.get_connection(conn_id)
    except connections.ConnectionNotFound as exc:
        raise ConnectionMissing(f"webhook connection {conn_id!r} is not defined") from exc
    extra = conn.extra_dejson or {}
    host = (conn.host or "").strip()
    schema = (conn.schema or "").strip()
    if not host:
        raise ChannelError(f"webhook connection {conn_id!r} has no host")
    if host.startswith(("http://", "https://")):
        base = host.rstrip("/")
    else:
        if extra.get("scheme"):
            scheme = str(extra["scheme"])
        elif schema in ("http", "https"):
            scheme = schema
        elif conn.conn_type in ("http", "https"):
            scheme = conn.conn_type
        else:
            scheme = "https"
        base = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    path = str(extra.get("endpoint") or extra.get("path") or "")
    if not path and schema and schema not in ("http", "https"):
        path = schema  # URI form: http://host/path puts the path in `schema`
    url = base + ("/" + path.lstrip("/") if path else "")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "smartprov-alerts"}
    if conn.login and conn.password:
        token = base64.b64encode(f"{conn.login}:{conn.password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif conn.password:
        headers["Authorization"] = f"Bearer {conn.password}"
    for k, v in (extra.get("headers") or {}).items():
        headers[str(k)] = str(v)
    fmt = str(extra.get("format", "generic")).lower()
    if fmt not in ("generic", "slack"):
        raise ChannelError(f"webhook connection {conn_id!r}: extra.format must be 'generic' or 'slack'")
    return WebhookTarget(url=url, headers=headers, format=fmt, timeout=float(extra.get("timeout", 10)))


def post_json(target: WebhookTarget, payload: dict[str, Any]) -> int:
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    req = urllib.request.Request(target.url, data=body, headers=target.headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=target.timeout) as resp:  # noqa: S310 - URL from a Connection
            status = resp.status
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ChannelError(f"webhook unreachable: {type(reason).__name__}: {reason}") from None
    if not 200 <= status < 300:
        raise ChannelError(f"webhook answered HTTP {status}")
    return status


def webhook_payload(fmt: str, *, event: str, title: str, text: str, data: dict[str, Any]) -> dict[str, Any]:
    """`generic`: our JSON document; `slack`: an incoming-webhook message (text + blocks)."""
    if fmt == "slack":
        # Slack's control sequences (<!channel>, <url|label>) must not come from workbook text.
        safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        section = safe if len(safe) <= 2900 else safe[:2899] + "…"
        return {
            "text": f"{title}\n{safe}",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            ],
        }
    return {"source": "smartprov", "event": event, "title": title, "text": text, **data}


def send_webhook(conn_id: str, *, event: str, title: str, text: str, data: dict[str, Any]) -> str:
    """POST one message; returns the format used."""
    target = webhook_target(conn_id)
    post_json(target, webhook_payload(target.format, event=event, title=title, text=text, data=data))
    return target.format


def connection_defined(conn_id: str) -> bool:
    """Whether the Connection exists (no Airflow import when it is in the environment)."""
    return connections.connection_defined(conn_id)
