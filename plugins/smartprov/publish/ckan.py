"""Push bundles to a CKAN portal (regency portals that run CKAN), through its action API.

Per dataset: `package_show`; `package_create` when the portal does not have it yet (metadata
as CKAN extras), else `package_patch` of its title/notes/extras; then per file of the bundle
`resource_update` of the resource with the same name, or `resource_create`. Open Data Jabar
does not take API uploads: its walidata upload the bundle through the portal's back office.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from smartprov.publish.bundle import Bundle
from smartprov.publish.config import PublishConfig, PublishConfigError

FORMATS = {".csv": "CSV", ".xlsx": "XLSX", ".json": "JSON"}
USER_AGENT = "smartprov-publish/1.0"


def push_bundles(cfg: PublishConfig, bundles: list[Bundle]) -> dict[str, str]:
    """Dataset name -> its page on the portal."""
    import ckanapi

    target = cfg.ckan
    assert target is not None
    token = os.environ.get(target.api_key_env)
    if not token:
        raise PublishConfigError(f"CKAN push: set the API token in ${target.api_key_env}")
    datasets = {d.name: d for d in cfg.datasets}
    pages = {}
    with ckanapi.RemoteCKAN(target.url, apikey=token, user_agent=USER_AGENT) as portal:
        for bundle in bundles:
            ds = datasets[bundle.dataset]
            meta = _metadata(bundle)
            fields = {
                "title": ds.title,
                "notes": ds.description,
                "license_id": cfg.license_id,
                "extras": [{"key": k, "value": v} for k, v in meta.items() if k != "Judul"],
            }
            try:
                package = portal.action.package_show(id=ds.name)
                package = portal.action.package_patch(id=package["id"], **fields)
            except ckanapi.NotFound:
                package = portal.action.package_create(name=ds.name, owner_org=target.owner_org, **fields)
            existing = {r["name"]: r["id"] for r in package.get("resources") or []}
            for path in (bundle.csv, bundle.xlsx, bundle.datapackage):
                _upload(portal, package["id"], existing, Path(path))
            pages[ds.name] = f"{target.url}/dataset/{ds.name}"
    return pages


def _upload(portal, package_id: str, existing: dict[str, str], path: Path) -> None:
    with open(path, "rb") as upload:
        details: dict[str, Any] = {
            "name": path.name,
            "format": FORMATS.get(path.suffix, ""),
            "upload": upload,
        }
        if path.name in existing:
            portal.action.resource_update(id=existing[path.name], **details)
        else:
            portal.action.resource_create(package_id=package_id, **details)


def _metadata(bundle: Bundle) -> dict[str, str]:
    import json

    return json.loads(Path(bundle.datapackage).read_text(encoding="utf-8"))["metadata"]
