"""When submissions are due: the one deadline table of the province.

`config/deadlines.yml` (under `settings.config_dir()`) is its only source. The dbt seed
`ref_submission_deadlines` is generated from it (`seed_text`; the dbt runner rewrites the
seed when the file changed, and a test keeps the committed seed equal to the committed
file), so the marts' `due_date` / `is_overdue` and the alerts' overdue list come from the
same dates. The marts decide who is overdue; the alerts read `province_submission_status`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartprov import settings

__all__ = ["DEADLINES_FILE", "Deadline", "load_deadlines", "seed_text", "sync_seed"]

DEADLINES_FILE = "deadlines.yml"
KINDS = ("MASTERPLAN", "EVALUASI")
SEED = "ref_submission_deadlines"
GENERATED_SEEDS = "seeds_generated"  # dbt_project.yml seed-paths; .gitignore
SEED_COLUMNS = ("kind", "period_type", "due_year_offset", "due_month", "due_day", "due_date", "description")


@dataclass(frozen=True)
class Deadline:
    """When a kind of submission is due.

    Yearly (`month`, `day`, `year_offset`): the submission for period N is due on
    month/day of N + year_offset; EVALUASI for year N due 31 January N+1 is
    `{month: 1, day: 31, year_offset: 1}`. Only the latest period whose deadline has passed
    is chased, or every period from `first_year` on when that is set.

    Fixed (`date`): one due date; any accepted submission of the kind counts, or only one
    whose period equals `period` when that is set (e.g. a masterplan "2026-2035").
    """

    kind: str
    month: int | None = None
    day: int | None = None
    year_offset: int = 1
    first_year: int | None = None
    date: dt.date | None = None
    period: str | None = None

    @property
    def yearly(self) -> bool:
        return self.date is None

    def due_date(self, period_year: int) -> dt.date:
        assert self.month is not None and self.day is not None
        year = period_year + self.year_offset
        day = self.day
        if self.month == 2 and day == 29 and not _is_leap(year):
            day = 28
        return dt.date(year, self.month, day)

    @classmethod
    def parse(cls, kind: str, spec: Any) -> Deadline:
        kind = str(kind).upper()
        if kind not in KINDS:
            raise ValueError(f"deadlines: unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
        if not isinstance(spec, dict):
            raise ValueError(f"deadlines.{kind}: expected a mapping, got {spec!r}")
        _check_keys(
            f"deadlines.{kind}", spec, {"month", "day", "year_offset", "first_year", "date", "period"}
        )
        if "date" in spec:
            if any(k in spec for k in ("month", "day", "year_offset", "first_year")):
                raise ValueError(f"deadlines.{kind}: give either `date` or `month`/`day`, not both")
            raw = spec["date"]
            due = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
            period = spec.get("period")
            return cls(kind, date=due, period=None if period is None else str(period))
        try:
            month, day = int(spec["month"]), int(spec["day"])
        except KeyError as exc:
            raise ValueError(f"deadlines.{kind}: needs `date`, or `month` and `day`") from exc
        dt.date(2000, month, day)  # raises ValueError for 31 April and the like
        first = spec.get("first_year")
        return cls(
            kind,
            month=month,
            day=day,
            year_offset=int(spec.get("year_offset", 1)),
            first_year=None if first is None else int(first),
        )


def load_deadlines(path: str | Path | None = None) -> dict[str, Deadline]:
    """kind -> Deadline, from `config/deadlines.yml` (or `path`).

    The marts need both: EVALUASI yearly (`month`, `day`, `year_offset`, optional
    `first_year`), MASTERPLAN on one `date`.
    """
    import yaml

    path = Path(path or settings.config_dir() / DEADLINES_FILE)
    if not path.is_file():
        raise FileNotFoundError(f"Deadline table not found: {path} (see config/deadlines.yml in the project)")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of kind -> deadline")
    table = {str(k).upper(): Deadline.parse(k, v) for k, v in data.items()}
    if set(table) != set(KINDS):
        raise ValueError(
            f"{path}: needs exactly the kinds {', '.join(KINDS)}, got {', '.join(sorted(table))}"
        )
    if not table["EVALUASI"].yearly:
        raise ValueError(f"{path}: EVALUASI is due every year: give month, day and year_offset")
    if table["MASTERPLAN"].yearly:
        raise ValueError(f"{path}: MASTERPLAN is due on one date: give `date`")
    return table


def seed_text(deadlines: dict[str, Deadline] | None = None) -> str:
    """The CSV of the dbt seed `ref_submission_deadlines` for this table."""
    table = deadlines or load_deadlines()
    ev, mp = table["EVALUASI"], table["MASTERPLAN"]
    assert mp.date is not None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SEED_COLUMNS)
    writer.writerow(
        [
            "EVALUASI",
            "evaluation_year",
            ev.year_offset,
            ev.month,
            ev.day,
            "",
            f"The EVALUASI of year N is due on {ev.day} {_MONTHS[ev.month]} of year N+{ev.year_offset} "
            f"(generated from config/{DEADLINES_FILE}).",
        ]
    )
    writer.writerow(
        [
            "MASTERPLAN",
            "masterplan",
            "",
            "",
            "",
            mp.date.isoformat(),
            f"One current MASTERPLAN per regency, due on due_date (generated from config/{DEADLINES_FILE}).",
        ]
    )
    return out.getvalue()


def generated_seeds_dir() -> Path:
    """Where the generated seed is written: a git-ignored seed path of the dbt project
    (dbt_project.yml `seed-paths`), so a run never rewrites a tracked file of the checkout."""
    return settings.dbt_dir() / GENERATED_SEEDS


def sync_seed(seeds_dir: Path | None = None, deadlines: dict[str, Deadline] | None = None) -> bool:
    """Rewrite the seed when it differs from the deadline table; True when it was rewritten."""
    path = Path(seeds_dir or generated_seeds_dir()) / f"{SEED}.csv"
    text = seed_text(deadlines)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


_MONTHS = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _check_keys(name: str, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ValueError(
            f"{name}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
