"""The outbox: every message is written to the warehouse before it is sent (`audit.outbox`).

A message (regency feedback, the province digest, a pipeline failure, its recovery) is
stored with its recipients, subject, bodies, attachments, attempts, last error and next
attempt, in the same transaction as the *items* it covers (`audit.outbox_items`: "this
submission's findings went to this contact", "this submission was listed in a digest").
Then a sender (the nightly's notify, each intake, `smartprov notify`, a failure callback)
delivers what is due, and marks a message sent only once the relay (or the webhook)
accepted it. So:

- mail refused while the relay is down waits in the outbox and goes out with the next
  sender after the relay is back (retries back off: `retry_minutes` doubled per attempt,
  at most `retry_max_minutes`);
- a run killed after its load still gets its feedback mailed: the next sender composes what
  the run's saved submissions still owe (their items are not in the outbox yet);
- nothing is composed twice (message and item keys are primary keys) and nothing is sent
  twice (a sender claims a message before sending it; `sent_at` is set on acceptance).
  A crash between the relay's acceptance and the update can send that one message again:
  delivery is at least once.

Keys: feedback items `feedback:<channel>:<recipient>:<submission_id>`; digest items
`digest-item:<channel>:<submission_id>`; messages as their composers name them.

E-mail counts as sent through the relay that took it (`relay`, `host:port` of the SMTP
Connection): when the Connection is pointed at another relay (a development catcher
replaced by the province's relay), feedback and digests of the last `RESEND_DAYS` days
sent through the other relay are queued again, once.

Rows of the table this outbox replaces (`audit.notifications`) count as sent items.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smartprov.settings import utcnow

log = logging.getLogger(__name__)

TABLE = "audit.outbox"
ITEMS = "audit.outbox_items"
LEGACY = "audit.notifications"
EMAIL = "email"
WEBHOOK = "webhook"
RELAYED_CHANNEL = EMAIL
RESEND_DAYS = 14
CLAIM_MINUTES = 10  # a sender that died holding a claim releases it after this
KEEP_BODIES_DAYS = 90  # a sent message's bodies and attachments are dropped after this (its row stays)


def feedback_key(channel: str, recipient: str, submission_id: str) -> str:
    return f"feedback:{channel}:{recipient.strip().lower()}:{submission_id}"


def digest_key(channel: str, scope: str) -> str:
    return f"digest:{channel}:{scope}"


def digest_item_key(channel: str, submission_id: str) -> str:
    return f"digest-item:{channel}:{submission_id}"


def smtp_relay(smtp_conn_id: str) -> str | None:
    """`host:port` of the SMTP Connection (lower-case), or None when it is not defined."""
    from smartprov import connections

    try:
        conn = connections.get_connection(smtp_conn_id)
    except Exception:  # undefined: sending fails and says so
        return None
    if not conn.host:
        return None
    return f"{conn.host.strip().lower()}:{conn.port or ''}"


@dataclass
class Message:
    """One message to deliver. `payload`: what the webhook posts (channel webhook) and
    facts about the message that senders report (`info`)."""

    key: str
    kind: str  # feedback | digest | failure | reminder | recovery
    channel: str  # email | webhook
    subject: str
    text: str = ""
    html: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    attachments: list[Any] = field(default_factory=list)  # channels.Attachment
    payload: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None


@dataclass
class Delivery:
    sent: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


class Outbox:
    """`relay`: the SMTP relay e-mail goes through now (None: unknown)."""

    def __init__(self, warehouse, *, relay: str | None = None):
        self.wh = warehouse
        self.relay = relay
        self.wh.ensure_schema()  # audit.outbox and audit.outbox_items are warehouse tables
        self._adopt_legacy_rows()

    def _adopt_legacy_rows(self) -> None:
        if not self.wh.table_exists(LEGACY):
            return
        self.wh.execute(
            f"""INSERT INTO {ITEMS} (item_key, message_key, recorded_at)
                SELECT n.notification_key, 'legacy', n.sent_at FROM {LEGACY} n
                WHERE NOT EXISTS (SELECT 1 FROM {ITEMS} i WHERE i.item_key = n.notification_key)"""
        )

    # -- composing -------------------------------------------------------------------
    def known(self, keys: Iterable[str]) -> set[str]:
        """Which of these message or item keys the outbox already holds (sent or waiting)."""
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update(
                r[0]
                for r in self.wh.fetchall(f"SELECT item_key FROM {ITEMS} WHERE item_key IN ({marks})", chunk)
            )
            found.update(
                r[0]
                for r in self.wh.fetchall(
                    f"SELECT message_key FROM {TABLE} WHERE message_key IN ({marks})", chunk
                )
            )
        return found

    def enqueue(self, message: Message, items: Iterable[str] = (), *, now: dt.datetime | None = None) -> bool:
        """Store a message and the items it covers, in one transaction; False (and nothing
        stored) when a message with this key, or any of the items, is there already."""
        now = now or utcnow()
        attachments = [
            {
                "filename": a.filename,
                "maintype": a.maintype,
                "subtype": a.subtype,
                "content": base64.b64encode(a.content).decode("ascii"),
            }
            for a in message.attachments
        ]
        items = list(dict.fromkeys(items))
        try:
            with self.wh.transaction():
                return self._insert(message, items, attachments, now)
        except Exception as exc:  # a concurrent sender stored the same message or item first
            if any(word in str(exc).lower() for word in ("duplicate", "unique", "constraint")):
                return False
            raise

    def _insert(self, message: Message, items: list[str], attachments: list[dict], now: dt.datetime) -> bool:
        if self.wh.fetchall(f"SELECT 1 FROM {TABLE} WHERE message_key = ?", (message.key,)):
            return False
        if items and self.known(items):
            return False
        self.wh.execute(
            f"""INSERT INTO {TABLE} (message_key, kind, channel, recipients, cc, reply_to, subject,
                    body_text, body_html, attachments, payload, run_id, created_at, attempts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)""",
            (
                message.key,
                message.kind,
                message.channel,
                ", ".join(message.to),
                ", ".join(message.cc),
                message.reply_to,
                message.subject[:1000],
                message.text,
                message.html,
                json.dumps(attachments),
                json.dumps(message.payload, ensure_ascii=False, default=str),
                message.run_id,
                now,
            ),
        )
        for item in items:
            self.wh.execute(
                f"INSERT INTO {ITEMS} (item_key, message_key, recorded_at) VALUES (?, ?, ?)",
                (item, message.key, now),
            )
        return True

    def mark(self, keys: Iterable[str], *, now: dt.datetime | None = None) -> None:
        """Record items that stand for no message (a run's feedback composed)."""
        now = now or utcnow()
        for key in dict.fromkeys(keys):
            self.wh.execute(
                f"INSERT INTO {ITEMS} (item_key, message_key, recorded_at) VALUES (?, 'marker', ?)"
                " ON CONFLICT (item_key) DO NOTHING",
                (key, now),
            )

    def last_created(self, kind: str) -> dt.datetime | None:
        (value,) = self.wh.fetchall(f"SELECT max(created_at) FROM {TABLE} WHERE kind = ?", (kind,))[0]
        return value

    # -- delivering ------------------------------------------------------------------
    def requeue_after_relay_change(self, now: dt.datetime | None = None) -> int:
        """Feedback and digests sent through another relay lately go out again through this one."""
        if self.relay is None:
            return 0
        now = now or utcnow()
        where = (
            "channel = ? AND kind IN ('feedback', 'digest') AND sent_at IS NOT NULL AND relay IS NOT NULL"
            " AND relay <> ? AND created_at >= ?"
        )
        params = (RELAYED_CHANNEL, self.relay, now - dt.timedelta(days=RESEND_DAYS))
        (count,) = self.wh.fetchall(f"SELECT count(*) FROM {TABLE} WHERE {where}", params)[0]
        if count:
            self.wh.execute(
                f"""UPDATE {TABLE} SET sent_at = NULL, attempts = 0, next_attempt_at = ?,
                        last_error = 'sent through ' || relay || ', not through ' || ?
                    WHERE {where}""",
                (now, self.relay, *params),
            )
            log.info(
                "outbox: %d message(s) sent through another relay queued again for %s", count, self.relay
            )
        return count

    def deliver(
        self,
        config,
        *,
        now: dt.datetime | None = None,
        ignore_backoff: bool = False,
        kinds: Iterable[str] | None = None,
    ) -> Delivery:
        """Send every waiting message that is due. After a channel-wide failure (the relay
        unreachable, no sender) the rest of that channel's messages are not tried in this
        pass: each gets the same error and its next attempt."""
        import smartprov.alerts.channels as channels

        now = now or utcnow()
        self.requeue_after_relay_change(now)
        sql = f"""SELECT message_key, kind, channel, recipients, cc, reply_to, subject, body_text, body_html,
                         attachments, payload, run_id, attempts, last_error
                  FROM {TABLE} WHERE sent_at IS NULL"""
        params: list[Any] = []
        if not ignore_backoff:
            sql += " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            params.append(now)
        if kinds is not None:
            kinds = list(kinds)
            sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
            params += kinds
        rows = self.wh.fetchall(sql + " ORDER BY created_at, message_key", params)
        self.wh.execute(
            f"""UPDATE {TABLE} SET body_text = NULL, body_html = NULL, attachments = NULL
                WHERE sent_at < ? AND attachments IS NOT NULL""",
            (now - dt.timedelta(days=KEEP_BODIES_DAYS),),
        )
        out = Delivery()
        down: dict[str, str] = {}
        for row in rows:
            (
                key,
                kind,
                channel,
                to,
                cc,
                reply_to,
                subject,
                text,
                html,
                atts,
                payload,
                run_id,
                attempts,
                _,
            ) = row
            info = json.loads(payload or "{}")
            what = info.get("what") or kind
            if (channel == EMAIL and not config.email_enabled) or (
                channel == WEBHOOK and config.webhook_enabled is False
            ):
                continue  # the channel is off (or has no Connection): the message waits
            if channel in down:
                self._failed(key, attempts, down[channel], config, now)
                out.errors.append({"what": what, "channel": channel, "error": down[channel], "key": key})
                continue
            if not self._claim(key, now):
                continue  # another sender has it
            recipients: list[str] = []
            try:
                if channel == EMAIL:
                    email = channels.Email(
                        to=_split(to),
                        cc=_split(cc),
                        subject=subject,
                        text=text or "",
                        html=html or "",
                        attachments=[
                            channels.Attachment(
                                filename=a["filename"],
                                content=base64.b64decode(a["content"]),
                                maintype=a["maintype"],
                                subtype=a["subtype"],
                            )
                            for a in json.loads(atts or "[]")
                        ],
                        headers={
                            **(info.get("headers") or {}),
                            **({"Reply-To": reply_to} if reply_to else {}),
                        },
                    )
                    channels.send_email(email, smtp_conn_id=config.smtp_conn_id, from_email=config.from_email)
                    recipients = [*email.to, *email.cc]
                else:
                    hook = info.get("webhook") or {}
                    fmt = channels.send_webhook(
                        config.webhook_conn_id,
                        event=hook.get("event", kind),
                        title=subject,
                        text=hook.get("text") or text or "",
                        data=hook.get("data") or {},
                    )
                    recipients = [f"{config.webhook_conn_id} ({fmt})"]
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("outbox: %s via %s not delivered: %s", key, channel, error)
                if _channel_wide(exc):
                    down[channel] = error
                self._failed(key, attempts, error, config, now)
                out.errors.append({"what": what, "channel": channel, "error": error, "key": key})
                continue
            self.wh.execute(
                f"""UPDATE {TABLE} SET sent_at = ?, attempts = attempts + 1, relay = ?, claim = NULL,
                        claimed_until = NULL, next_attempt_at = NULL WHERE message_key = ?""",
                (utcnow(), self.relay if channel == RELAYED_CHANNEL else None, key),
            )
            out.sent.append(
                {
                    **{k: v for k, v in info.items() if k not in ("webhook", "headers")},
                    "what": what,
                    "channel": channel,
                    "to": _split(to) if channel == EMAIL else recipients,
                    "cc": _split(cc),
                    "key": key,
                    "subject": subject,
                    "run_id": run_id,
                    "attempts": attempts + 1,
                }
            )
        return out

    def _claim(self, key: str, now: dt.datetime) -> bool:
        token = uuid.uuid4().hex
        self.wh.execute(
            f"""UPDATE {TABLE} SET claim = ?, claimed_until = ?
                WHERE message_key = ? AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)""",
            (token, now + dt.timedelta(minutes=CLAIM_MINUTES), key, now),
        )
        rows = self.wh.fetchall(f"SELECT claim FROM {TABLE} WHERE message_key = ?", (key,))
        return bool(rows) and rows[0][0] == token

    def _failed(self, key: str, attempts: int, error: str, config, now: dt.datetime) -> None:
        self.wh.execute(
            f"""UPDATE {TABLE} SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
                    claim = NULL, claimed_until = NULL WHERE message_key = ?""",
            (error, now + backoff(attempts + 1, config), key),
        )

    # -- what waits ------------------------------------------------------------------
    def waiting(self) -> list[dict[str, Any]]:
        rows = self.wh.fetchall(
            f"""SELECT message_key, kind, channel, recipients, subject, attempts, last_error, next_attempt_at,
                       created_at
                FROM {TABLE} WHERE sent_at IS NULL ORDER BY created_at, message_key"""
        )
        names = (
            "key",
            "kind",
            "channel",
            "to",
            "subject",
            "attempts",
            "last_error",
            "next_attempt_at",
            "created_at",
        )
        return [dict(zip(names, r, strict=True)) for r in rows]


def backoff(attempts: int, config) -> dt.timedelta:
    """Wait after the `attempts`-th failed attempt: retry_minutes doubled per attempt, capped."""
    base = max(0.0, float(getattr(config, "retry_minutes", 5)))
    cap = max(base, float(getattr(config, "retry_max_minutes", 360)))
    return dt.timedelta(minutes=min(cap, base * 2 ** max(0, attempts - 1)))


def _channel_wide(exc: BaseException) -> bool:
    """A failure every message of the channel would meet (relay down, no sender), as
    opposed to one message refused (a recipient, its size)."""
    return not isinstance(
        exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError | smtplib.SMTPSenderRefused
    )


def _split(value: str | None) -> list[str]:
    return [a.strip() for a in (value or "").split(",") if a.strip()]


def outbox_summary(warehouse) -> dict[str, Any]:
    """What waits undelivered: count, the oldest, the next attempt, the last error."""
    wh = warehouse
    wh.ensure_schema()
    (waiting, failing, oldest, next_at) = wh.fetchall(
        f"""SELECT count(*), sum(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), min(created_at), min(next_attempt_at)
            FROM {TABLE} WHERE sent_at IS NULL"""
    )[0]
    last = wh.fetchall(
        f"""SELECT last_error FROM {TABLE} WHERE sent_at IS NULL AND last_error IS NOT NULL
            ORDER BY next_attempt_at DESC LIMIT 1"""
    )
    (sent,) = wh.fetchall(f"SELECT count(*) FROM {TABLE} WHERE sent_at IS NOT NULL")[0]
    return {
        "waiting": int(waiting or 0),
        "failing": int(failing or 0),
        "sent": int(sent or 0),
        "oldest": oldest.isoformat() if oldest else None,
        "next_attempt": next_at.isoformat() if next_at else None,
        "last_error": last[0][0] if last else None,
    }


def waiting_line(summary: dict[str, Any]) -> str | None:
    """One line an operator reads when messages wait undelivered, else None."""
    if not summary["waiting"]:
        return None
    from smartprov.alerts.render import wib

    parts = [f"{summary['waiting']} message(s) waiting undelivered in the outbox"]
    if summary["oldest"]:
        parts.append(f"oldest from {wib(summary['oldest'])}")
    if summary["next_attempt"]:
        parts.append(f"next attempt {wib(summary['next_attempt'])}")
    if summary["last_error"]:
        parts.append(f"last error: {summary['last_error'][:200]}")
    return "; ".join(parts) + " (smartprov notify sends them)"
