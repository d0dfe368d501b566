"""smartprov.connections reads AIRFLOW_CONN_* as Airflow 3 does, without importing Airflow.

Every parse is compared with Airflow's own Connection parser (the Task SDK's, which reads
the environment outside and inside tasks), and the lookups with `BaseHook.get_connection`
in the same environment. The "no Airflow import" checks run in fresh processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smartprov import connections

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("conn_type", "host", "schema", "login", "password", "port", "extra")

URIS = [
    # the landing: percent-encoded key, secret and endpoint, extra keys from the query
    "aws://AKIA%2FKEY:se%2Fcr%40et%3A@/?endpoint_url=http%3A%2F%2Fminio%3A9000&region_name=us-east-1",
    # the extra whole, as JSON, in __extra__ (nested values survive)
    "aws://key:secret@/?__extra__=%7B%22endpoint_url%22%3A+%22http%3A%2F%2Fh%3A1%22%2C+"
    "%22config_kwargs%22%3A+%7B%22retries%22%3A+%7B%22max_attempts%22%3A+3%7D%7D%7D",
    "postgresql://user:p%40ss@db.example:5432/smartprov",  # postgresql -> postgres
    "my-conn-type://HOST.Example.COM/Sche%2Fma",  # dash -> underscore; host case kept
    "http://:token@hooks.example.com/services%2FT000%2FB000",  # password only
    "http://https://chat.example.com:8443/path?format=slack",  # a host with its protocol
    "smtp://relay.example.go.id:587?disable_ssl=true&from_email=a%40b.example&empty=",
    "aws://",
    "http://@:8080",
]

JSONS = [
    {"conn_type": "aws", "login": "k", "password": "s", "extra": {"endpoint_url": "http://h:1", "region_name": "r"}},
    {"conn_type": "postgresql", "host": "h", "port": "5432", "schema": "db", "login": "u",
     "extra": "{\"sslmode\": \"require\"}"},
    {"conn_type": "my-type", "port": 0, "extra": {}, "description": "nothing much"},
    {"conn_type": "http", "host": "https://hooks.example.com", "password": "tok",
     "extra": {"format": "slack", "headers": {"X-Token": "1"}, "timeout": 5}},
    {},
]  # fmt: skip


def airflow_connection_class():
    from airflow.sdk.definitions.connection import Connection

    return Connection


def parse_with_airflow(value: str):
    """What Airflow's secrets backends do with a serialized Connection."""
    conn_class = airflow_connection_class()
    value = value.strip()
    if value.startswith("{"):
        return conn_class.from_json(value, conn_id="x")
    return conn_class.from_uri(value, conn_id="x")


def fields(conn) -> dict:
    return {name: getattr(conn, name) for name in FIELDS} | {"extra_dejson": conn.extra_dejson}


@pytest.mark.parametrize("uri", URIS)
def test_uri_form_parses_as_airflow_parses_it(uri):
    theirs = airflow_connection_class().from_uri(uri, conn_id="x")
    assert fields(connections.from_uri(uri, "x")) == fields(theirs)
    assert fields(connections.parse(f"  {uri}\n", "x")) == fields(theirs)


@pytest.mark.parametrize("value", JSONS, ids=lambda v: v.get("conn_type", "empty"))
def test_json_form_parses_as_airflow_parses_it(value):
    text = json.dumps(value)
    theirs = airflow_connection_class().from_json(text, conn_id="x")
    assert fields(connections.from_json(text, "x")) == fields(theirs)
    assert fields(connections.parse(text, "x")) == fields(theirs)
    assert connections.from_json(text, "x").description == theirs.description


@pytest.mark.parametrize(
    "value",
    [
        "aws://k:s@host:notaport/",
        "a://b://c://d",
        "https://https://chat.example.com:8443/",  # Airflow refuses a protocol equal to the type
        json.dumps({"conn_type": "aws", "port": "eighty"}),
        json.dumps({"conn_type": "aws", "conn_id": "other"}),
    ],
)
def test_values_airflow_refuses_are_refused(value):
    with pytest.raises(Exception):  # noqa: B017 - Airflow raises ValueError, TypeError or its own
        parse_with_airflow(value)
    with pytest.raises(ValueError):
        connections.parse(value, "x")


