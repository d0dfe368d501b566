"""Runs the Great Expectations suites of `expectations/` over a run's frames and turns failures
into findings.

One `SuiteRunner` per run: it holds one ephemeral GX context (no GX project on disk, nothing
kept on workers) with every suite loaded from its JSON file. `validate` checks all rows of one
sheet type of a chunk of the run in one call and attributes every failing row back to its
submission, sheet row and column, using the expectation's `meta`. Each call's result is kept,
without its per-row lists, for the run's one Data Docs site (a page per chunk and suite):

    {"rule": "ENUM", "column": "elemen", "enum": "dimension_element", "message_id": …}

`rule` is the finding's rule code, `column` the column it is reported on, `message_id` the
catalogue entry when it is not the rule itself (`smartprov.contract.rules` lists every one),
`enum` the allowed-value set (listed in the message, with the closest value suggested),
`expected` / `expected_id` / `expected_en` message parameters.

Allowed-value lists are reference data, not rules: suites refer to them as suite parameters
(`{"$PARAMETER": "dimension_values"}`) and `reference_parameters()` fills them from the
contract (dbt seeds) at validation time, together with the caller's own parameters such as
`current_year`.

great_expectations is imported lazily (it costs seconds): only building a runner imports it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.machinery
import importlib.util
import json
import logging
import math
import os
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartprov import settings
from smartprov.contract import catalogue as contract
from smartprov.contract.findings import Finding, finding
from smartprov.contract.suggest import suggest

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

log = logging.getLogger(__name__)

# Named allowed-value sets that suites may refer to as `<enum>_values`.
ENUM_SETS = (
    "dimension",
    "element",
    "dimension_element",
    "status",
    "pillar",
    "aspect",
    "funding_source",
    "bimtek_stage",
)
INDEX_COLUMNS = ("submission_id", "source_row")
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
LENGTH_BETWEEN = "expect_column_value_lengths_to_be_between"
# Result entries that can hold one item per failing row: kept while findings are built, dropped
# before the result is stored for Data Docs (which render the partial lists and counts).
BULKY_RESULT_KEYS = ("unexpected_list", "unexpected_index_list", "unexpected_index_query")
# GX sets some of its module loggers to INFO itself (e.g. "Created temporary directory … for
# ephemeral docs site"); under Airflow's logging the registry also logs hundreds of lines.
NOISY_LOGGERS = (
    "great_expectations",
    "great_expectations._docs_decorators",
    "great_expectations.data_context.types.base",
)


def reference_parameters() -> dict[str, Any]:
    """Suite parameters that come from reference data rather than from the run."""
    params: dict[str, Any] = {f"{e}_values": list(contract.allowed_values(e)) for e in ENUM_SETS}
    # The fixed bounds of contract section 6 (the latest date depends on the run: `latest_date`).
    params["min_year"], params["max_year"] = contract.MIN_YEAR, contract.MAX_YEAR
    params["max_rupiah"] = contract.MAX_RUPIAH
    params["earliest_date"] = _timestamp(contract.EARLIEST_DATE)
    return params


def _timestamp(text: str):
    import pandas as pd  # GX compares datetime columns with Timestamps, not date strings

    return pd.Timestamp(text)


def load_suite_specs(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """Suite name -> its JSON (`{"name", "expectations": [{"type", "kwargs", "meta"}]}`)."""
    directory = Path(directory or settings.expectations_dir())
    specs = {}
    for path in sorted(directory.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        if spec.get("name") != path.stem:
            raise ValueError(f"{path}: suite name {spec.get('name')!r} differs from the file name")
        for exp in spec["expectations"]:
            meta = exp.get("meta") or {}
            if meta.get("rule") not in contract.RULES or not meta.get("column"):
                raise ValueError(f"{path}: {exp['type']} needs meta.rule (a rule code) and meta.column")
        specs[spec["name"]] = spec
    return specs


# Imported by GX at import time for one expectation we never use (KL divergence: its charts and
# its entropy): about half of GX's import (~1.5 s quiet, 3-4 s on a busy machine). A stand-in
# module takes their place until something reads an attribute of one, which a run never does.
_DEFERRED_BY_GX = ("altair", "scipy.stats")


class _Deferred(types.ModuleType):
    """Imports the real module on first attribute use and hands over to it. (importlib's
    LazyLoader does not help here: the import statement itself reads `__spec__`, which loads
    the module.)"""

    def __getattr__(self, attr: str) -> Any:
        real = self.__dict__.get("_real")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = importlib.import_module(self.__name__)
            self.__dict__["_real"] = real
        return getattr(real, attr)


def _defer(name: str) -> None:
    if name in sys.modules or importlib.util.find_spec(name) is None:
        return
    stand_in = _Deferred(name)
    stand_in.__spec__ = importlib.machinery.ModuleSpec(name, None)
    sys.modules[name] = stand_in


def _import_gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in NOISY_LOGGERS:  # before the import (its registry logs) and after (modules reset levels)
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _DEFERRED_BY_GX:
        _defer(name)
    import great_expectations as gx

    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return gx


class SuiteRunner:
    """One per run: an ephemeral GX context holding every suite, and the run's results for Data Docs."""

    def __init__(self, suites_dir: Path | None = None, run_name: str | None = None):
        started = time.perf_counter()
        gx = _import_gx()
        imported = time.perf_counter()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.run_name = run_name or "smartprov-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self._ctx = gx.get_context(mode="ephemeral")
        self._ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.specs = load_suite_specs(suites_dir)
        self._suites = {
            name: self._ctx.suites.add(gx.ExpectationSuite(**spec)) for name, spec in self.specs.items()
        }
        self._source = self._ctx.data_sources.add_pandas("smartprov")
        self._batch_definitions: dict[str, Any] = {}
        self._stored = 0
        self.timings: dict[str, float] = {
            "import_seconds": imported - started,
            "context_seconds": time.perf_counter() - imported,
        }
        log.info("GX context ready (import %.2f s, context %.2f s)", *self.timings.values())

    # -- validation -----------------------------------------------------------------------

    def _batch_definition(self, suite_name: str):
        if suite_name not in self._batch_definitions:
            asset = self._source.add_dataframe_asset(suite_name)
            self._batch_definitions[suite_name] = asset.add_batch_definition_whole_dataframe("all_rows")
        return self._batch_definitions[suite_name]

    def validate(
        self,
        suite_name: str,
        frame: pd.DataFrame,
        sheet_name: str,
        parameters: dict[str, Any] | None = None,
        admits: Callable[[str, str, str, int | None, str], bool] | None = None,
    ) -> list[tuple[str, Finding]]:
        """Validate every row of `frame` against suite `suite_name`: (submission_id, finding) per failure.

        `admits(submission_id, rule, sheet, row, message_id)`, when given, is asked before each
        finding is built: a failing row it says no to is left out (its file's cap counts it)."""
        if frame is None or len(frame) == 0:
            return []
        if suite_name not in self._suites:
            raise KeyError(f"no expectation suite {suite_name!r} in {sorted(self._suites)}")
        started = time.perf_counter()
        # GX aligns masks on the index, and reports failing rows by it: positions 0..n-1.
        frame = frame.reset_index(drop=True)
        index_columns = [c for c in INDEX_COLUMNS if c in frame.columns]
        if "submission_id" not in index_columns:
            raise ValueError("the frame needs a submission_id column")
        batch = self._batch_definition(suite_name).get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            self._suites[suite_name],
            # No unexpected_index_column_names: GX would then look up each failing row's
            # columns one cell at a time (a 99,000-row sheet failing on every row took 40 s);
            # its positions are enough, and the partial lists get the names back below.
            result_format={
                "result_format": "COMPLETE",
                "partial_unexpected_count": 20,  # only the partial lists; COMPLETE lists are whole
                "return_unexpected_index_query": False,
            },
            expectation_parameters=reference_parameters() | (parameters or {}),
        )
        validated = time.perf_counter()
        errors = [_raised(r) for r in result.results if _raised(r)]
        if errors:
            raise RuntimeError(
                f"suite {suite_name!r} could not run on sheet {sheet_name}: " + "; ".join(errors)
            )

        rows = _Rows(frame, index_columns)
        out: list[tuple[str, Finding]] = []
        for r in result.results:
            if r.success:
                continue
            cfg = r.expectation_config
            positions = [int(pos) for pos in r.result.get("unexpected_index_list") or []]
            rows.name_partial_index_list(r.result, _domain_columns(cfg.kwargs))
            firsts: dict[int, int] = {}
            if cfg.type == COMPOUND_UNIQUE:
                firsts = rows.repeats(positions, list(cfg.kwargs["column_list"]))
                positions = sorted(firsts)
            meta = cfg.meta or {}
            rule, message_id = meta.get("rule"), meta.get("message_id") or meta.get("rule")
            for pos in positions:
                sid = rows.get(pos, "submission_id")
                if admits is not None and not admits(
                    sid, rule, sheet_name, rows.sheet_row(pos, meta.get("column")), message_id
                ):
                    continue
                out.append((sid, _row_finding(rows, pos, cfg, sheet_name, firsts.get(pos))))
        out.sort(key=lambda item: (item[0], item[1].row if item[1].row is not None else -1))  # stable
        self._remember(suite_name, sheet_name, result)
        log.info(
            "suite %s on %s: %d rows, %d findings (validation %.2f s, findings %.2f s)",
            suite_name,
            sheet_name,
            len(frame),
            len(out),
            validated - started,
            time.perf_counter() - validated,
        )
        return out

    # -- Data Docs ------------------------------------------------------------------------

    def _remember(self, suite_name: str, sheet_name: str, result) -> None:
        """Store the result, without its per-row lists, in the context's in-memory results store (Data Docs)."""
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        from smartprov.validation import data_docs

        for r in result.results:
            for key in BULKY_RESULT_KEYS:
                r.result.pop(key, None)
        data_docs.escape_result(result)  # workbook values end up in HTML
        self._stored += 1
        run_id = RunIdentifier(run_name=self.run_name, run_time=dt.datetime.now(dt.UTC))
        result.meta["run_id"] = run_id
        result.meta["validation_time"] = run_id.run_time
        suite_id = ExpectationSuiteIdentifier(name=suite_name)
        self._ctx.validation_results_store.store_validation_results(
            suite_validation_result=result,
            suite_validation_result_identifier=ValidationResultIdentifier(
                expectation_suite_identifier=suite_id,
                run_id=run_id,
                batch_identifier=f"{sheet_name}-{self._stored}",
            ),
            expectation_suite_identifier=suite_id,
        )

    def write_data_docs(self, out_dir: Path | str) -> Path:
        """Build the Data Docs site of this run's validations under `out_dir`; return its index.html."""
        from smartprov.validation import data_docs

        return data_docs.write_site(self._ctx, Path(out_dir) / self.run_name)


