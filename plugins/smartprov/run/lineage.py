"""OpenLineage inputs and outputs of the pipeline's own steps, declared when they run under Airflow.

The OpenLineage provider (apache-airflow-providers-openlineage, configured by environment only:
docs/lineage.md) emits a START and a COMPLETE event for every task. For the project's Python
tasks it knows no datasets by itself; each step tells it what it read and wrote by adding
OpenLineage datasets to the running task's `inlets` / `outlets`, which the provider's listener
reads when the task completes (and the task runner ignores: they are not Airflow Assets).

Why not the hook lineage collector: it holds Airflow Assets, and only assets whose URI scheme
has an OpenLineage converter survive (file, s3, postgres): DuckDB tables would be dropped. And
it is one collector per process, never reset: where tasks share a process (`airflow dags
test`), every task would report the datasets of the tasks before it.

Under the plain CLI this module does nothing and imports nothing of Airflow.

Dataset names follow the OpenLineage naming spec: landing files `file` + absolute path (or
`s3://bucket` + key); warehouse tables `postgres://host:port` + `database.schema.table`, and for
DuckDB `duckdb://<absolute file path>` + `<catalog>.schema.table` (the catalog is the file's stem,
as dbt-duckdb names it), so the tables the loader writes and the ones dbt reads are one dataset.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from smartprov.contract.catalogue import EVALUASI, MASTERPLAN

log = logging.getLogger(__name__)

AUDIT_TABLES = ("audit.submissions", "audit.findings", "audit.file_arrivals")
RAW_TABLES = {
    MASTERPLAN: ("raw.masterplan_programs", "raw.masterplan_program_agencies"),
    EVALUASI: ("raw.evaluation_realisations", "raw.evaluation_readiness", "raw.evaluation_index"),
}
SCHEMAS_DBT_READS = ("raw", "audit")


# -- naming ------------------------------------------------------------------------------------


def landing_dataset(landing_url: str, path: str) -> tuple[str, str]:
    """(namespace, name) of one landing-zone file."""
    parts = urlsplit(landing_url)
    if parts.scheme == "s3":
        key = "/".join(p for p in (parts.path.strip("/"), path) if p)
        return f"s3://{parts.netloc}", key
    root = Path(landing_url[len("file://") :] if landing_url.startswith("file://") else landing_url)
    return "file", str((root / path).resolve())


def table_dataset(warehouse_url: str, table: str, catalog: str | None = None) -> tuple[str, str]:
    """(namespace, name) of a warehouse table `schema.table`."""
    from smartprov.warehouse.connection import WarehouseUrl

    url = WarehouseUrl.parse(warehouse_url)
    if url.engine == "duckdb":
        path = Path(url.database).resolve()
        return f"duckdb://{path}", f"{catalog or path.stem}.{table}"
    return f"postgres://{url.host}:{url.port}", f"{catalog or url.database}.{table}"


# -- what each step read and wrote ---------------------------------------------------------------


def load_lineage(discovery: dict[str, Any], results: list[dict[str, Any]], warehouse_url: str) -> dict:
    """validate_and_load: the new landing files -> the audit tables and the raw tables it filled."""
    read = [e["path"] for e in discovery.get("files", []) if e.get("status") == "new"]
    kinds = {r.get("kind") for r in results if r.get("status") == "accepted"}
    tables = [*AUDIT_TABLES, *(t for k in (MASTERPLAN, EVALUASI) if k in kinds for t in RAW_TABLES[k])]
    return {
        "inputs": [landing_dataset(discovery["landing"], p) for p in read],
        "outputs": [table_dataset(warehouse_url, t) for t in tables] if read else [],
    }


def dbt_lineage(target_path: Path, warehouse_url: str) -> dict:
    """The dbt build: the sources it read (raw.*, audit.*) -> the marts it built this time.

    From dbt's own artifacts: sources from manifest.json, built models from run_results.json."""
    manifest = json.loads((target_path / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target_path / "run_results.json").read_text(encoding="utf-8"))
    built = {r["unique_id"] for r in results.get("results", []) if r.get("status") == "success"}
    inputs = sorted(
        {
            table_dataset(
                warehouse_url, f"{s['schema']}.{s.get('identifier') or s['name']}", s.get("database")
            )
            for s in manifest.get("sources", {}).values()
            if s.get("schema") in SCHEMAS_DBT_READS
        }
    )
    outputs = sorted(
        {
            table_dataset(warehouse_url, f"{n['schema']}.{n.get('alias') or n['name']}", n.get("database"))
            for uid, n in manifest.get("nodes", {}).items()
            if uid in built and n.get("resource_type") == "model" and n.get("fqn", [None, None])[1] == "marts"
        }
    )
    return {"inputs": inputs, "outputs": outputs}


# -- telling Airflow ----------------------------------------------------------------------------


def under_airflow() -> bool:
    """True inside an Airflow task (its task runner is loaded); never imports Airflow itself."""
    return "airflow.sdk.execution_time.task_runner" in sys.modules


def declare(inputs: list[tuple[str, str]], outputs: list[tuple[str, str]]) -> bool:
    """Add these datasets to the running Airflow task's inlets/outlets; False outside Airflow."""
    if not under_airflow() or not (inputs or outputs):
        return False
    try:
        from airflow.sdk import get_current_context
        from openlineage.client.event_v2 import Dataset
    except ImportError:  # Airflow without the OpenLineage provider: nothing reads them
        return False
    try:
        task = get_current_context()["task"]
    except Exception:  # noqa: BLE001 - not inside a running task after all
        return False
    seen = {(getattr(d, "namespace", None), getattr(d, "name", None)) for d in [*task.inlets, *task.outlets]}
    task.inlets.extend(Dataset(namespace=ns, name=n) for ns, n in inputs if (ns, n) not in seen)
    task.outlets.extend(Dataset(namespace=ns, name=n) for ns, n in outputs if (ns, n) not in seen)
    log.info("lineage: %d inputs, %d outputs", len(inputs), len(outputs))
    return True


def record_load(discovery: dict[str, Any], results: list[dict[str, Any]], warehouse_url: str) -> None:
    """Declare validate_and_load's lineage (under Airflow only) from the run's results."""
    if under_airflow():
        try:
            declare(**load_lineage(discovery, results, warehouse_url))
        except Exception:  # lineage is a by-product: never fail the load for it
            log.warning("could not declare the load's lineage", exc_info=True)


def record_dbt(dbt: dict[str, Any], warehouse_url: str) -> dict[str, Any]:
    """Declare the dbt build's lineage (under Airflow, when it built); returns `dbt` unchanged."""
    if under_airflow() and dbt and dbt.get("built"):
        from smartprov.warehouse.connection import WarehouseUrl
        from smartprov.warehouse.dbt_runner import dbt_paths

        try:
            target_path, _ = dbt_paths(WarehouseUrl.parse(warehouse_url).engine)
            declare(**dbt_lineage(target_path, warehouse_url))
        except Exception:  # lineage is a by-product: never fail the build for it
            log.warning("could not declare the dbt build's lineage", exc_info=True)
    return dbt
