"""The portal's own tables, in schema `portal` of the warehouse (DuckDB or PostgreSQL).

users (regency officers and province staff), sessions (browser logins), tokens (API tokens
and one-time set-password links; only their SHA-256 is kept) and the audit log (logins,
checks, sends, account changes). The DDL is plain SQL both engines accept; the pipeline's
schema (`warehouse.schema`) does not know these tables and never touches them.

On DuckDB the warehouse file has one writer: every call opens it briefly and closes it, so
that intake and the nightly run wait for the portal at most a moment; within the portal's
process one lock keeps threads from opening it at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from smartprov.settings import utcnow

SCHEMA = "portal"
TABLES: dict[str, str] = {
    "portal.users": """
    user_id         VARCHAR(32)  PRIMARY KEY,
    email           VARCHAR(256) NOT NULL UNIQUE,
    role            VARCHAR(16)  NOT NULL,
    region_code     VARCHAR(16),
    province_code   VARCHAR(8)   NOT NULL,
    password_hash   VARCHAR(256),
    created_at      TIMESTAMP    NOT NULL,
    disabled_at     TIMESTAMP""",
    "portal.sessions": """
    session_hash    VARCHAR(64)  PRIMARY KEY,
    user_id         VARCHAR(32)  NOT NULL,
    csrf_token      VARCHAR(64)  NOT NULL,
    created_at      TIMESTAMP    NOT NULL,
    expires_at      TIMESTAMP    NOT NULL""",
    "portal.tokens": """
    token_hash      VARCHAR(64)  PRIMARY KEY,
    token_id        VARCHAR(16)  NOT NULL UNIQUE,
    purpose         VARCHAR(16)  NOT NULL,
    region_code     VARCHAR(16),
    user_id         VARCHAR(32),
    created_at      TIMESTAMP    NOT NULL,
    expires_at      TIMESTAMP,
    used_at         TIMESTAMP,
    revoked_at      TIMESTAMP""",
    "portal.audit_log": """
    event_no        BIGINT       NOT NULL,
    event_id        VARCHAR(32)  PRIMARY KEY,
    event_at        TIMESTAMP    NOT NULL,
    action          VARCHAR(32)  NOT NULL,
    outcome         VARCHAR(16)  NOT NULL,
    actor           VARCHAR(256),
    region_code     VARCHAR(16),
    client          VARCHAR(64),
    detail          TEXT""",
}
ROLES = ("regency", "province")
SESSION_HOURS = 8
SET_PASSWORD_HOURS = 72


def digest(secret: str) -> str:
    """What is stored of a secret (session, token, link): high-entropy, so a plain SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    role: str
    region_code: str | None
    province_code: str

    @property
    def is_province(self) -> bool:
        return self.role == "province"

    def may_see(self, region_code: str | None) -> bool:
        """A regency sees only its own region; province staff see their province's regencies."""
        if not region_code:
            return False
        if self.is_province:
            return region_code.split(".")[0] == self.province_code
        return region_code == self.region_code


