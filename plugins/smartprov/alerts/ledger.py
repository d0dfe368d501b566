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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

TABLE = "audit.notifications"


def feedback_key(channel: str, recipient: str, submission_id: str) -> str:
    return f"feedback:{channel}:{recipient.strip().lower()}:{submission_id}"


def digest_key(channel: str, run_id: str) -> str:
    return f"digest:{channel}:{run_id}"


def digest_item_key(channel: str, submission_id: str) -> str:
    return f"digest-item:{channel}:{submission_id}"


class Ledger:
    def __init__(self, warehouse):
        self.wh = warehouse
        self.wh.ensure_schema()  # audit.notifications is one of the warehouse's tables

    def sent(self, key: str) -> bool:
        return bool(self.wh.fetchall(f"SELECT 1 FROM {TABLE} WHERE notification_key = ?", (key,)))

    def sent_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.wh.fetchall(
                f"SELECT notification_key FROM {TABLE} WHERE notification_key IN ({marks})", chunk
            )
            found.update(r[0] for r in rows)
        return found

    def record(self, keys: Iterable[str], *, channel: str, recipient: str | None, run_id: str | None) -> None:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with self.wh.transaction():
            for key in dict.fromkeys(keys):
                self.wh.execute(
                    f"""INSERT INTO {TABLE} (notification_key, channel, recipient, sent_at, run_id)
                        VALUES (?, ?, ?, ?, ?) ON CONFLICT (notification_key) DO NOTHING""",
                    (key, channel, (recipient or "")[:2000] or None, now, run_id),
                )