# -- from a failing row to a finding ----------------------------------------------------------


def _raised(r) -> str | None:
    info = r.exception_info or {}
    infos = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [str(i.get("exception_message")) for i in infos if i.get("raised_exception")]
    return f"{r.expectation_config.type}: {' / '.join(messages)}" if messages else None


def _empty(value: Any) -> bool:
    if value is None:
        return True
    try:
        if value != value:  # NaN, NaT
            return True
    except (TypeError, ValueError):  # pd.NA
        return True
    return isinstance(value, str) and not value.strip()


def _domain_columns(kwargs: dict[str, Any]) -> list[str]:
    """The columns an expectation looks at, as GX lists them beside a failing row's index."""
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    return list(kwargs.get("column_list") or [])


class _Rows:
    """Column access by the frame positions GX reports failing rows at."""

    def __init__(self, frame: pd.DataFrame, index_columns: list[str]):
        self.frame = frame
        self.index_columns = index_columns
        self._columns: dict[str, list[Any]] = {}
        self._row_columns: dict[str, str] = {}

    def column(self, name: str) -> list[Any]:
        if name not in self._columns:
            if name in self.frame.columns:
                self._columns[name] = self.frame[name].astype("object").tolist()
            else:
                self._columns[name] = [None] * len(self.frame)
        return self._columns[name]

    def get(self, pos: int, name: str) -> Any:
        value = self.column(name)[pos]
        return None if _empty(value) else value

    def name_partial_index_list(self, result: dict[str, Any], domain_columns: list[str]) -> None:
        """The partial list Data Docs show, as GX writes it when given index column names:
        each failing row's checked values with its submission and sheet row."""
        partial = result.get("partial_unexpected_index_list")
        if not partial:
            return
        named = domain_columns + [c for c in self.index_columns if c not in domain_columns]
        result["partial_unexpected_index_list"] = [
            {c: self.column(c)[int(pos)] for c in named} for pos in partial
        ]
        result["unexpected_index_column_names"] = list(self.index_columns)

    def repeats(self, positions: list[int], key_columns: list[str]) -> dict[int, int]:
        """Of rows sharing a key, all but the first (lowest sheet row) of each key, each with
        the position of that first copy."""
        order = "source_row" if "source_row" in self.frame.columns else None

        def sort_key(pos: int):
            return (pos if order is None else self.column(order)[pos], pos)

        first: dict[tuple, int] = {}
        out: dict[int, int] = {}
        for pos in sorted(positions, key=sort_key):
            key = tuple(self.column(c)[pos] for c in key_columns)
            if key in first:
                out[pos] = first[key]
            else:
                first[key] = pos
        return out

    def sheet_row(self, pos: int, column: str) -> int | None:
        row = self.get(pos, self._row_columns.get(column) or self._row_column(column))
        return None if row is None else int(row)

    def _row_column(self, column: str) -> str:
        # Identitas: the row its label was found on; elsewhere the row the record came from.
        # Asked once per failing row (a million on a hostile sheet): the answer is kept.
        name = f"{column}__row" if f"{column}__row" in self.frame.columns else "source_row"
        self._row_columns[column] = name
        return name

    def shown_value(self, pos: int, column: str) -> Any:
        raw = self.get(pos, f"{column}__raw")
        return raw if raw is not None else self.get(pos, column)


