"""The nightly DAG under the CeleryExecutor with two workers that share no var/ folder.

What a site with more than one worker host runs (docs/scale-out.md): an api-server, a
scheduler and a dag-processor, and two `airflow celery worker` processes, each with its own
SMARTPROV_VAR_DIR, as two hosts would have. Redis on 127.0.0.1:6379 (an empty db index of
its own) is the broker; the Airflow metadata and Celery's results are in a fresh PostgreSQL
database, the warehouse in another. The landing zone and the shared store
(SMARTPROV_SHARED_URL: quarantine, run reports, Data Docs) are buckets of a moto S3 server on
loopback, reached through the `smartprov_landing` Connection. A hostname_callable names each
worker (both run on this host), so task_instance.hostname tells them apart.

The nightly run is triggered through the REST API on a small province's sample with
rejected files; then: every run succeeds, tasks ran on both workers, the rejected files are
in the shared store, the replay DAG (on whichever worker) and `smartprov replay` with the
var/ folder of a worker that never validated anything both find them, and the report and
Data Docs links of the digest mail open in the portal, which runs with a var/ folder of its
own. Every process started is stopped by PID, children included.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from loopback import free_port, s3_landing_server, s3_test_client, smtp_conn_json
from pg import fresh_database
from test_scheduler import BIN, REPO, Api, standalone_env, stop_tree, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.airflow, pytest.mark.postgres, pytest.mark.timeout(1500)]

boto3 = pytest.importorskip("boto3")
redis = pytest.importorskip("redis")

PROVINCE, SEED = "34", 3  # 24 workbooks, 8 of them rejected
LANDING = "celery-landing"  # each S3 test module its own buckets (moto shares one state)
SHARED = "celery-shared"
SHARED_URL = f"s3://{SHARED}/smartprov"
ACCESS_KEY, SECRET_KEY = "celery-test-key", "celery-test-secret"
WORKERS = ("worker-a", "worker-b")
SENDER = "smartprov@diskominfo.example.go.id"
DIGEST_TO = "datin@diskominfo.example.go.id"
PROVINCE_USER = "data@diskominfo.jogjaprov.go.id"
STEPS = ("discover", "validate_and_load", "build_marts", "report", "publish", "notify")

# Both workers run on this host: the task instances' hostname would be the same for both.
# On separate hosts the default (the FQDN) tells them apart without this.
HOSTNAME_MODULE = """\
import os, socket


def get() -> str:
    return os.environ.get("SMARTPROV_TEST_WORKER_NAME") or socket.getfqdn()
