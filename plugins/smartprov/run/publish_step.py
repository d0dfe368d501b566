"""The nightly publish step: open-data bundles after the marts, when publishing is configured.

JSON-able in and out, so the DAG passes it through XCom:

    publish_marts({"built": True, ...dbt result...}, warehouse_url=...) ->
        {"enabled": False, "reason": "..."}                       # no config/publish.yml
        {"enabled": True, "skipped": True, "reason": "..."}       # marts unchanged, bundles exist
        {"enabled": True, "out_dir": ..., "bundles": [...], "ckan": {...}?}

Bundles are rewritten when the marts were rebuilt, or when a configured bundle is missing;
a run that changed nothing leaves yesterday's bundles as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.run import lineage


def publish_marts(
    dbt: dict[str, Any] | None = None,
    *,
    warehouse_url: str | None = None,
    config_path: str | None = None,
    out_dir: str | None = None,
) -> dict[str, Any]:
    from smartprov import publish

    cfg = publish.load(config_path)
    if cfg is None or not cfg.enabled:
        return {"enabled": False, "reason": f"no datasets configured ({publish.config.config_path()})"}
    target = Path(out_dir) if out_dir else publish.default_out_dir()
    rebuilt = bool(dbt and dbt.get("built"))
    complete = all((target / d.name / "datapackage.json").is_file() for d in cfg.datasets)
    if dbt is not None and not rebuilt and complete:
        return {"enabled": True, "skipped": True, "reason": "marts unchanged", "out_dir": str(target)}
    url = warehouse_url or settings.warehouse_url()
    result = publish.publish_all(url, cfg, target, push=cfg.ckan is not None)
    lineage.declare(
        inputs=sorted({lineage.table_dataset(url, f"marts.{d.mart}") for d in cfg.datasets}),
        outputs=[
            ("file", str(Path(b[kind]).resolve())) for b in result["bundles"] for kind in ("csv", "xlsx")
        ],
    )
    return {"enabled": True, "skipped": False, **result}