def _row_finding(rows: _Rows, pos: int, cfg, sheet: str, first: int | None = None) -> Finding:
    """The finding of one failing row; `first`: for a repeated key, the position of its first copy."""
    meta = cfg.meta or {}
    rule, column = meta["rule"], meta["column"]
    message_id = meta.get("message_id") or rule
    # `column_field`: a frame column naming the sheet column (one suite row per `anggaran_<YYYY>` cell)
    shown_column = (rows.get(pos, meta["column_field"]) if meta.get("column_field") else None) or column
    where = {"sheet": sheet, "row": rows.sheet_row(pos, column), "column": shown_column}
    params = {k: meta[k] for k in ("expected", "expected_id", "expected_en") if k in meta}
    # `row_params`: message parameter -> the frame column holding it for this row
    params.update({k: rows.get(pos, c) for k, c in (meta.get("row_params") or {}).items()})
    kwargs = cfg.kwargs

    if rule == "REQUIRED":
        params.update(_subject_and_todo(rows, pos, sheet))
        return finding(rule, message_id, value=rows.get(pos, f"{column}__raw"), **where, **params)
    if cfg.type == COMPOUND_UNIQUE:
        # the values as typed, not the derived `*_key` columns the suite compares
        key = [rows.get(pos, c.removesuffix("_key")) for c in kwargs["column_list"] if c != "submission_id"]
        params["first_row"] = rows.sheet_row(first, column) if first is not None else "?"
        return finding(rule, message_id, value=" / ".join(str(v) for v in key), **where, **params)
    if cfg.type == LENGTH_BETWEEN:
        text = str(rows.get(pos, kwargs["column"]) or "")
        params.setdefault("expected", _number(kwargs.get("max_value")))
        return finding(rule, message_id, value=text, length=len(text), **where, **params)
    if rule == "RANGE":
        params.setdefault("expected", range_text(kwargs.get("min_value"), kwargs.get("max_value")))
    if rule == "ENUM":
        params.update(_allowed_and_suggestion(rows, pos, meta.get("enum"), column))
    return finding(rule, message_id, value=rows.shown_value(pos, column), **where, **params)


