"""Findings: what a regency is told about its workbook, in Indonesian first, English second.

Every message has a stable `message_id` (the rule code plus a variant) so that alerts can
be deduplicated and translated without parsing text. The texts live with their rule in the
catalogue (`smartprov.contract.rules`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from smartprov.contract.catalogue import RULES
from smartprov.contract.rules import messages

# message_id -> (Indonesian, English), from the rule catalogue. Placeholders are str.format fields.
MESSAGES: dict[str, tuple[str, str]] = messages()
# Placeholders a message may leave out: they read as nothing.
OPTIONAL_FIELDS = ("suggestion_id", "suggestion_en", "subject_id", "subject_en", "todo_id", "todo_en")


@dataclass
class Finding:
    rule: str
    message_id: str
    message: str  # Indonesian
    message_en: str
    sheet: str | None = None
    row: int | None = None  # the sheet's own 1-based row number
    column: str | None = None
    value: str | None = None
    severity: str = field(init=False)

    def __post_init__(self) -> None:
        self.severity = RULES[self.rule]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def location(self) -> str:
        parts = [self.sheet or ""]
        if self.row is not None:
            parts.append(f"baris/row {self.row}")
        if self.column:
            parts.append(f"kolom/column {self.column}")
        return ", ".join(p for p in parts if p)


def finding(
    rule: str,
    message_id: str | None = None,
    *,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    value: Any = None,
    **params: Any,
) -> Finding:
    """Build a finding from the catalogue; `params` fill the message placeholders."""
    mid = message_id or rule
    text_id, text_en = MESSAGES[mid]
    shown = "" if value is None else display_value(value)
    fields = {"sheet": sheet or "", "column": column or "", "value": shown, **params}
    for name in OPTIONAL_FIELDS:
        fields.setdefault(name, "")
    if "detail" in params and "detail_id" not in params:
        # A reader's detail is written "Indonesian / English": each message gets its own half.
        detail_id, sep, detail_en = str(params["detail"]).partition(" / ")
        fields["detail_id"], fields["detail_en"] = (detail_id, detail_en) if sep else (detail_id, detail_id)
    return Finding(
        rule=rule,
        message_id=mid,
        message=text_id.format(**fields),
        message_en=text_en.format(**fields),
        sheet=sheet,
        row=row,
        column=column,
        value=None if value is None else shown,
    )


def display_value(value: Any, limit: int = 120) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "ERROR" for f in findings)
