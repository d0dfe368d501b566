"""Running the dbt project in-process, once per run, only when its inputs changed.

One target path per engine keeps dbt's partial parsing (switching targets in one
`target/` forces a full parse). The inputs are fingerprinted: the ledger's size and last
arrival, the dbt project's files, and today's date (submission status depends on
deadlines); a run whose fingerprint matches the last successful build skips dbt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.warehouse.connection import Warehouse, WarehouseUrl


class DbtBuildFailed(RuntimeError):
    pass


def dbt_paths(engine: str) -> tuple[Path, Path]:
    base = settings.var_dir() / "dbt"
    return base / f"target-{engine}", base / "logs"


def project_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(settings.dbt_dir().rglob("*")):
        rel = path.relative_to(settings.dbt_dir()).as_posix()
        if path.is_file() and not rel.startswith(("target", "logs", "dbt_packages", ".")):
            digest.update(rel.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs_fingerprint(warehouse_url: str, today: dt.date | None = None) -> tuple[str, bool]:
    """(fingerprint of what the marts are built from, whether the marts exist at all)."""
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        count, last = wh.fetchall("SELECT count(*), max(received_at) FROM audit.submissions")[0]
        marts_exist = wh.table_exists("marts.province_masterplan_coverage")
    parts = [str(count), str(last), str(today or dt.date.today()), project_fingerprint()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest(), marts_exist


def _state_file(url: WarehouseUrl) -> Path:
    key = hashlib.sha256(url.display().encode()).hexdigest()[:12]
    return settings.var_dir() / "dbt" / f"last-build-{url.engine}-{key}.json"


def invoke(args: list[str], warehouse_url: str) -> Any:
    """Run one dbt command against the warehouse; raises DbtBuildFailed on failure."""
    settings.quiet_tools()
    url = WarehouseUrl.parse(warehouse_url)
    os.environ.update(url.dbt_env())
    target_path, log_path = dbt_paths(url.engine)
    from dbt.cli.main import dbtRunner

    full = [
        *args,
        "--quiet",  # errors still print; everything goes to the log file under --log-path
        "--project-dir",
        str(settings.dbt_dir()),
        "--profiles-dir",
        str(settings.dbt_dir()),
        "--target",
        url.dbt_target,
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
    ]
    result = dbtRunner().invoke(full)
    if not result.success:
        failures = []
        for r in getattr(result.result, "results", None) or []:
            if str(getattr(r, "status", "")).lower() in ("error", "fail"):
                failures.append(f"{r.node.unique_id}: {r.message}")
        detail = "; ".join(failures[:10]) or str(result.exception or "see dbt logs in " + str(log_path))
        raise DbtBuildFailed(f"dbt {args[0]} failed: {detail}")
    return result


def build_if_needed(warehouse_url: str, *, docs: bool = True) -> dict[str, Any]:
    url = WarehouseUrl.parse(warehouse_url)
    fingerprint, marts_exist = inputs_fingerprint(warehouse_url)
    state = _state_file(url)
    if marts_exist and state.exists() and json.loads(state.read_text()).get("fingerprint") == fingerprint:
        return {"built": False, "reason": "inputs unchanged since the last build"}
    previous = json.loads(state.read_text()) if state.exists() else {}
    started = dt.datetime.now()
    with Warehouse(warehouse_url) as wh:
        wh.analyze()
    invoke(["build"], warehouse_url)
    target_path, _ = dbt_paths(url.engine)
    docs_index = None
    docs_for = previous.get("docs_project")
    if docs:
        index = target_path / "static_index.html"  # --static: opens from disk, no HTTP server
        # The docs describe the models and their columns, not the rows: regenerate them only
        # when the project changed (a `docs generate` costs a second dbt invocation).
        project = project_fingerprint()
        if docs_for != project or not index.exists() or not (target_path / "catalog.json").exists():
            invoke(["docs", "generate", "--static"], warehouse_url)
            docs_for = project
        docs_index = str(index)
    seconds = round((dt.datetime.now() - started).total_seconds(), 1)
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(
        json.dumps({"fingerprint": fingerprint, "built_at": started.isoformat(), "docs_project": docs_for})
    )
    return {"built": True, "seconds": seconds, "docs": docs_index, "target": url.dbt_target}
