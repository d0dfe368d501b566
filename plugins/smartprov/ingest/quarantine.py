"""Quarantine: a rejected file kept byte for byte, with its findings as JSON and as text.

Layout: `<quarantine>/<region or _unknown>/<sha256 prefix>__<file name>` and, beside it,
`….findings.json` and `….findings.txt` (Indonesian first, English second). The quarantine is
a shared store (`smartprov.ingest.shared_store`: this host's var/quarantine, a mounted share
or an S3 prefix), so that a replay on any worker finds what another worker kept.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import BinaryIO

from smartprov.ingest.parse import ParsedSubmission
from smartprov.ingest.shared_store import LocalStore, Store

SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
FINDINGS_JSON = ".findings.json"


def _as_store(where: Store | str | os.PathLike[str]) -> Store:
    return LocalStore(where) if isinstance(where, (str, os.PathLike)) else where


def quarantine_file(
    where: Store | str | os.PathLike[str], sub: ParsedSubmission, data: bytes | BinaryIO
) -> str:
    """Copy the file (bytes or a readable binary stream) into quarantine with its findings;
    return where it is kept (a path, or an s3:// URL)."""
    store = _as_store(where)
    folder = sub.folder if sub.folder and SAFE_NAME.sub("", sub.folder) == sub.folder else "_unknown"
    name = SAFE_NAME.sub("_", sub.path.rsplit("/", 1)[-1])[:150]
    key = f"{folder}/{sub.sha256[:12]}__{name}"
    if not store.exists(key):  # the same bytes kept before (a replay that still fails): kept once
        if isinstance(data, bytes):
            store.put_bytes(key, data)
        else:
            store.put_stream(key, data)
    meta = {
        "path": sub.path,
        "sha256": sub.sha256,
        "submission_id": sub.submission_id,
        "region_code": sub.region_code,
        "kind": sub.kind,
        "period": sub.period,
        "findings": [f.as_dict() for f in sub.findings],
    }
    text = json.dumps(meta, ensure_ascii=False, indent=2, default=str)
    store.put_bytes(key + FINDINGS_JSON, text.encode("utf-8"))
    store.put_bytes(key + ".findings.txt", findings_text(sub).encode("utf-8"))
    return store.location(key)


def findings_text(sub: ParsedSubmission) -> str:
    lines = [
        f"Berkas / File: {sub.path}",
        f"SHA-256: {sub.sha256}",
        "",
        "Berkas ini DITOLAK. Perbaiki temuan ERROR di bawah ini lalu unggah ulang.",
        "This file was REJECTED. Fix the ERROR findings below and upload it again.",
        "",
    ]
    for n, f in enumerate(sub.findings, start=1):
        lines.append(f"{n}. [{f.severity}] {f.rule} — {f.location or '(berkas / file)'}")
        if f.value is not None:
            lines.append(f"   Nilai / value: {f.value}")
        lines.append(f"   {f.message}")
        lines.append(f"   {f.message_en}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Quarantined:
    key: str  # where the file is in the quarantine store: "<region>/<sha prefix>__<name>"
    size: int
    meta: dict  # its .findings.json: path, sha256, submission id, region, kind, findings


def quarantined_files(where: Store | str | os.PathLike[str], region: str | None = None) -> list[Quarantined]:
    """Every quarantined file with its findings metadata, optionally of one region (folder)."""
    store = _as_store(where)
    objects = {o.key: o for o in store.list(depth=1)}
    out = []
    for key in sorted(objects):
        folder, _, base = key.partition("/")
        if not key.endswith(FINDINGS_JSON) or "/" in base or (region and folder != region):
            continue
        data_key = key.removesuffix(FINDINGS_JSON)
        if data_key in objects:
            meta = json.loads(store.get_bytes(key).decode("utf-8"))
            out.append(Quarantined(data_key, objects[data_key].size, meta))
    return out
