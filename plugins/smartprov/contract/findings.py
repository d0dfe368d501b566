"""Findings: what a regency is told about its workbook, in Indonesian first, English second.

Every message has a stable `message_id` (the rule code plus a variant) so that alerts can
be deduplicated and translated without parsing text. The texts live with their rule in the
catalogue (`smartprov.contract.rules`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from smartprov.contract.catalogue import RULES
from smartprov.contract.names import printable_name
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
    # Sheet and column names are typed by the sender: shown safely, like file names.
    sheet = None if sheet is None else printable_name(sheet)
    column = None if column is None else printable_name(column)
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
    text = printable_name(str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "ERROR" for f in findings)


# -- Bounded findings per file ------------------------------------------------------------------
# A workbook of 99,000 rows can break a rule on every one of them: nobody reads 686,000 lines,
# and building them would cost the night its memory. So a file keeps the first findings of each
# rule on each sheet, and the rest become one summary finding saying how many and where.
FINDINGS_PER_RULE_AND_SHEET = 50
FINDINGS_PER_FILE = 1000
SUMMARIES_PER_FILE = 100  # (rule, sheet) groups summarised one by one; beyond: one per rule
SUMMARY_PREFIX = "… "
SUMMARY_TEXT = (
    "… dan {more} temuan {rule} lainnya seperti ini{where_id} ({shown_id}). "
    "Perbaiki yang ditampilkan, lalu periksa baris lain dengan cara yang sama.",
    "… and {more} more {rule} findings like this{where_en} ({shown_en}). "
    "Fix the ones shown, then check the other rows the same way.",
)


def _bound(variable: str, default: int) -> int:
    import os

    try:
        return max(1, int(os.environ.get(variable) or default))
    except ValueError:
        return default


def findings_per_rule_and_sheet() -> int:
    return _bound("SMARTPROV_FINDINGS_PER_RULE", FINDINGS_PER_RULE_AND_SHEET)


def findings_per_file() -> int:
    return _bound("SMARTPROV_FINDINGS_PER_FILE", FINDINGS_PER_FILE)


class FindingCap:
    """One file's finding budget: asked BEFORE a finding is built (`admits`), it says whether
    the finding is kept, and counts what it turns away, per (rule, sheet), with the rows."""

    def __init__(self) -> None:
        self.per_group = findings_per_rule_and_sheet()
        self.per_file = findings_per_file()
        self.kept: dict[tuple[str, str], int] = {}
        self.total = 0
        # (rule, sheet) -> [how many more, first row, last row, message id, shown]
        self.more: dict[tuple[str, str], list[Any]] = {}

    def admits(
        self, rule: str, sheet: str | None = None, row: int | None = None, message_id: str | None = None
    ) -> bool:
        key = (rule, sheet or "")
        kept = self.kept.get(key, 0)
        if kept < self.per_group and self.total < self.per_file:
            self.kept[key] = kept + 1
            self.total += 1
            return True
        if key not in self.more and len(self.more) >= SUMMARIES_PER_FILE:
            key = (rule, "")  # a workbook of thousands of sheets: one summary per rule
        entry = self.more.get(key)
        if entry is None:
            self.more[key] = [1, row, row, message_id or rule, self.kept.get(key, 0)]
        else:
            entry[0] += 1
            if row is not None:
                entry[1] = row if entry[1] is None else min(entry[1], row)
                entry[2] = row if entry[2] is None else max(entry[2], row)
        return False

    def copy(self) -> FindingCap:
        other = FindingCap.__new__(FindingCap)
        other.per_group, other.per_file, other.total = self.per_group, self.per_file, self.total
        other.kept = dict(self.kept)
        other.more = {k: list(v) for k, v in self.more.items()}
        return other

    @property
    def turned_away(self) -> int:
        return sum(entry[0] for entry in self.more.values())

    def summaries(self) -> list[Finding]:
        """One finding per group with findings turned away: the rule's own severity and message id."""
        out = []
        for (rule, sheet), (more, first, last, message_id, shown) in self.more.items():
            rows_en = "" if first is None else f"{first:,}" + ("" if last == first else f"–{last:,}")
            rows = rows_en.replace(",", ".")
            where_id = (f" di lembar {sheet}" if sheet else "") + (f", baris {rows}" if rows else "")
            where_en = (f" on sheet {sheet}" if sheet else "") + (f", rows {rows_en}" if rows_en else "")
            if shown:
                shown_id = f"hanya {shown} yang pertama ditampilkan"
                shown_en = f"only the first {shown} are shown"
            else:
                shown_id = f"tidak ditampilkan: berkas ini sudah memiliki {self.per_file} temuan"
                shown_en = f"not shown: this file already has {self.per_file} findings"
            out.append(
                Finding(
                    rule=rule,
                    message_id=message_id,
                    message=SUMMARY_TEXT[0].format(
                        more=f"{more:,}".replace(",", "."), rule=rule, where_id=where_id, shown_id=shown_id
                    ),
                    message_en=SUMMARY_TEXT[1].format(
                        more=f"{more:,}", rule=rule, where_en=where_en, shown_en=shown_en
                    ),
                    sheet=sheet or None,
                )
            )
        return out


def is_summary(f: Finding) -> bool:
    return f.row is None and f.message.startswith(SUMMARY_PREFIX)


def settle(findings: list[Finding], cap: FindingCap) -> list[Finding]:
    """`findings` with the cap's summaries as they stand now (replacing any made before)."""
    kept = [f for f in findings if not is_summary(f)]
    return kept + cap.summaries()