class PortalStore:
    _lock = threading.RLock()

    def __init__(self, warehouse_url: str) -> None:
        self.warehouse_url = warehouse_url
        self._ready = False

    def guard(self):
        """Held while this process opens an embedded (DuckDB) warehouse; PostgreSQL: nothing."""
        return self._lock if self.warehouse_url.startswith("duckdb") else contextlib.nullcontext()

    @contextlib.contextmanager
    def open(self) -> Iterator[Any]:
        from smartprov.warehouse.connection import Warehouse

        with self.guard(), Warehouse(self.warehouse_url) as wh:
            if not self._ready:
                self._create(wh)
                self._ready = True
            yield wh

    @staticmethod
    def _create(wh) -> None:
        statements = [f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"]
        statements += [f"CREATE TABLE IF NOT EXISTS {name} ({body})" for name, body in TABLES.items()]
        if wh.engine == "duckdb":
            for stmt in statements:
                wh.execute(stmt)
            return
        from smartprov.warehouse.connection import PG_DDL_LOCK_KEY

        with wh.transaction():  # two portal processes starting at once must not collide
            wh.execute("SELECT pg_advisory_xact_lock(?)", (PG_DDL_LOCK_KEY,))
            for stmt in statements:
                wh.execute(stmt)

    # -- users ---------------------------------------------------------------------
    def add_user(self, email: str, role: str, region_code: str | None, province_code: str) -> User:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        email = email.strip().lower()
        user = User(secrets.token_hex(8), email, role, region_code, province_code)
        with self.open() as wh:
            if wh.fetchall("SELECT 1 FROM portal.users WHERE email = ?", (email,)):
                raise ValueError(f"a portal user {email} exists already")
            wh.execute(
                "INSERT INTO portal.users (user_id, email, role, region_code, province_code, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (user.user_id, email, role, region_code, province_code, utcnow()),
            )
        return user

    def user_by_email(self, email: str) -> tuple[User, str | None] | None:
        with self.open() as wh:
            rows = wh.fetchall(
                "SELECT user_id, email, role, region_code, province_code, password_hash FROM portal.users"
                " WHERE email = ? AND disabled_at IS NULL",
                (email.strip().lower(),),
            )
        if not rows:
            return None
        *fields, password_hash = rows[0]
        return User(*fields), password_hash

    def disable_user(self, email: str) -> bool:
        """Disable an account and end its sessions; False when there is no such active user."""
        email = email.strip().lower()
        with self.open() as wh, wh.transaction():
            rows = wh.fetchall(
                "SELECT user_id FROM portal.users WHERE email = ? AND disabled_at IS NULL", (email,)
            )
            if not rows:
                return False
            wh.execute("UPDATE portal.users SET disabled_at = ? WHERE user_id = ?", (utcnow(), rows[0][0]))
            wh.execute("DELETE FROM portal.sessions WHERE user_id = ?", (rows[0][0],))
        return True

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        with self.open() as wh, wh.transaction():
            wh.execute(
                "UPDATE portal.users SET password_hash = ? WHERE user_id = ?", (password_hash, user_id)
            )
            wh.execute("DELETE FROM portal.sessions WHERE user_id = ?", (user_id,))  # log out elsewhere

    # -- sessions ------------------------------------------------------------------
    def new_session(self, user_id: str) -> tuple[str, str]:
        """(session secret for the cookie, CSRF token for the forms)."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = utcnow()
        with self.open() as wh:
            wh.execute("DELETE FROM portal.sessions WHERE expires_at < ?", (now,))
            wh.execute(
                "INSERT INTO portal.sessions (session_hash, user_id, csrf_token, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (digest(secret), user_id, csrf, now, now + dt.timedelta(hours=SESSION_HOURS)),
            )
        return secret, csrf

    def session_user(self, secret: str) -> tuple[User, str] | None:
        """(user, CSRF token) of a live session."""
        with self.open() as wh:
            rows = wh.fetchall(
                "SELECT u.user_id, u.email, u.role, u.region_code, u.province_code, s.csrf_token"
                " FROM portal.sessions s JOIN portal.users u ON u.user_id = s.user_id"
                " WHERE s.session_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
                (digest(secret), utcnow()),
            )
        if not rows:
            return None
        *fields, csrf = rows[0]
        return User(*fields), csrf

    def end_session(self, secret: str) -> None:
        with self.open() as wh:
            wh.execute("DELETE FROM portal.sessions WHERE session_hash = ?", (digest(secret),))

    # -- tokens --------------------------------------------------------------------
    def new_token(
        self,
        purpose: str,
        *,
        region_code: str | None = None,
        user_id: str | None = None,
        hours: float | None = None,
    ) -> tuple[str, str]:
        """(token id, secret): the secret is shown once and stored only as its hash."""
        token_id = secrets.token_hex(4)
        secret = f"sp_{token_id}_{secrets.token_urlsafe(32)}"
        now = utcnow()
        expires = now + dt.timedelta(hours=hours) if hours else None
        with self.open() as wh:
            wh.execute(
                "INSERT INTO portal.tokens (token_hash, token_id, purpose, region_code, user_id, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (digest(secret), token_id, purpose, region_code, user_id, now, expires),
            )
        return token_id, secret

    def token_region(self, secret: str) -> tuple[str, str] | None:
        """(token id, region code) of a live API token."""
        with self.open() as wh:
            rows = wh.fetchall(
                "SELECT token_id, region_code FROM portal.tokens WHERE token_hash = ? AND purpose = 'api'"
                " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
                (digest(secret), utcnow()),
            )
        return (rows[0][0], rows[0][1]) if rows else None

    def revoke_token(self, token_id: str) -> bool:
        with self.open() as wh:
            found = wh.fetchall(
                "SELECT 1 FROM portal.tokens WHERE token_id = ? AND revoked_at IS NULL", (token_id,)
            )
            wh.execute("UPDATE portal.tokens SET revoked_at = ? WHERE token_id = ?", (utcnow(), token_id))
        return bool(found)

    def list_tokens(self) -> list[tuple]:
        with self.open() as wh:
            return wh.fetchall(
                "SELECT token_id, region_code, created_at, revoked_at FROM portal.tokens WHERE purpose = 'api'"
                " ORDER BY created_at"
            )

    def take_set_password_link(self, secret: str) -> str | None:
        """The user id of a live one-time link, which is used up by this call."""
        now = utcnow()
        with self.open() as wh:
            rows = wh.fetchall(
                "SELECT user_id FROM portal.tokens WHERE token_hash = ? AND purpose = 'set_password'"
                " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
                (digest(secret), now),
            )
            if rows:
                wh.execute("UPDATE portal.tokens SET used_at = ? WHERE token_hash = ?", (now, digest(secret)))
        return rows[0][0] if rows else None

    def link_is_live(self, secret: str) -> bool:
        with self.open() as wh:
            return bool(
                wh.fetchall(
                    "SELECT 1 FROM portal.tokens WHERE token_hash = ? AND purpose = 'set_password'"
                    " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
                    (digest(secret), utcnow()),
                )
            )

    # -- the audit log -------------------------------------------------------------
    def audit(
        self,
        action: str,
        outcome: str,
        *,
        actor: str | None = None,
        region_code: str | None = None,
        client: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.open() as wh:
            number = wh.fetchall("SELECT COALESCE(MAX(event_no), 0) + 1 FROM portal.audit_log")[0][0]
            wh.execute(
                "INSERT INTO portal.audit_log (event_no, event_id, event_at, action, outcome, actor, region_code,"
                " client, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    number,
                    secrets.token_hex(8),
                    utcnow(),
                    action,
                    outcome,
                    actor,
                    region_code,
                    client,
                    json.dumps(detail or {}, ensure_ascii=False, default=str),
                ),
            )

    def failed_logins(self, *, actor: str, client: str, minutes: int) -> int:
        """Failed logins for this address or from this client within the last `minutes`."""
        since = utcnow() - dt.timedelta(minutes=minutes)
        with self.open() as wh:
            return wh.fetchall(
                "SELECT count(*) FROM portal.audit_log WHERE action = 'login' AND outcome = 'failed'"
                " AND event_at >= ? AND (actor = ? OR client = ?)",
                (since, actor, client),
            )[0][0]

    def events(
        self, *, region_code: str | None = None, action: str | None = None, limit: int = 200
    ) -> list[dict]:
        where, params = [], []
        if region_code:
            where.append("region_code = ?")
            params.append(region_code)
        if action:
            where.append("action = ?")
            params.append(action)
        sql = "SELECT event_at, action, outcome, actor, region_code, client, detail FROM portal.audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY event_no DESC LIMIT {int(limit)}"
        with self.open() as wh:
            rows = wh.fetchall(sql, params)
        keys = ("at", "action", "outcome", "actor", "region_code", "client", "detail")
        return [dict(zip(keys, r[:-1], strict=False), detail=json.loads(r[-1] or "{}")) for r in rows]
