"""The nightly DAG under a real scheduler, and the UI in a real browser.

Starts Airflow as `make airflow` does (`airflow db migrate`, the `smartprov_build` pool,
`airflow standalone`: scheduler, api-server, dag-processor, triggerer, LocalExecutor
workers) on free loopback ports, triggers `smartprov_nightly` through the REST API
(`/auth/token`, `/api/v2/...`), waits for it, and checks the task states, the report, the
task logs and the mails at a loopback SMTP server. Then Chromium (Debian's, driven by
Playwright) logs in, opens the DAG page, checks there is no import error, and switches the
UI's display time zone to WIB. Every process started is stopped by PID, children included.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import bare_config_dir
from loopback import free_port, smtp_conn_json

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SENDER = "smartprov@diskominfo.example.go.id"
DIGEST_TO = "datin@diskominfo.example.go.id"
CHROMIUM = "/usr/bin/chromium"

pytestmark = [pytest.mark.slow, pytest.mark.airflow, pytest.mark.timeout(900)]


class Api:
    def __init__(self, base: str):
        self.base = base
        self.token: str | None = None

    def call(self, method: str, path: str, body: dict | None = None, accept: str = "application/json"):
        headers = {"Content-Type": "application/json", "Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, method=method, data=data, headers=headers)
        with urllib.request.urlopen(req, timeout=90) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def login(self, user: str, password: str) -> None:
        self.token = self.call("POST", "/auth/token", {"username": user, "password": password})[
            "access_token"
        ]


def stop_tree(pid: int) -> list[int]:
    """SIGTERM the process and all its descendants (LocalExecutor workers ignore it: then
    SIGKILL), and wait for each. Returns the PIDs still alive afterwards (none, we hope)."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return []
    procs = [root, *root.children(recursive=True)]
    for p in procs:
        try:
            p.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=5)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(alive, timeout=10)
    return [p.pid for p in alive]


