"""What has been sent: `audit.notifications`, so that nothing is sent twice.

A message is recorded only after the channel accepted it. Keys:

- regency feedback: `feedback:<channel>:<recipient>:<submission_id>` (a file's findings are
  reported to its contact once, whichever run sees the file again);
- province digest: `digest:<channel>:<run_id>` (a rerun of the same run sends nothing);
- digest items: `digest-item:<channel>:<submission_id>` (a submission listed in one digest
  is not listed again by a later run's digest).

Delivery is at least once: a crash between the channel's acceptance and the insert means
the next run sends that message again. Overdue regencies are not keyed: the digest lists
them every run until they submit.

E-mail counts as sent only through the relay that took it: each row records the SMTP relay
(`host:port` of the SMTP Connection) and the run report it came from. When the relay changes
(a development catcher replaced by the province's relay), e-mail recorded through another
relay is no longer "sent" (`sent`, `sent_keys`), and `stale_email_runs` names the runs
whose reports `notify_run` goes through again; a message sent again updates its row with
the new relay, and one that fails stays stale and is retried next time. Rows from before
relays were recorded (relay NULL) count as sent: nobody knows where they went.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

TABLE = "audit.notifications"
RELAYED_CHANNEL = "email"  # the channel whose rows carry a relay
# Columns added after the table's first release: added in place on older warehouses.
ADDED_COLUMNS = {"relay": "VARCHAR(300)", "report_path": "VARCHAR(1024)"}


def feedback_key(channel: str, recipient: str, submission_id: str) -> str:
    return f"feedback:{channel}:{recipient.strip().lower()}:{submission_id}"


def digest_key(channel: str, run_id: str) -> str:
    return f"digest:{channel}:{run_id}"


def digest_item_key(channel: str, submission_id: str) -> str:
    return f"digest-item:{channel}:{submission_id}"


def smtp_relay(smtp_conn_id: str) -> str | None:
    """`host:port` of the SMTP Connection (lower-case), or None when it is not defined."""
    from smartprov import connections

    try:
        conn = connections.get_connection(smtp_conn_id)
    except Exception:  # undefined: sending fails and says so; nothing is recorded
        return None
    if not conn.host:
        return None
    return f"{conn.host.strip().lower()}:{conn.port or ''}"


def _channel_of(key: str) -> str:
    parts = key.split(":", 2)
    return parts[1] if len(parts) > 1 else ""


class Ledger:
    """`relay`: the SMTP relay e-mail goes through now (None: unknown, any relay counts);
    `report_path`: the run report the recorded messages come from."""

    def __init__(self, warehouse, *, relay: str | None = None, report_path: str | None = None):
        self.wh = warehouse
        self.relay = relay
        self.report_path = report_path
        self.wh.ensure_schema()  # audit.notifications is one of the warehouse's tables
        self._add_columns()

    def _add_columns(self) -> None:
        present = {
            r[0]
            for r in self.wh.fetchall(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                tuple(TABLE.split(".")),
            )
        }
        for column, sql_type in ADDED_COLUMNS.items():
            if column not in present:
                self.wh.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {column} {sql_type}")

    def _counts(self, channel: str, relay: str | None) -> bool:
        return channel != RELAYED_CHANNEL or self.relay is None or relay is None or relay == self.relay

    def sent(self, key: str) -> bool:
        return key in self.sent_keys([key])

    def sent_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.wh.fetchall(
                f"SELECT notification_key, channel, relay FROM {TABLE} WHERE notification_key IN ({marks})",
                chunk,
            )
            found.update(key for key, channel, relay in rows if self._counts(channel, relay))
        return found

    def record(self, keys: Iterable[str], *, channel: str, recipient: str | None, run_id: str | None) -> None:
        """Record delivered messages; a message sent again (through a new relay) updates its row."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        relay = self.relay if channel == RELAYED_CHANNEL else None
        with self.wh.transaction():
            for key in dict.fromkeys(keys):
                self.wh.execute(
                    f"""INSERT INTO {TABLE}
                            (notification_key, channel, recipient, sent_at, run_id, relay, report_path)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (notification_key) DO UPDATE SET
                            recipient = excluded.recipient, sent_at = excluded.sent_at,
                            run_id = excluded.run_id, relay = excluded.relay,
                            report_path = excluded.report_path""",
                    (key, channel, (recipient or "")[:2000] or None, now, run_id, relay, self.report_path),
                )

    # -- a changed relay ---------------------------------------------------------------
    def stale_email_runs(self) -> dict[str, str | None]:
        """Runs with e-mail recorded through another relay than the current one: run id ->
        its report's path (None when not recorded)."""
        if self.relay is None:
            return {}
        rows = self.wh.fetchall(
            f"""SELECT run_id, max(report_path) FROM {TABLE}
                WHERE channel = ? AND relay IS NOT NULL AND relay <> ? GROUP BY run_id ORDER BY run_id""",
            (RELAYED_CHANNEL, self.relay),
        )
        return {run_id: path for run_id, path in rows}