def test_lookup_from_the_environment_equals_airflow_s_lookup(monkeypatch):
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    monkeypatch.setenv("AIRFLOW_CONN_SMARTPROV_URI_FORM", URIS[0])
    monkeypatch.setenv("AIRFLOW_CONN_SMARTPROV_JSON_FORM", json.dumps(JSONS[0]))
    for conn_id in ("smartprov_uri_form", "smartprov_json_form"):
        ours = connections.get_connection(conn_id)
        assert ours.source == "environment"
        assert fields(ours) == fields(BaseHook.get_connection(conn_id))
        assert connections.connection_defined(conn_id)
    # Outside a task, with no secrets backend, Airflow reads nothing but the environment:
    # absent there is undefined, for both.
    monkeypatch.delenv("AIRFLOW_CONN_SMARTPROV_NOWHERE", raising=False)
    with pytest.raises(AirflowNotFoundException):
        BaseHook.get_connection("smartprov_nowhere")
    with pytest.raises(connections.ConnectionNotFound):
        connections.get_connection("smartprov_nowhere")
    assert not connections.connection_defined("smartprov_nowhere")


def test_a_configured_secrets_backend_is_noticed_in_airflow_cfg_and_the_environment(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("AIRFLOW__SECRETS__", "AIRFLOW__WORKERS__")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("AIRFLOW_CONFIG", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    assert not connections.secrets_backend_configured()  # no airflow.cfg at all
    (tmp_path / "airflow.cfg").write_text("[secrets]\nbackend =\nbackend_kwargs =\n", encoding="utf-8")
    assert not connections.secrets_backend_configured()  # a fresh install's empty setting
    (tmp_path / "airflow.cfg").write_text(
        "[workers]\nsecrets_backend = some.module.Backend\n", encoding="utf-8"
    )
    assert connections.secrets_backend_configured()
    (tmp_path / "airflow.cfg").unlink()
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND", "some.module.Backend")
    assert connections.secrets_backend_configured()
    monkeypatch.setenv("AIRFLOW_CONN_SMARTPROV_SHADOWED", URIS[0])
    assert connections.from_environment("smartprov_shadowed") is None  # Airflow must be asked


def _python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**env, "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180, cwd=cwd
    )


def test_a_secrets_backend_is_searched_before_the_environment_as_airflow_does(tmp_path):
    """A real backend (Airflow's local-file one) holding another value of the same id."""
    conns = tmp_path / "connections.json"
    conns.write_text(json.dumps({"smartprov_both": {"conn_type": "http", "host": "from-backend.example"}}))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__SECRETS__")},
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__SECRETS__BACKEND": "airflow.secrets.local_filesystem.LocalFilesystemBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({"connections_file_path": str(conns)}),
        "AIRFLOW_CONN_SMARTPROV_BOTH": "http://from-environment.example",
    }
    code = (
        "from smartprov import connections\n"
        "from airflow.sdk import BaseHook\n"
        "c = connections.get_connection('smartprov_both')\n"
        "print(c.host, c.source, BaseHook.get_connection('smartprov_both').host)\n"
    )
    proc = _python(code, env, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["from-backend.example", "airflow", "from-backend.example"]


def test_the_webhook_path_imports_no_airflow_when_its_connection_is_in_the_environment(
    webhook_server, tmp_path
):
    webhook_server.take()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW_CONN_SMARTPROV_WEBHOOK": json.dumps(
            {"conn_type": "http", "host": f"http://127.0.0.1:{webhook_server.port}", "password": "tok",
             "extra": {"endpoint": "hook", "format": "generic"}}
        ),
    }  # fmt: skip
    env.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)
    code = (
        "import sys, json\n"
        "from smartprov.alerts import channels\n"
        "from smartprov.alerts.ledger import smtp_relay\n"
        "defined = channels.connection_defined('smartprov_webhook')\n"
        "fmt = channels.send_webhook('smartprov_webhook', event='digest', title='t', text='x', data={})\n"
        "relay = smtp_relay('smtp_default')  # not defined anywhere: None, still without Airflow\n"
        "print(json.dumps([defined, fmt, relay, sorted(m for m in sys.modules if m.split('.')[0] == 'airflow')]))\n"
    )
    proc = _python(code, env, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [True, "generic", None, []]
    (request,) = webhook_server.take()
    assert request["path"] == "/hook" and request["headers"]["Authorization"] == "Bearer tok"
