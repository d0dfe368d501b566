"""Real servers on loopback for the tests: an SMTP catcher (aiosmtpd), an HTTP webhook and an
S3 API server (moto) behind the landing zone's Airflow Connection."""

from __future__ import annotations

import contextlib
import email
import json
import os
import random
import socket
import threading
from collections.abc import Iterator
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


# -- servers -----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_outside_the_ephemeral_range() -> int:
    """A free port that no `bind(0)` (free_port, any server on port 0) can be given later:
    a server that must come back at the same address later (nightly_run.relay())."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768  # Linux's default
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12_000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port below {low}")


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self.lock:
            self.messages.append(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": list(envelope.rcpt_tos),
                    "msg": email.message_from_bytes(
                        envelope.original_content or envelope.content, policy=policy.default
                    ),
                }
            )
        return "250 Message accepted for delivery"

    def take(self) -> list[dict]:
        with self.lock:
            out, self.messages = self.messages, []
        return out


@contextlib.contextmanager
def smtp_catcher(port: int) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1:`port` that keeps every mail in a Mailbox (`.port` too)."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    mailbox.port = port
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def smtp_server():
    with smtp_catcher(free_port()) as box:
        yield box


class Hooks:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200

    def take(self) -> list[dict]:
        out, self.requests = self.requests, []
        return out


@pytest.fixture(scope="module")
def webhook_server():
    hooks = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            hooks.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(body.decode("utf-8"))}
            )
            self.send_response(hooks.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hooks.port = server.server_address[1]
    yield hooks
    server.shutdown()
    server.server_close()


def smtp_conn_json(port: int) -> str:
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "extra": {"disable_ssl": True, "disable_tls": True, "timeout": 5, "retry_limit": 0},
        }
    )


@pytest.fixture
def smtp(smtp_server, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(smtp_server.port))
    smtp_server.take()
    yield smtp_server
    smtp_server.take()


# -- object storage ------------------------------------------------------------------
@contextlib.contextmanager
def s3_landing_server(access_key: str, secret_key: str) -> Iterator[str]:
    """A moto S3 server on loopback, reached only through the `smartprov_landing` Connection
    (no ambient AWS settings); yields its endpoint URL."""
    from moto import server as moto_server

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                mp.delenv(name)
        mp.setenv(
            "AIRFLOW_CONN_SMARTPROV_LANDING",
            json.dumps(
                {
                    "conn_type": "aws",
                    "login": access_key,
                    "password": secret_key,
                    "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
                }
            ),
        )
        mp.delenv("SMARTPROV_LANDING_CONN_ID", raising=False)
        try:
            yield endpoint
        finally:
            server.stop()


def s3_test_client(endpoint: str, access_key: str, secret_key: str, *buckets: str):
    """A boto3 client of the moto server at `endpoint`, with `buckets` created (each test
    module its own: moto keeps one state for every server in the process)."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
    )
    for bucket in buckets:
        client.create_bucket(Bucket=bucket)
    return client
