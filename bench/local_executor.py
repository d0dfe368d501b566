"""The nightly DAG under the LocalExecutor (`airflow standalone`, as `make airflow` runs it)
against `smartprov run`, on the same national landing zone: `python -m bench.local_executor`.

Not part of `make bench` (Airflow's start-up adds minutes). Each face gets a fresh warehouse
and var folder; the DAG's time is its run's start to end as the REST API reports them (the
scheduler's queueing and a process per task included), the CLI's the wall time of the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import time
import urllib.error
from pathlib import Path

from bench.intake_latency import BIN, REPO, api_call, free_port, standalone_env, stop_tree
from bench.run import bench_config_dir, national_landing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench" / "local-executor")
    args = parser.parse_args(argv)
    home = args.out
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    landing = national_landing(REPO / "var" / "bench", None, (30, 60), 0)
    port = free_port()
    env = standalone_env(home, port, parallelism=4)
    env.update(
        SMARTPROV_CONFIG_DIR=str(bench_config_dir(home)),
        SMARTPROV_ALERTS_EMAIL_ENABLED="false",
        SMARTPROV_LANDING_URL=str(landing),
    )
    dag_env = dict(
        env,
        SMARTPROV_VAR_DIR=str(home / "dag-var"),
        SMARTPROV_WAREHOUSE_URL=f"duckdb:///{home / 'dag-wh.duckdb'}",
    )
    airflow = str(BIN / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=dag_env, check=True, capture_output=True)
    subprocess.run(
        [airflow, "pools", "set", "smartprov_build", "1", "dbt"], env=dag_env, check=True, capture_output=True
    )
    log = open(home / "standalone.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [airflow, "standalone"], env=dag_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
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
                api_call(base, "GET", "/api/v2/dags/smartprov_nightly", token=token)
                break
            except (OSError, urllib.error.URLError, KeyError, ValueError):
                time.sleep(2)
        for dag in ("smartprov_replay", "smartprov_intake"):
            api_call(base, "PATCH", f"/api/v2/dags/{dag}", {"is_paused": True}, token)
        api_call(base, "PATCH", "/api/v2/dags/smartprov_nightly", {"is_paused": False}, token)
        runs_path = "/api/v2/dags/smartprov_nightly/dagRuns?limit=10"
        time.sleep(10)
        if not api_call(base, "GET", runs_path, token=token)["dag_runs"]:
            api_call(base, "POST", "/api/v2/dags/smartprov_nightly/dagRuns", {"logical_date": None}, token)
        while True:
            runs = api_call(base, "GET", runs_path, token=token)["dag_runs"]
            if runs and all(r["state"] in ("success", "failed") for r in runs):
                break
            time.sleep(2)
        run = runs[0]
        start = dt.datetime.fromisoformat(run["start_date"].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(run["end_date"].replace("Z", "+00:00"))
        dag_seconds = round((end - start).total_seconds(), 1)
    finally:
        stop_tree(proc.pid)
    cli_env = dict(env, SMARTPROV_VAR_DIR=str(home / "cli-var"))
    clock = time.perf_counter()
    done = subprocess.run(
        [
            str(BIN / "smartprov"),
            "run",
            "--landing",
            str(landing),
            "--warehouse",
            f"duckdb:///{home / 'cli-wh.duckdb'}",
        ],
        env=cli_env,
        capture_output=True,
        text=True,
    )
    cli_seconds = round(time.perf_counter() - clock, 1)
    result = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "workbooks": sum(1 for _ in landing.rglob("*.xlsx")),
        "dag_run": {k: run[k] for k in ("dag_run_id", "state", "start_date", "end_date")},
        "dag_seconds": dag_seconds,
        "cli_exit_code": done.returncode,
        "cli_seconds": cli_seconds,
        "ratio": round(dag_seconds / cli_seconds, 2),
    }
    (home / "result.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0 if run["state"] == "success" and done.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