"""


def empty_redis_db() -> int:
    """An empty Redis database index (the broker's), so no other user's tasks are seen. Skipped
    without Redis, as tests/pg.py does without PostgreSQL; a failure when CI=true."""
    try:
        client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=3)
        count = int(client.config_get("databases").get("databases", 16))
        for index in range(count - 1, 0, -1):
            if redis.Redis(host="127.0.0.1", port=6379, db=index).dbsize() == 0:
                return index
    except redis.exceptions.ConnectionError as exc:
        problem = f"Redis is not reachable on 127.0.0.1:6379: {exc}"
    else:
        problem = "no empty Redis database index for the broker"
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{problem}; CI=true (.ci/run starts Redis), so this is a failure, not a skip")
    pytest.skip(problem)


@contextlib.contextmanager
def service(home: Path, name: str, argv: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """One long-running process in its own session, logging to <home>/<name>.log; stopped
    (with its children) on exit, and asserted gone."""
    log = open(home / f"{name}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        survivors = stop_tree(proc.pid)
        log.close()
        assert survivors == [], f"{name}: processes still running after teardown: {survivors}"


def tail(home: Path, *names: str) -> str:
    return "\n".join(
        f"--- {n}.log\n" + (home / f"{n}.log").read_text(errors="replace")[-3000:]
        for n in names
        if (home / f"{n}.log").is_file()
    )


SERVICES = ("api-server", "scheduler", "dag-processor", *WORKERS)


@pytest.fixture(scope="module")
def s3():
    with s3_landing_server(ACCESS_KEY, SECRET_KEY) as endpoint:
        client = s3_test_client(endpoint, ACCESS_KEY, SECRET_KEY, LANDING, SHARED)
        client.endpoint = endpoint
        client.connection = os.environ["AIRFLOW_CONN_SMARTPROV_LANDING"]
        yield client


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, s3, smtp_server):
    """Airflow with the CeleryExecutor and two workers; yields the logged-in REST API."""
    from smartprov.authoring.sample import write_sample_landing

    home = tmp_path_factory.mktemp("celery")
    local = home / "sample"
    write_sample_landing(local, province=PROVINCE, seed=SEED)
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        s3.put_object(
            Bucket=LANDING, Key=f"submissions/{path.relative_to(local).as_posix()}", Body=path.read_bytes()
        )
    (home / "pylib").mkdir()
    (home / "pylib" / "celery_worker_name.py").write_text(HOSTNAME_MODULE)
    broker_db = empty_redis_db()
    port, portal_port = free_port(), free_port()

    with (
        fresh_database("smartprov_celery_meta_") as meta,
        fresh_database("smartprov_celery_wh_") as wh,
    ):
        from cryptography.fernet import Fernet

        meta_url = meta.url.replace("postgresql://", "postgresql+psycopg2://", 1)
        wh_url = wh.url.replace("postgresql://", "postgresql+psycopg://", 1)
        env = standalone_env(
            home,
            home / "no-landing",
            port,
            PYTHONPATH=f"{REPO / 'plugins'}{os.pathsep}{home / 'pylib'}",
            AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
            AIRFLOW__CORE__HOSTNAME_CALLABLE="celery_worker_name.get",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
            AIRFLOW__CORE__FERNET_KEY=Fernet.generate_key().decode(),
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
            AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=meta_url,
            AIRFLOW__CELERY__BROKER_URL=f"redis://127.0.0.1:6379/{broker_db}",
            AIRFLOW__CELERY__RESULT_BACKEND=f"db+{meta_url}",
            AIRFLOW__CELERY__WORKER_CONCURRENCY="1",
            SMARTPROV_DBT_DIR=os.environ["SMARTPROV_DBT_DIR"],  # this test process's copy
            SMARTPROV_WAREHOUSE_URL=wh_url,
            SMARTPROV_LANDING_URL=f"s3://{LANDING}/submissions",
            AIRFLOW_CONN_SMARTPROV_LANDING=s3.connection,
            SMARTPROV_SHARED_URL=SHARED_URL,
            SMARTPROV_VAR_DIR=str(home / "var-control"),
            SMARTPROV_ALERTS_EMAIL_ENABLED="true",
            SMARTPROV_ALERTS_FROM=SENDER,
            SMARTPROV_ALERTS_DIGEST_TO=DIGEST_TO,
            SMARTPROV_PUBLIC_BASE_URL=f"http://127.0.0.1:{portal_port}",
            AIRFLOW_CONN_SMTP_DEFAULT=smtp_conn_json(smtp_server.port),
        )
        airflow_bin = str(BIN / "airflow")
        subprocess.run([airflow_bin, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
        subprocess.run(
            [airflow_bin, "pools", "set", "smartprov_build", "1", "one dbt build at a time"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        worker_env = {
            name: env | {"SMARTPROV_VAR_DIR": str(home / f"var-{name}"), "SMARTPROV_TEST_WORKER_NAME": name}
            for name in WORKERS
        }
        # --skip-serve-logs: both workers would bind the same log-server port on this host;
        # the api-server reads the task logs from the log folder they share here.
        worker_argv = [airflow_bin, "celery", "worker", "-c", "1", "--skip-serve-logs"]
        try:
            with (
                service(home, "api-server", [airflow_bin, "api-server", "--port", str(port)], env),
                service(home, "scheduler", [airflow_bin, "scheduler"], env),
                service(home, "dag-processor", [airflow_bin, "dag-processor"], env),
                service(home, WORKERS[0], [*worker_argv, "-H", f"{WORKERS[0]}@%h"], worker_env[WORKERS[0]]),
                service(home, WORKERS[1], [*worker_argv, "-H", f"{WORKERS[1]}@%h"], worker_env[WORKERS[1]]),
            ):
                api = Api(f"http://127.0.0.1:{port}")

                def up():
                    health = api.call("GET", "/api/v2/monitor/health")
                    healthy = all(
                        health[c]["status"] == "healthy"
                        for c in ("metadatabase", "scheduler", "dag_processor")
                    )
                    ready = all(" ready." in (home / f"{w}.log").read_text(errors="replace") for w in WORKERS)
                    return healthy and ready

                try:
                    wait_for("Airflow and both Celery workers", up, timeout=300)
                except AssertionError:
                    raise AssertionError(tail(home, *SERVICES)) from None
                password_file = home / "airflow" / "simple_auth_manager_passwords.json.generated"
                api.login("admin", json.loads(password_file.read_text())["admin"])
                api.home, api.env, api.local = home, env, local
                api.portal_port = portal_port
                yield api
        finally:
            redis.Redis(host="127.0.0.1", port=6379, db=broker_db).flushdb()


def run_ids(api: Api, dag_id: str) -> dict[str, str]:
    runs = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=20")["dag_runs"]
    return {r["dag_run_id"]: r["state"] for r in runs}


def task_instances(api: Api, dag_id: str, run_id: str) -> list[dict]:
    path = f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances"
    return api.call("GET", path)["task_instances"]


def return_value(api: Api, dag_id: str, run_id: str, task_id: str):
    path = (
        f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}"
        "/xcomEntries/return_value?deserialize=true"
    )
    value = api.call("GET", path)["value"]
    return json.loads(value) if isinstance(value, str) else value


def shared_objects(s3) -> dict[str, bytes]:
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=SHARED):
        for item in page.get("Contents", []):
            found[item["Key"]] = s3.get_object(Bucket=SHARED, Key=item["Key"])["Body"].read()
    return found


@contextlib.contextmanager
def portal(api: Api) -> Iterator[str]:
    """The portal on its own var/ folder, over the same warehouse and shared store."""
    import httpx

    home, port = api.home, api.portal_port
    env = api.env | {
        "SMARTPROV_VAR_DIR": str(home / "var-portal"),
        "SMARTPROV_PORTAL_SECRET": "celery-test-portal-secret",
        "SMARTPROV_PORTAL_URL": f"http://127.0.0.1:{port}",
    }
    base = f"http://127.0.0.1:{port}"
    with service(home, "portal", [sys.executable, "-m", "smartprov.cli", "portal", "--port", str(port)], env):

        def healthy():
            try:
                return httpx.get(base + "/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for("the portal", healthy, timeout=120, every=0.5)
        except AssertionError:
            raise AssertionError(tail(home, "portal")) from None
        yield base


def test_nightly_on_two_celery_workers_with_separate_var_folders(cluster, s3, smtp_server):
    api = cluster

    def dags_parsed():
        try:
            dags = {d["dag_id"] for d in api.call("GET", "/api/v2/dags?limit=50")["dags"]}
        except urllib.error.HTTPError:
            return False
        return dags >= {"smartprov_nightly", "smartprov_replay"}

    wait_for("the DAGs to be parsed", dags_parsed, timeout=180)
    assert api.call("GET", "/api/v2/importErrors")["total_entries"] == 0
    smtp_server.take()

    run_id = api.call("POST", "/api/v2/dags/smartprov_nightly/dagRuns", {"logical_date": None})["dag_run_id"]
    # Unpausing also starts the latest missed 01:00 WIB slot (catchup is off): a second run
    # after the first (max_active_runs=1), which finds nothing new.
    api.call("PATCH", "/api/v2/dags/smartprov_nightly", {"is_paused": False})

    def finished(dag_id: str, want: int):
        states = run_ids(api, dag_id)
        done = len(states) >= want and all(s in ("success", "failed") for s in states.values())
        return states if done else None

    try:
        nightly = wait_for("the nightly runs", lambda: finished("smartprov_nightly", 2), timeout=900, every=5)
        # The first run rebuilt the marts: its `marts_updated` Asset event starts a replay run.
        replays = wait_for("the replay run", lambda: finished("smartprov_replay", 1), timeout=600, every=5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{tail(api.home, *SERVICES)}") from None
    assert run_id in nightly
    assert nightly == dict.fromkeys(nightly, "success"), nightly
    assert replays == dict.fromkeys(replays, "success"), replays

    # -- the tasks ran on both workers -----------------------------------------------------
    where: dict[tuple[str, str], str] = {}
    for dag_id, runs in (("smartprov_nightly", nightly), ("smartprov_replay", replays)):
        for rid in runs:
            for ti in task_instances(api, dag_id, rid):
                if ti["state"] == "success":
                    where[(rid, ti["task_id"])] = ti["hostname"]
    for rid in nightly:
        assert all((rid, step) in where for step in STEPS), (rid, sorted(where))
    assert set(where.values()) == set(WORKERS), where
    # The run that found the files (the runs may start in either order): its report says so.
    first = next(
        rid for rid in nightly if return_value(api, "smartprov_nightly", rid, "report")["counts"]["accepted"]
    )
    loaded_on = where[(first, "validate_and_load")]

    # -- the rejected files are in the shared store, byte for byte -------------------------
    from smartprov.authoring.sample import sample_expectations

    expected = sample_expectations(PROVINCE, SEED)
    rejected = {
        hashlib.sha256((api.local / path).read_bytes()).hexdigest(): path
        for path, e in expected.items()
        if not e.accepted
    }
    assert len(rejected) == 8
    stored = {hashlib.sha256(body).hexdigest() for body in shared_objects(s3).values()}
    assert set(rejected) <= stored, {p for h, p in rejected.items() if h not in stored}
    # The other worker never had them: what it finds below, it finds in the shared store.
    other = next(w for w in WORKERS if w != loaded_on)
    held = {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (api.home / f"var-{other}").rglob("*")
        if p.is_file()
    }
    assert not held & set(rejected)

    # -- replay finds them, wherever it runs -----------------------------------------------
    replay_run = next(iter(replays))
    replayed = return_value(api, "smartprov_replay", replay_run, "replay")
    assert {f["sha256"] for f in replayed["files"]} == set(rejected), replayed
    cli = subprocess.run(
        [str(BIN / "smartprov"), "replay", "--no-dbt"],
        env=api.env | {"SMARTPROV_VAR_DIR": str(api.home / f"var-{other}")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    assert f"Replayed {len(rejected)} quarantined file(s)" in cli.stdout, cli.stdout

    # -- the digest's report and Data Docs links open in the portal ------------------------
    messages = smtp_server.take()
    digests = [m for m in messages if DIGEST_TO in m["rcpt_tos"]]
    assert len(digests) == 1, [m["msg"]["Subject"] for m in messages]
    text = digests[0]["msg"].get_body(preferencelist=("plain",)).get_content()
    base = f"http://127.0.0.1:{api.portal_port}"
    links = sorted(set(re.findall(re.escape(base) + r"/reports/[^\s<>\"')]+", text)))
    report_links = [u for u in links if u.endswith("/report.json")]
    docs_links = [u for u in links if "/data_docs/" in u]
    assert report_links and docs_links, text

    import httpx

    from portal_helpers import PASSWORD, login
    from smartprov.portal.app import hash_password
    from smartprov.portal.store import PortalStore

    store = PortalStore(api.env["SMARTPROV_WAREHOUSE_URL"])
    user = store.add_user(PROVINCE_USER, "province", None, PROVINCE)
    store.set_password_hash(user.user_id, hash_password(PASSWORD))

    with portal(api), httpx.Client(base_url=base, timeout=60) as client:
        assert login(client, PROVINCE_USER).status_code in (200, 303)
        for url in report_links + docs_links:
            got = client.get(url.removeprefix(base))
            assert got.status_code == 200, (url, got.status_code, got.text[:500])
        report = client.get(report_links[0].removeprefix(base)).json()
        assert report["run_id"] == first
        assert report["counts"]["rejected"] == len(rejected)
        docs = client.get(docs_links[0].removeprefix(base))
        assert "<html" in docs.text.lower()
