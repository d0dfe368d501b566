"""One `airflow dags test smartprov_nightly` per test run, for the tests that only read its results.

    def test_something(nightly_run):
        assert nightly_run.returncode == 0, nightly_run.output
        nightly_run.var / "reports" …   # nightly_run.landing, nightly_run.events_file

The run is the one `make run` does, on a small landing zone (province 34, sample seed 3), on
the embedded DuckDB warehouse, with OpenLineage's file transport on (configured by environment
alone, docs/lineage.md) and e-mail alerts on, sent to an SMTP catcher on loopback that lives as
long as the run (`nightly_run.mails`: the envelopes and subjects; `nightly_run.log`: the whole
output). Tests must not write into its folders: the next test reads them too.

Under pytest-xdist the workers share it: the first worker that asks runs the DAG under a lock
in the run's common temp folder, the others wait for it and read the same folders.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import bare_config_dir
from loopback import Mailbox, port_outside_the_ephemeral_range, smtp_catcher, smtp_conn_json

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

    @property
    def log(self) -> str:
        """Everything `airflow dags test` printed (stdout, then stderr)."""
        return (self.folder / "dag-test.log").read_text(encoding="utf-8")

    @property
    def mails(self) -> list[dict]:
        """Each mail the run sent: mail_from, rcpt_tos and subject."""
        return json.loads((self.folder / "mails.json").read_text(encoding="utf-8"))

    def relay(self) -> contextlib.AbstractContextManager[Mailbox]:
        """The run's SMTP catcher up again at the same address, for a later run that must see
        the same relay (the outbox sends mail again through a relay that changed)."""
        return smtp_catcher(int((self.folder / "smtp-port").read_text(encoding="utf-8")))


SENDER = "smartprov@diskominfo.example.go.id"
DIGEST_TO = "datin@diskominfo.example.go.id"


def envelope(message: dict) -> dict:
    """What the tests compare of a caught mail: sender, recipients, subject."""
    return {
        "mail_from": message["mail_from"],
        "rcpt_tos": message["rcpt_tos"],
        "subject": str(message["msg"]["Subject"]),
    }


def _run_the_dag(folder: Path) -> NightlyRun:
    from smartprov.authoring.sample import write_sample_landing

    landing = folder / "landing"
    write_sample_landing(landing, province="34", seed=3)
    port = port_outside_the_ephemeral_range()
    (folder / "smtp-port").write_text(str(port), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTPROV_ALERTS_", "AIRFLOW_CONN_"))}
    env.update(
        SMARTPROV_ALERTS_FROM=SENDER,
        SMARTPROV_ALERTS_DIGEST_TO=DIGEST_TO,
        SMARTPROV_CONFIG_DIR=str(bare_config_dir(folder / "config")),  # a fresh install's
        AIRFLOW_HOME=str(folder / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        SMARTPROV_VAR_DIR=str(folder / "var"),
        SMARTPROV_LANDING_URL=str(landing),
        AIRFLOW_CONN_SMTP_DEFAULT=smtp_conn_json(port),
        AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps(
            {"type": "file", "log_file_path": str(folder / "openlineage.jsonl"), "append": True}
        ),
        AIRFLOW__OPENLINEAGE__NAMESPACE="smartprov",
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
    )
    airflow = str(BIN / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    with smtp_catcher(port) as mailbox:
        run = subprocess.run(
            [airflow, "dags", "test", "smartprov_nightly"], env=env, capture_output=True, text=True
        )
    (folder / "dag-test.log").write_text(run.stdout + run.stderr, encoding="utf-8")
    mails = [envelope(m) for m in mailbox.take()]
    (folder / "mails.json").write_text(json.dumps(mails, ensure_ascii=False), encoding="utf-8")
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
