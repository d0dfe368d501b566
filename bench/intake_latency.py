"""Upload-to-feedback latency of `smartprov_intake` under a running scheduler.

    python -m bench.intake_latency [--files N]

Starts Airflow standalone as `make airflow` does (scratch AIRFLOW_HOME and var/ under
var/bench/intake-latency/, free loopback ports), an SMTP catcher on loopback, unpauses
`smartprov_intake` through the REST API, waits for its first (empty) run, then copies a
sample landing zone (with rejected and warned workbooks) into the landing folder and times
each feedback mail's arrival. Prints a JSON summary; stops every process it started.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from email import message_from_bytes, policy
from pathlib import Path

from bench.run import bench_config_dir

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.arrivals.append((time.time(), str(msg["Subject"]), list(envelope.rcpt_tos)))
        return "250 OK"


def api_call(base, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(
        base + path, method=method, data=None if body is None else json.dumps(body).encode(), headers=headers
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def stop_tree(pid: int) -> None:
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    procs = [root, *root.children(recursive=True)]
    for p in procs:
        try:
            p.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=20)
    for p in alive:
        p.kill()
    psutil.wait_procs(alive, timeout=10)


def standalone_env(home: Path, port: int, *, parallelism: int) -> dict[str, str]:
    """The environment of `airflow standalone` as `make airflow` runs it, with a scratch
    AIRFLOW_HOME under `home`, free ports, and no SMARTPROV_/Airflow settings of the caller's."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SMARTPROV_", "AIRFLOW_CONN_", "AIRFLOW__"))
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed system has its bytecode cached
    env.update(
        AIRFLOW_HOME=str(home / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DEFAULT_TIMEZONE="Asia/Jakarta",
        AIRFLOW__CORE__PARALLELISM=str(parallelism),
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",  # the workers reach the execution API there
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        GX_ANALYTICS_ENABLED="false",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        PYTHONPATH=str(REPO / "plugins"),
        PATH=f"{BIN}:{os.environ['PATH']}",
    )
    return env


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", default="34")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench" / "intake-latency")
    args = parser.parse_args(argv)
    from aiosmtpd.controller import Controller

    from smartprov.authoring.sample import write_sample_landing

    home = args.out
    shutil.rmtree(home, ignore_errors=True)
    (home / "landing").mkdir(parents=True)
    staged = home / "staged"
    write_sample_landing(staged, province=args.province, seed=3)

    inbox, smtp_port, port = Inbox(), free_port(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = standalone_env(home, port, parallelism=2)
    env.update(
        SMARTPROV_VAR_DIR=str(home / "var"),
        SMARTPROV_LANDING_URL=str(home / "landing"),
        SMARTPROV_CONFIG_DIR=str(bench_config_dir(home)),
        SMARTPROV_ALERTS_EMAIL_ENABLED="true",
        SMARTPROV_ALERTS_FROM="smartprov@diskominfo.example.go.id",
        SMARTPROV_ALERTS_DIGEST_TO="datin@diskominfo.example.go.id",
        AIRFLOW_CONN_SMTP_DEFAULT=json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": smtp_port,
                "extra": {"disable_ssl": True, "disable_tls": True, "timeout": 5, "retry_limit": 0},
            }
        ),
    )
    airflow = str(BIN / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [airflow, "pools", "set", "smartprov_build", "1", "dbt"], env=env, check=True, capture_output=True
    )
    log = open(home / "standalone.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [airflow, "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        token = None
        for _ in range(200):
            try:
                pw = json.loads(
                    (home / "airflow" / "simple_auth_manager_passwords.json.generated").read_text()
                )["admin"]
                token = api_call(base, "POST", "/auth/token", {"username": "admin", "password": pw})[
                    "access_token"
                ]
                api_call(base, "GET", "/api/v2/dags/smartprov_intake", token=token)
                break
            except (OSError, urllib.error.URLError, KeyError, ValueError):
                time.sleep(2)
        api_call(base, "PATCH", "/api/v2/dags/smartprov_replay", {"is_paused": True}, token)
        api_call(base, "PATCH", "/api/v2/dags/smartprov_intake", {"is_paused": False}, token)

        def runs():
            return api_call(base, "GET", "/api/v2/dags/smartprov_intake/dagRuns?limit=50", token=token)[
                "dag_runs"
            ]

        while not runs() or any(r["state"] not in ("success", "failed") for r in runs()):
            time.sleep(3)
        before = {r["dag_run_id"] for r in runs()}
        # the files appear, as a regency's upload would make them appear
        t0 = time.time()
        shutil.copytree(staged, home / "landing", dirs_exist_ok=True)
        files = sum(1 for p in (home / "landing").rglob("*.xlsx"))
        deadline = t0 + 900
        done_run = None
        while time.time() < deadline and done_run is None:
            time.sleep(3)
            for r in runs():
                if r["dag_run_id"] not in before and r["state"] in ("success", "failed"):
                    done_run = r
        feedback = [a for a in inbox.arrivals if "datin@" not in ",".join(a[2])]
        start = (
            dt.datetime.fromisoformat(done_run["start_date"].replace("Z", "+00:00")).timestamp()
            if done_run
            else None
        )
        result = {
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 1),
            "files_dropped": files,
            "intake_run": done_run
            and {k: done_run[k] for k in ("dag_run_id", "state", "start_date", "end_date")},
            "feedback_mails": len(feedback),
            "digest_mails_from_intake": len(inbox.arrivals) - len(feedback),
            "seconds_to_run_start": round(start - t0, 1) if start else None,
            "seconds_to_first_feedback": round(min(a[0] for a in feedback) - t0, 1) if feedback else None,
            "seconds_to_last_feedback": round(max(a[0] for a in feedback) - t0, 1) if feedback else None,
            "seconds_run_start_to_last_feedback": round(max(a[0] for a in feedback) - start, 1)
            if feedback and start
            else None,
        }
        print(json.dumps(result, indent=2))
        (home / "result.json").write_text(json.dumps(result, indent=2))
        return 0 if feedback else 1
    finally:
        stop_tree(proc.pid)
        log.close()
        smtp.stop()


if __name__ == "__main__":
    sys.exit(main())
