"""Airflow Connections, read without importing Airflow when Airflow would read only the environment.

Importing Airflow costs one to three seconds, more than a whole no-change night. A
Connection given as `AIRFLOW_CONN_<CONN_ID upper>` (how compose, the CLI and the tests give
them) is parsed here exactly as Airflow 3's Task SDK parses it (`Connection.from_json` for a
value starting with `{`, `Connection.from_uri` otherwise; tests compare the two).

Outside a task, Airflow 3 looks a Connection up in a custom secrets backend when one is
configured, then in the environment, and nowhere else (not the metadata database). So when
no secrets backend is configured and the process is no Airflow task or server, the
environment's answer is Airflow's answer, both ways: a Connection absent from it is not
defined, and Airflow is never imported. Airflow itself is asked, and imported, when its
answer could differ:

- a custom secrets backend is configured (`[secrets] backend`, `[workers] secrets_backend`,
  in airflow.cfg or `AIRFLOW__…` variables): Airflow searches it before the environment;
- the process is an Airflow task or component (a task's chain ends at the API server; Airflow
  is loaded there anyway, and its lookup masks the secrets in the task's log);
- the variable holds something this parser refuses, or the id names a team (`___`).
"""

from __future__ import annotations

import configparser
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

log = logging.getLogger(__name__)

ENV_PREFIX = "AIRFLOW_CONN_"
EXTRA_KEY = "__extra__"  # URI form: the whole extra as one JSON query parameter
# Settings naming a custom secrets backend: Airflow searches it before the environment.
_BACKEND_SETTINGS = {
    "secrets": ("backend", "backend_cmd", "backend_secret"),
    "workers": ("secrets_backend", "secrets_backend_cmd", "secrets_backend_secret"),
}

__all__ = [
    "Connection",
    "ConnectionNotFound",
    "connection_defined",
    "from_environment",
    "from_json",
    "from_uri",
    "get_connection",
    "warehouse_url",
]


class ConnectionNotFound(LookupError):
    """No Connection of that id: not in the environment, nor anywhere Airflow looks."""


@dataclass(frozen=True)
class Connection:
    """The fields of an Airflow Connection (those of `airflow.sdk.Connection`)."""

    conn_id: str
    conn_type: str | None = None
    description: str | None = None
    host: str | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    port: int | None = None
    extra: str | None = field(default=None, repr=False)
    source: str = "environment"  # or "airflow": where it was found

    @property
    def extra_dejson(self) -> dict:
        """The extra as JSON; {} when absent or not JSON (as Airflow, which logs it)."""
        if not self.extra:
            return {}
        try:
            return json.loads(self.extra)
        except ValueError:
            log.error("Connection %r: extra is not JSON, read as empty", self.conn_id)
            return {}


# -- Airflow's parsing rules (airflow.sdk.definitions.connection, Airflow 3) -------------------
def _normalize_conn_type(conn_type: str) -> str:
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_")


def _hostname(parts) -> str:
    # urlsplit lower-cases a hostname and cuts it at "/": Airflow keeps the netloc's host as written.
    hostname = unquote(parts.hostname or "")
    if "/" in hostname:
        hostname = parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return hostname


def from_uri(uri: str, conn_id: str) -> Connection:
    """`type://login:password@host:port/schema?extra…`, percent-decoded; `?__extra__=<json>`
    carries the extra whole, else the query parameters become the extra's keys (strings).
    A host may carry its own protocol (`http://https://host`). ValueError when Airflow refuses."""
    schemes = uri.count("://")
    if schemes > 2:
        raise ValueError(f"Invalid connection string for {conn_id!r}")
    host_with_protocol = schemes == 2
    conn_type = urlsplit(uri).scheme
    rest = uri.replace(f"{conn_type}://", "" if host_with_protocol else "//")
    if host_with_protocol:
        head = rest.split("://", 1)[0]
        if "@" in head or ":" in head:
            raise ValueError(f"Invalid connection string for {conn_id!r}")
    parts = urlsplit(rest)
    protocol = parts.scheme if host_with_protocol else None
    host = _hostname(parts)
    if host and protocol:
        host = f"{protocol}://{host}"
    quoted_schema = parts.path[1:]
    extra = None
    if parts.query:
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        extra = query[EXTRA_KEY] if EXTRA_KEY in query else json.dumps(query)
    return Connection(
        conn_id=conn_id,
        conn_type=_normalize_conn_type(conn_type),
        host=host,
        schema=unquote(quoted_schema) if quoted_schema else quoted_schema,
        login=unquote(parts.username) if parts.username else parts.username,
        password=unquote(parts.password) if parts.password else parts.password,
        port=parts.port,  # ValueError when not a number, as in Airflow
        extra=extra,
    )


_JSON_FIELDS = frozenset({"conn_type", "description", "host", "schema", "login", "password", "port", "extra"})


def from_json(value: str, conn_id: str) -> Connection:
    """`{"conn_type", "host", "schema", "login", "password", "port", "extra"}`; `extra` an
    object or a JSON string. ValueError for what Airflow refuses (unknown keys, a port that is
    not a number)."""
    kwargs = json.loads(value)
    if not isinstance(kwargs, dict) or set(kwargs) - _JSON_FIELDS:
        raise ValueError(f"Connection {conn_id!r}: not a connection object")
    extra = kwargs.pop("extra", None)
    if extra:
        kwargs["extra"] = extra if isinstance(extra, str) else json.dumps(extra)
    conn_type = kwargs.pop("conn_type", None)
    if conn_type:
        kwargs["conn_type"] = _normalize_conn_type(conn_type)
    port = kwargs.pop("port", None)
    if port:
        kwargs["port"] = int(port)
    return Connection(conn_id=conn_id, **kwargs)


