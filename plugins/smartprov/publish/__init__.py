"""Open-data publishing (Satu Data Indonesia / Open Data Jabar): a bundle per configured mart.

Layer: above warehouse and reports, below run. `publish_all` is what both the CLI
(`smartprov publish`) and the nightly step (`smartprov.run.steps.publish`) call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.publish.bundle import Bundle, PublishError, write_bundle
from smartprov.publish.config import PublishConfig, PublishConfigError, load

__all__ = ["PublishConfigError", "PublishError", "default_out_dir", "load", "publish_all"]


def default_out_dir() -> Path:
    """Where bundles go by default: var/publish."""
    return settings.var_dir() / "publish"


def publish_all(
    warehouse_url: str,
    cfg: PublishConfig,
    out_dir: Path | None = None,
    *,
    datasets: list[str] | None = None,
    push: bool = False,
) -> dict[str, Any]:
    """Write the bundle of every configured dataset (or of `datasets`); push them to CKAN if asked."""
    from smartprov.warehouse.connection import Warehouse

    out_dir = Path(out_dir or default_out_dir())
    chosen = [d for d in cfg.datasets if not datasets or d.name in datasets]
    unknown = sorted(set(datasets or []) - {d.name for d in cfg.datasets})
    if unknown:
        raise PublishConfigError(f"no dataset named {unknown} in the publish config")
    bundles: list[Bundle] = []
    with Warehouse(warehouse_url) as wh:
        for ds in chosen:
            bundles.append(write_bundle(wh, cfg, ds, out_dir))
    result: dict[str, Any] = {"out_dir": str(out_dir), "bundles": [b.as_dict() for b in bundles]}
    if push:
        if cfg.ckan is None:
            raise PublishConfigError("--push asks for CKAN, but the publish config has no `ckan` section")
        from smartprov.publish.ckan import push_bundles

        result["ckan"] = push_bundles(cfg, bundles)
    return result
