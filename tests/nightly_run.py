"""One `airflow dags test smartprov_nightly` per test run, for the tests that only read its results.

    def test_something(nightly_run):
        assert nightly_run.returncode == 0, nightly_run.output
        nightly_run.var / "reports" …   # nightly_run.landing, nightly_run.events_file

The run is the one `make run` does, on a small landing zone (province 34, sample seed 3), on
the embedded DuckDB warehouse, with OpenLineage's file transport on (configured by environment
alone, docs/lineage.md). Tests must not write into its folders: the next test reads them too.

Under pytest-xdist the workers share it: the first worker that asks runs the DAG under a lock
in the run's common temp folder, the others wait for it and read the same folders.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class NightlyRun:
    folder: Path
    returncode: int
    output: str  # the tail of the run's stdout and stderr, for assertion messages

    @property
    def landing(self) -> Path:
        return self.folder / "landing"

    @property
    def var(self) -> Path:
        return self.folder / "var"

    @property
    def events_file(self) -> Path:
        return self.folder / "openlineage.jsonl"


def _run_the_dag(folder: Path) -> NightlyRun:
    from smartprov.authoring.sample import write_sample_landing

    landing = folder / "landing"
    write_sample_landing(landing, province="34", seed=3)
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(folder / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        SMARTPROV_VAR_DIR=str(folder / "var"),
        SMARTPROV_LANDING_URL=str(landing),
        SMARTPROV_ALERTS_EMAIL_ENABLED="false",
        AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps(
            {"type": "file", "log_file_path": str(folder / "openlineage.jsonl"), "append": True}
        ),
        AIRFLOW__OPENLINEAGE__NAMESPACE="smartprov",
        PATH=f"{BIN}{os.pathsep}{env['PATH']}",
    )
    airflow = str(BIN / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    run = subprocess.run(
        [airflow, "dags", "test", "smartprov_nightly"], env=env, capture_output=True, text=True
    )
    return NightlyRun(folder, run.returncode, run.stdout[-4000:] + run.stderr[-4000:])


@pytest.fixture(scope="session")
def nightly_run(tmp_path_factory: pytest.TempPathFactory) -> NightlyRun:
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # no xdist: this process is the only reader
        return _run_the_dag(tmp_path_factory.mktemp("nightly-run"))
    shared = tmp_path_factory.getbasetemp().parent  # common to every worker of this test run
    folder, outcome = shared / "nightly-run", shared / "nightly-run.json"
    with open(shared / "nightly-run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if outcome.exists():
                done = json.loads(outcome.read_text(encoding="utf-8"))
                return NightlyRun(folder, done["returncode"], done["output"])
            shutil.rmtree(folder, ignore_errors=True)  # left by a worker whose run raised
            folder.mkdir()
            run = _run_the_dag(folder)
            outcome.write_text(
                json.dumps({"returncode": run.returncode, "output": run.output}), encoding="utf-8"
            )
            return run
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