def parse(value: str, conn_id: str) -> Connection:
    """A serialized Connection, JSON or URI, told apart as Airflow's secrets backends do."""
    value = value.strip()
    return from_json(value, conn_id) if value[:1] == "{" else from_uri(value, conn_id)


# -- where Airflow would look first ---------------------------------------------------------
def _airflow_config_file() -> str:
    if "AIRFLOW_CONFIG" in os.environ:
        return os.path.expandvars(os.path.expanduser(os.environ["AIRFLOW_CONFIG"]))
    home = os.environ.get("AIRFLOW_HOME", os.path.expanduser("~/airflow"))
    return os.path.join(os.path.expandvars(os.path.expanduser(home)), "airflow.cfg")


def secrets_backend_configured() -> bool:
    """Whether Airflow may have a secrets backend to search before the environment.

    In doubt (an unreadable airflow.cfg), yes: the answer only decides who looks up a
    Connection, and Airflow's own lookup is always right, only slower."""
    for section, keys in _BACKEND_SETTINGS.items():
        if any(os.environ.get(f"AIRFLOW__{section.upper()}__{key.upper()}") for key in keys):
            return True
    path = _airflow_config_file()
    if not os.path.exists(path):
        return False
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError, configparser.Error):
        return True
    return any(
        parser.get(section, key, fallback="").strip()
        for section, keys in _BACKEND_SETTINGS.items()
        for key in keys
    )


def _in_airflow_process() -> bool:
    """An Airflow task (its chain ends at the API server), or a component that declares its
    context (`_AIRFLOW_PROCESS_CONTEXT`: server, client)."""
    # The check Airflow makes itself: importing the Task SDK loads task_runner, a task sets this.
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    in_task = getattr(runner, "SUPERVISOR_COMMS", None) is not None
    return in_task or bool(os.environ.get("_AIRFLOW_PROCESS_CONTEXT"))


def _lookup(conn_id: str) -> tuple[Connection | None, bool]:
    """(the Connection from the environment or None, whether that answer is Airflow's too)."""
    if "___" in conn_id or _in_airflow_process() or secrets_backend_configured():
        return None, False
    raw = os.environ.get(ENV_PREFIX + conn_id.upper())
    if not raw:
        return None, True  # Airflow reads an empty variable as no Connection too
    if not raw.strip():
        return None, False
    try:
        return parse(raw, conn_id), True
    except (ValueError, TypeError):
        return None, False  # Airflow's lookup decides (it skips a value it cannot parse)


def environment_only(conn_id: str) -> tuple[Connection | None, bool]:
    """(the Connection written in `AIRFLOW_CONN_<ID>`, whether that answer is certain), read
    without asking Airflow, for checks made while a DAG file is parsed. Not certain when the
    value cannot be parsed here or is absent while a secrets backend may hold it."""
    raw = os.environ.get(ENV_PREFIX + conn_id.upper())
    if raw and raw.strip():
        try:
            return parse(raw, conn_id), True
        except (ValueError, TypeError):
            return None, False
    return None, not secrets_backend_configured()


def from_environment(conn_id: str) -> Connection | None:
    """The Connection from `AIRFLOW_CONN_<ID>`, or None when it is not there or Airflow must
    be asked instead (see the module's notes)."""
    return _lookup(conn_id)[0]


def _from_airflow(conn_id: str) -> Connection:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException as exc:
        raise ConnectionNotFound(f"The Connection {conn_id!r} is not defined") from exc
    return Connection(
        conn_id=conn_id,
        conn_type=conn.conn_type,
        description=getattr(conn, "description", None),
        host=conn.host,
        schema=conn.schema,
        login=conn.login,
        password=conn.password,
        port=conn.port,
        extra=conn.extra,
        source="airflow",
    )


def get_connection(conn_id: str) -> Connection:
    """The Connection `conn_id`: from the environment without Airflow when Airflow would read
    only the environment, else through Airflow (secrets backend; in a task, the API server).
    ConnectionNotFound when it is nowhere."""
    conn, final = _lookup(conn_id)
    if conn is not None:
        return conn
    if final:
        raise ConnectionNotFound(
            f"The Connection {conn_id!r} is not defined (no {ENV_PREFIX}{conn_id.upper()})"
        )
    return _from_airflow(conn_id)


def connection_defined(conn_id: str) -> bool:
    try:
        get_connection(conn_id)
    except ConnectionNotFound:
        return False
    return True


def warehouse_url() -> str:
    """The warehouse the tasks use: the Connection `SMARTPROV_WAREHOUSE_CONN_ID` when set,
    else the settings' URL (what the CLI reads)."""
    from urllib.parse import quote

    from smartprov import settings

    conn_id = os.environ.get("SMARTPROV_WAREHOUSE_CONN_ID")
    if not conn_id:
        return settings.warehouse_url()
    conn = get_connection(conn_id)
    if conn.conn_type in ("duckdb",):
        return f"duckdb:///{conn.host or conn.schema}"
    auth = quote(conn.login or "", safe="")
    if conn.password:
        auth += ":" + quote(conn.password, safe="")
    return f"postgresql+psycopg://{auth}@{conn.host}:{conn.port or 5432}/{conn.schema}"
