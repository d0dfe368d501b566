"""Quarantine: a rejected file kept byte for byte, with its findings as JSON and as text.

Layout: `<quarantine>/<region or _unknown>/<sha256 prefix>__<file name>` and, beside it,
`….findings.json` and `….findings.txt` (Indonesian first, English second).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import BinaryIO

from smartprov.ingest.parse import ParsedSubmission

SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def quarantine_file(root: Path, sub: ParsedSubmission, data: bytes | BinaryIO) -> Path:
    """Copy the file (bytes or a readable binary stream) into quarantine with its findings."""
    folder = root / (sub.folder if sub.folder and SAFE_NAME.sub("", sub.folder) == sub.folder else "_unknown")
    folder.mkdir(parents=True, exist_ok=True)
    name = SAFE_NAME.sub("_", sub.path.rsplit("/", 1)[-1])[:150]
    target = folder / f"{sub.sha256[:12]}__{name}"
    if not target.exists():
        tmp = target.with_name(target.name + ".part")
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with open(tmp, "wb") as out:
                shutil.copyfileobj(data, out, 1 << 20)
        tmp.replace(target)
    meta = {
        "path": sub.path,
        "sha256": sub.sha256,
        "submission_id": sub.submission_id,
        "region_code": sub.region_code,
        "kind": sub.kind,
        "period": sub.period,
        "findings": [f.as_dict() for f in sub.findings],
    }
    target.with_name(target.name + ".findings.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    target.with_name(target.name + ".findings.txt").write_text(findings_text(sub), encoding="utf-8")
    return target


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


def quarantined_files(root: Path, region: str | None = None) -> list[tuple[Path, dict]]:
    """(file, its findings metadata) for every quarantined file, optionally of one region."""
    out = []
    for meta_path in sorted(root.glob("*/*.findings.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if region and meta_path.parent.name != region:
            continue
        data_path = meta_path.with_name(meta_path.name.removesuffix(".findings.json"))
        if data_path.exists():
            out.append((data_path, meta))
    return out