def standalone_env(home: Path, landing: Path, port: int, **settings: str) -> dict[str, str]:
    """The environment `make airflow` gives `airflow standalone`, on free loopback ports,
    with a private Airflow home and var/ folder under `home`, plus the `settings` given."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SMARTPROV_", "AIRFLOW_CONN_", "AIRFLOW__"))
    }
    env.update(
        # as the Makefile exports them for `make airflow`
        AIRFLOW_HOME=str(home / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DEFAULT_TIMEZONE="Asia/Jakarta",
        AIRFLOW__CORE__PARALLELISM="2",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        # the log servers listen on all interfaces at fixed ports unless told otherwise
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        GX_ANALYTICS_ENABLED="false",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        PYTHONPATH=str(REPO / "plugins"),
        PATH=f"{BIN}:{os.environ['PATH']}",
        SMARTPROV_VAR_DIR=str(home / "var"),
        SMARTPROV_LANDING_URL=str(landing),
        SMARTPROV_CONFIG_DIR=str(bare_config_dir(home / "no-config")),
    )
    env.update(settings)
    return env


@contextlib.contextmanager
def running_standalone(home: Path, env: dict[str, str]) -> Iterator[Api]:
    """`airflow db migrate`, the build pool, then `airflow standalone` until its metadatabase,
    scheduler and dag-processor are healthy; yields the REST API logged in as admin, and stops
    every process it started (asserting none survives)."""
    airflow_bin = str(BIN / "airflow")
    subprocess.run([airflow_bin, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run(
        [airflow_bin, "pools", "set", "smartprov_build", "1", "one dbt build at a time"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log_file = open(home / "standalone.log", "wb")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [airflow_bin, "standalone"],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = Api(f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}")
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, (home / "standalone.log").read_text()[-4000:]
            try:
                health = api.call("GET", "/api/v2/monitor/health")
                if all(
                    health[c]["status"] == "healthy" for c in ("metadatabase", "scheduler", "dag_processor")
                ):
                    break
            except (urllib.error.URLError, ConnectionError, KeyError, TimeoutError):
                pass
            assert time.monotonic() < deadline, (
                "Airflow did not become healthy:\n" + (home / "standalone.log").read_text()[-4000:]
            )
            time.sleep(2)
        password_file = home / "airflow" / "simple_auth_manager_passwords.json.generated"
        api.password = json.loads(password_file.read_text())["admin"]
        api.login("admin", api.password)
        api.home, api.env = home, env
        yield api
    finally:
        survivors = stop_tree(proc.pid)
        log_file.close()
        assert survivors == [], f"processes still running after teardown: {survivors}"


@pytest.fixture(scope="module")
def airflow(tmp_path_factory, smtp_server):
    from smartprov.authoring.sample import write_sample_landing

    home = tmp_path_factory.mktemp("standalone")
    landing = home / "landing"
    write_sample_landing(landing, province="34", seed=3)
    env = standalone_env(
        home,
        landing,
        free_port(),
        SMARTPROV_ALERTS_EMAIL_ENABLED="true",
        SMARTPROV_ALERTS_FROM=SENDER,
        SMARTPROV_ALERTS_DIGEST_TO=DIGEST_TO,
        AIRFLOW_CONN_SMTP_DEFAULT=smtp_conn_json(smtp_server.port),
    )
    with running_standalone(home, env) as api:
        yield api


def wait_for(what: str, probe, timeout: float = 300, every: float = 3):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except (urllib.error.URLError, TimeoutError, ConnectionError):  # a busy api-server
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)


def task_log_entries(api: Api, run_id: str, task_id: str, try_number: int = 1) -> list[dict]:
    path = f"/api/v2/dags/smartprov_nightly/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/logs/{try_number}"
    body = api.call("GET", path + "?full_content=true")
    content = body.get("content") if isinstance(body, dict) else body
    if isinstance(content, str):
        return [{"event": line} for line in content.splitlines()]
    return [c if isinstance(c, dict) else {"event": str(c)} for c in content or []]


def test_nightly_under_the_scheduler_then_the_ui_in_a_browser(airflow, smtp_server):
    api = airflow
    smtp_server.take()

    def dags_parsed():
        try:
            return {d["dag_id"] for d in api.call("GET", "/api/v2/dags?limit=50")["dags"]} >= {
                "smartprov_nightly",
                "smartprov_replay",
                "smartprov_intake",
            }
        except urllib.error.HTTPError:
            return False

    wait_for("the DAGs to be parsed", dags_parsed, timeout=120)
    assert api.call("GET", "/api/v2/importErrors")["total_entries"] == 0
    # smartprov_replay is created unpaused; pause it here so that its run does not hold the
    # embedded DuckDB file while this test's second nightly run loads.
    assert api.call("GET", "/api/v2/dags/smartprov_replay")["is_paused"] is False
    api.call("PATCH", "/api/v2/dags/smartprov_replay", {"is_paused": True})

    run_id = api.call("POST", "/api/v2/dags/smartprov_nightly/dagRuns", {"logical_date": None})["dag_run_id"]
    # Unpausing also starts the latest missed 01:00 WIB slot (catchup is off): two runs,
    # one after the other (max_active_runs=1). The second finds nothing new.
    api.call("PATCH", "/api/v2/dags/smartprov_nightly", {"is_paused": False})

    def all_done():
        runs = api.call("GET", "/api/v2/dags/smartprov_nightly/dagRuns?limit=10")["dag_runs"]
        states = {r["dag_run_id"]: r["state"] for r in runs}
        if run_id in states and all(s in ("success", "failed") for s in states.values()):
            return runs
        return None

    runs = wait_for("the nightly runs to finish", all_done, timeout=600, every=5)
    assert {r["dag_run_id"]: r["state"] for r in runs} == {r["dag_run_id"]: "success" for r in runs}
    assert len(runs) == 2

    states = {}
    for r in runs:
        tis = api.call(
            "GET", f"/api/v2/dags/smartprov_nightly/dagRuns/{quote(r['dag_run_id'], safe='')}/taskInstances"
        )
        states[r["dag_run_id"]] = {t["task_id"]: t["state"] for t in tis["task_instances"]}
    steps = ["discover", "validate_and_load", "build_marts", "report", "publish", "notify"]
    for s in states.values():
        assert all(s[t] == "success" for t in steps), s
    # The Asset is announced by the run that rebuilt the marts, not by the one that did not.
    assert sorted(s["marts_updated"] for s in states.values()) == ["skipped", "success"]
    events = api.call("GET", "/api/v2/assets/events?limit=50")["asset_events"]
    assert [e["source_dag_id"] for e in events] == ["smartprov_nightly"]

    # The report of each run, under the var/ folder of the (only) worker host.
    reports = {}
    for r in runs:
        folder = "".join(c if c.isalnum() or c in "_.+-" else "_" for c in r["dag_run_id"])
        path = api.home / "var" / "reports" / folder / "report.json"
        assert path.is_file(), path
        reports[r["dag_run_id"]] = json.loads(path.read_text(encoding="utf-8"))
    first, second = sorted(reports.values(), key=lambda rep: rep["started_at"])
    assert first["counts"]["accepted"] > 0 and first["counts"]["rejected"] > 0
    assert second["counts"] == {"accepted": 0, "rejected": 0, "duplicate": len(first["submissions"])}
    assert first["finished_at_wib"].endswith(" WIB")

    # The mails: each rejected or warned workbook's sender once — across both runs.
    messages = smtp_server.take()
    assert messages and all(m["mail_from"] == SENDER for m in messages)
    digests = [m for m in messages if DIGEST_TO in m["rcpt_tos"]]
    feedback = [m for m in messages if DIGEST_TO not in m["rcpt_tos"]]
    owed = [s for s in first["submissions"] if s["findings"] and s["email_kontak"]]
    assert any(s["status"] == "rejected" for s in owed)
    # One digest a day, however many runs.
    assert len(digests) == 1
    assert len({m["msg"]["Subject"] for m in digests}) == len(digests)
    # one mail per regency contact, covering all its files
    assert sorted(m["msg"]["To"] for m in feedback) == sorted({s["email_kontak"] for s in owed})

    # The task logs: one line per step saying what happened, in WIB; no error on a good run.
    worked = next(rid for rid, rep in reports.items() if rep is first)
    for task_id, needle in (
        ("discover", "discover: "),
        ("validate_and_load", " rejected and quarantined"),
        ("build_marts", "build_marts: dbt built "),
        ("report", "report: "),
        ("notify", "regency feedback mail(s) sent"),
    ):
        entries = task_log_entries(api, worked, task_id)
        text = "\n".join(str(e.get("event")) for e in entries)
        assert needle in text and " WIB" in text, (task_id, text[-2000:])
        errors = [e for e in entries if str(e.get("level", "")).lower() in ("error", "critical")]
        assert errors == [], (task_id, errors)
        assert "leaked semaphore" not in text

    browser_check(api)


def browser_check(api: Api) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(api.base + "/")
            page.locator("input[name=username]").fill("admin")
            page.locator("input[name=password]").fill(api.password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(api.base + "/", timeout=60_000)
            page.get_by_text("Welcome").wait_for(timeout=60_000)
            page.get_by_text("MetaDatabase").wait_for(timeout=60_000)

            page.goto(api.base + "/dags/smartprov_nightly")
            page.get_by_role("heading", name="smartprov_nightly").wait_for(timeout=60_000)
            page.get_by_text("Latest Run").first.wait_for(timeout=30_000)
            page.wait_for_load_state("networkidle")
            body = page.locator("body").inner_text()
            assert "Import Error" not in body and "Broken" not in body

            # Airflow 3 keeps the display time zone per browser: the clock button, bottom left.
            page.get_by_role("button", name="+00:00").first.click()
            dialog = page.get_by_role("dialog")
            dialog.get_by_text("Select Timezone").wait_for()
            dialog.locator("input").first.click(force=True)
            page.keyboard.type("Asia/Jakarta")
            page.keyboard.press("Enter")
            dialog.get_by_text("Current time in Asia/Jakarta").wait_for(timeout=10_000)
            page.keyboard.press("Escape")
            assert json.loads(page.evaluate("localStorage.getItem('timezone')")) == "Asia/Jakarta"
            page.reload()
            page.get_by_role("heading", name="smartprov_nightly").wait_for(timeout=60_000)
            page.get_by_role("button", name="+07:00").first.wait_for(timeout=30_000)
        finally:
            browser.close()
