"""Small rendering helpers shared by the digest, the feedback and the failure alerts."""

from __future__ import annotations

import html
from typing import Any

KIND_LABELS = {"MASTERPLAN": "Masterplan", "EVALUASI": "Evaluasi"}
STATUS_LABELS = {
    "accepted": "diterima / accepted",
    "rejected": "ditolak / rejected",
    "duplicate": "duplikat / duplicate",
}


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def kind_label(kind: str | None) -> str:
    return KIND_LABELS.get(kind or "", kind or "")


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "")


def link_html(target: str | None, missing: str) -> str:
    """An anchor for an http(s) URL; a path is shown as code (mail clients drop file:// links)."""
    if not target:
        return f"<i>{esc(missing)}</i>"
    if target.startswith(("http://", "https://")):
        return f'<a href="{esc(target)}">{esc(target)}</a>'
    return f"<code>{esc(target)}</code>"


def html_page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px">'
        f"{body}</body></html>"
    )


def wib(moment=None) -> str:
    """A time as people here read it: '2026-11-29 08:05:12 WIB' (`settings.wib`)."""
    from smartprov import settings

    return settings.wib(moment)