def _number(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def range_text(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{_number(low)}–{_number(high)}"
    if low is not None:
        return f">= {_number(low)}"
    return f"<= {_number(high)}"


# -- what an officer reads -------------------------------------------------------------------


def _allowed_and_suggestion(rows: _Rows, pos: int, enum: str | None, column: str) -> dict[str, str]:
    """The allowed values (of the row's dimension, for an element) and the closest one."""
    if not enum:
        return {"allowed_id": "lihat template", "allowed_en": "see the template"}
    text = str(rows.shown_value(pos, column) or "")
    tax = contract.taxonomy()
    dimension = rows.get(pos, "dimensi")
    elements = tax.elements_by_dimension.get(dimension) if isinstance(dimension, str) else None
    out = {}
    if enum in ("element", "dimension_element") and elements:
        listed = ", ".join(elements)
        out["allowed_id"] = f"elemen dimensi '{dimension}': {listed}"
        out["allowed_en"] = f"the elements of '{dimension}': {listed}"
    else:
        listed = ", ".join(contract.allowed_values("element" if enum == "dimension_element" else enum))
        out["allowed_id"] = f"pilihan: {listed}"
        out["allowed_en"] = f"one of: {listed}"
    if enum == "dimension_element":
        return out  # the element exists, in another dimension: the list says where to look
    best = suggest(enum, text, elements if enum == "element" and elements else None)
    if enum == "element" and best is None and elements:
        best = suggest(enum, text)
    if best is not None:
        out["suggestion_id"] = f" Mungkin maksud Anda '{best}'?"
        out["suggestion_en"] = f" Did you mean '{best}'?"
    return out


def _subject_and_todo(rows: _Rows, pos: int, sheet: str) -> dict[str, str]:
    """Which program an empty cell belongs to, and what to do about it."""
    if sheet == contract.IDENTITY_SHEET:
        return {
            "todo_id": " Isi nilainya di lembar Identitas.",
            "todo_en": " Fill it in on the Identitas sheet.",
        }
    code, name = rows.get(pos, "kode_program"), rows.get(pos, "nama_program")
    out = {
        "todo_id": " Isi nilainya, atau hapus baris ini bila bukan data.",
        "todo_en": " Fill it in, or remove the row if it is not data.",
    }
    if code is not None or name is not None:
        shown = (
            f"'{code}' ({name})" if code is not None and name else f"'{code if code is not None else name}'"
        )
        out["subject_id"] = f" untuk program {shown}"
        out["subject_en"] = f" for program {shown}"
    return out
