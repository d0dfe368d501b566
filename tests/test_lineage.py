"""OpenLineage: a nightly DAG run leaves events whose inputs and outputs connect landing files,
raw tables and marts; under the plain CLI nothing of Airflow is touched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smartprov.run import lineage

REPO = Path(__file__).resolve().parents[1]


def test_dataset_names_follow_the_openlineage_naming(tmp_path):
    assert lineage.landing_dataset("s3://landing/incoming", "32.04/a.xlsx") == (
        "s3://landing",
        "incoming/32.04/a.xlsx",
    )
    assert lineage.landing_dataset("s3://landing/", "32.04/a.xlsx") == ("s3://landing", "32.04/a.xlsx")
    assert lineage.landing_dataset(str(tmp_path), "32.04/a.xlsx") == ("file", str(tmp_path / "32.04/a.xlsx"))
    pg = "postgresql+psycopg://loader:secret@warehouse:5433/smartprov"
    assert lineage.table_dataset(pg, "raw.masterplan_programs") == (
        "postgres://warehouse:5433",
        "smartprov.raw.masterplan_programs",
    )
    namespace, name = lineage.table_dataset(f"duckdb:///{tmp_path}/wh.duckdb", "marts.province_scorecard")
    assert (namespace, name) == (f"duckdb://{tmp_path}/wh.duckdb", "wh.marts.province_scorecard")
    assert "secret" not in json.dumps(lineage.table_dataset(pg, "raw.x"))


def test_outside_airflow_the_steps_pass_through_without_importing_it(tmp_path):
    code = (
        "import sys, json\n"
        "from smartprov.run import lineage\n"
        "results = [{'status': 'accepted', 'path': sys.argv[1] + '/32.04/a.xlsx'}]\n"
        "assert lineage.record_load({'files': [], 'landing': sys.argv[1]}, results, 'duckdb:///x.duckdb') is None\n"
        "d = {'built': True}\n"
        "assert lineage.record_dbt(d, 'duckdb:///x.duckdb') is d\n"
        "assert lineage.declare([('file', '/a')], [('file', '/b')]) is False\n"
        "print('AIRFLOW_LOADED=' + str(any(m == 'airflow' or m.startswith('airflow.') for m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert "AIRFLOW_LOADED=False" in out.stdout


def events_by_task(path: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        out.setdefault(event["job"]["name"], []).append(event)
    return out


def datasets(event: dict, side: str) -> set[tuple[str, str]]:
    return {(d["namespace"], d["name"]) for d in event.get(side) or []}


@pytest.mark.airflow
@pytest.mark.slow
def test_dag_run_lineage_connects_landing_files_raw_tables_and_marts(nightly_run):
    """The shared nightly run (tests/nightly_run.py) had OpenLineage's file transport on."""
    assert nightly_run.returncode == 0, nightly_run.output
    landing, events_file, var = nightly_run.landing, nightly_run.events_file, nightly_run.var
    assert events_file.is_file(), "the file transport wrote no events"
    events = events_by_task(events_file)
    for task in ("discover", "validate_and_load", "build_marts", "report", "publish", "notify"):
        types = [e["eventType"] for e in events[f"smartprov_nightly.{task}"]]
        assert types[0] == "START" and types[-1] == "COMPLETE", (task, types)
        assert all(e["job"]["namespace"] == "smartprov" for e in events[f"smartprov_nightly.{task}"])

    load = events["smartprov_nightly.validate_and_load"][-1]
    files = {("file", str(p.resolve())) for p in landing.rglob("*") if p.is_file()}
    assert datasets(load, "inputs") == files  # every workbook of the landing zone was new
    warehouse = f"duckdb://{(var / 'warehouse.duckdb').resolve()}"
    loaded = datasets(load, "outputs")
    assert {n.split(".", 1)[1] for ns, n in loaded if ns == warehouse} >= {
        "audit.submissions",
        "audit.findings",
        "raw.masterplan_programs",
        "raw.evaluation_realisations",
        "raw.evaluation_index",
    }
    assert all(ns == warehouse for ns, _ in loaded)

    build = events["smartprov_nightly.build_marts"][-1]
    read = datasets(build, "inputs")
    built = datasets(build, "outputs")
    raw_loaded = {d for d in loaded if ".raw." in d[1]}
    assert raw_loaded <= read, "dbt's sources are the very tables the load wrote"
    manifest = json.loads((var / "dbt" / "target-duckdb" / "manifest.json").read_text())
    marts = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["fqn"][1] == "marts"
    }
    assert {name.rsplit(".", 1)[1] for _, name in built} == marts
    assert all(".marts." in name for _, name in built)

    # one path through the graph: a landing file -> a raw table -> a mart
    edges = {(i, o) for e in (load, build) for i in datasets(e, "inputs") for o in datasets(e, "outputs")}
    a_file = sorted(files)[0]
    reached = {o for i, o in edges if i == a_file}
    reached |= {o for i, o in edges if i in reached}
    assert any(".marts.province_masterplan_coverage" in name for _, name in reached)
