"""The one load path: landing entries -> read (isolated) -> validate -> load, per file.

The nightly run, replay and any intake path call `load_entries`. Files are read in
supervised child processes (`smartprov.ingest.isolated`): only the parsed submissions are
kept, never the files' bytes. Masterplans are validated and written before evaluations, so an
evaluation is checked against the masterplan stored or accepted earlier in the same run.

Memory is bounded by a chunk of workbooks (`SMARTPROV_CHUNK_FILES`), not by the run: a
workbook's kind is only known once it is read, so every new file is read first and its parsed
submission set aside on disk (compressed, a few kB each); then the run's submissions are
taken back in load order (masterplans, evaluations, unreadable files; older documents first)
a chunk at a time, and each chunk is validated, written and let go before the next.

Whatever one file does - a reader crash, a validation error, a value the warehouse refuses -
costs that file only: it is rolled back alone, recorded as rejected with a finding saying what
happened, and kept in quarantine; the others go on. Only a failing warehouse stops the load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import pickle
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from smartprov import settings
from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import EVALUASI, MASTERPLAN
from smartprov.ingest.landing import LandingFile, LandingFileChanged

log = logging.getLogger(__name__)

# Submissions written per transaction. PostgreSQL keeps one transaction per submission
# (COPY makes its per-submission cost small): analysts and other runs see each submission
# land on its own, and a killed run loses at most the one in flight. The embedded DuckDB
# file has no other readers during a load, and its per-statement cost dominates.
LOAD_BATCH = {"duckdb": 200, "postgres": 1}
# Workbooks validated and written together. Each chunk is one GX validation per sheet type
# (~0.15 s of fixed cost each), and the chunk's parsed rows and frames are what the process
# holds at its peak. Measured on the bench corpora (2 cores): at 500 the load's peak stayed
# about 0.5-0.65 GB PSS from 1x to 10x the country, 250 validated 15 % slower, and 1000 added
# some 120 MB to the peak; 1000 is taken, so that the national corpus (1,542 workbooks) is
# validated in two chunks rather than four.
DEFAULT_CHUNK_FILES = 1000


def chunk_files() -> int:
    """Workbooks per chunk: $SMARTPROV_CHUNK_FILES, else DEFAULT_CHUNK_FILES."""
    return max(1, int(os.environ.get("SMARTPROV_CHUNK_FILES") or DEFAULT_CHUNK_FILES))


@dataclass
class LoadResult:
    """What `load_entries` did: a report entry per written file, and the entries skipped
    (vanished or changed since they were listed: the next run takes them)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # loaded meanwhile by another run
    timings: dict[str, float] = field(default_factory=dict)


def landing_entries(landing, files) -> list[dict[str, Any]]:
    """Entries for `load_entries` from listed `LandingFile`s: each hashed (streamed), with its
    upload time and, for an entry never to be opened, why. A file that cannot be hashed now
    (vanished, being replaced) is left out: the next listing sees it again. A file that cannot
    be read (permissions, an I/O error) is an entry refused with the OS error in words: its
    FILE_UNREADABLE finding is recorded once, like any refused entry, and counted."""
    import dataclasses

    from smartprov.ingest.landing import refused_sha256, unreadable_reason
    from smartprov.ingest.listing_cache import hasher_for

    # An object or file unchanged since a recorded hash is not read again (no S3 download).
    sha256_of_file, record_hashes = hasher_for(landing)
    entries = []
    for f in files:
        if f.refused:
            sha = refused_sha256(f)
        else:
            try:
                sha = sha256_of_file(f)
            except (FileNotFoundError, LandingFileChanged) as exc:
                log.warning("skipped %s until the next run: %s", f.path, exc)
                continue
            except OSError as exc:  # permissions, an I/O error: the file is there, unreadable
                log.warning("cannot read %s: %s", f.path, exc)
                f = dataclasses.replace(f, refused=unreadable_reason(exc))
                sha = refused_sha256(f)
        entry = {"path": f.path, "size": f.size, "sha256": sha}
        entry["uploaded_at"] = f.uploaded_at.isoformat() if f.uploaded_at else None
        if f.refused:
            entry["refused"] = f.refused
        entries.append(entry)
    record_hashes()
    return entries


def load_entries(
    landing,
    entries: list[dict[str, Any]],
    wh,
    *,
    run_id: str,
    received_at: dt.datetime,
    validator,
    workers: int = 1,
    skip_known: bool = True,
    kept_times: dict[str, dt.datetime] | None = None,
) -> LoadResult:
    """Read, validate and load landing `entries` into the open warehouse `wh` (its load lock
    held by the caller). An entry is a dict with `path`, `size`, `sha256` (as listed), and
    optionally `uploaded_at` (ISO text or datetime), `refused` (never opened: why) and
    `source` (where to read it in `landing` when that is not `path`, e.g. quarantine).

    `skip_known`: leave out submissions the ledger already holds (another run loaded them),
    and a second copy of a submission within `entries`.
    `kept_times`: submission id -> received_at to keep (a replay keeps the first arrival).

    Entries are read, then validated and written a chunk (`chunk_files()`) at a time in load
    order, so the process holds one chunk's submissions, not the run's."""
    from smartprov.ingest.isolated import read_entries
    from smartprov.warehouse.loader import known_submission_keys

    result = LoadResult()
    size = chunk_files()
    known = known_submission_keys(wh) if skip_known else set()
    # A run that fits in one chunk keeps its submissions in memory (bounded by the chunk all
    # the same): pickling each to disk and back would cost the night ~1 ms a workbook.
    with _ParsedSpool(in_memory=len(entries) <= size) as spool:
        clock = time.perf_counter()
        for part in _slices(entries, size):  # a slice at a time: the readers' answers wait for no one
            for entry, sub in read_entries(landing, part, workers):
                if sub is None:
                    result.skipped.append(entry["path"])
                    continue
                if skip_known:
                    key = (sub.sha256, sub.folder)
                    if key in known:
                        result.duplicates.append({"path": sub.path, "sha256": sub.sha256})
                        continue
                    known.add(key)  # the same bytes from the same folder later in the run: a duplicate
                sub.uploaded_at = _as_datetime(entry.get("uploaded_at"))
                sub.source = entry.get("source") or entry["path"]
                spool.put(load_order_key(sub), sub)
        result.timings["parse_seconds"] = round(time.perf_counter() - clock, 2)

        # region -> programs of the latest masterplan this run accepted in an earlier chunk:
        # an evaluation is checked against it, as if the whole run were one batch.
        run_masterplans: dict[str, Any] = {}

        def programs_of(region: str):
            if region in run_masterplans:
                return run_masterplans[region]
            return wh.current_masterplan_programs(region)

        writer = _Writer(landing, wh, run_id, received_at, kept_times)
        validate_seconds = load_seconds = 0.0
        for chunk in spool.chunks_in_order(size):
            clock = time.perf_counter()
            validate_isolated(chunk, validator, programs_of)
            _remember_masterplans(chunk, run_masterplans)
            validate_seconds += time.perf_counter() - clock
            clock = time.perf_counter()
            result.entries.extend(writer.write(chunk))
            load_seconds += time.perf_counter() - clock
            del chunk
    clock = time.perf_counter()
    _add_region_contacts(result.entries, wh)
    result.timings["validate_seconds"] = round(validate_seconds, 2)
    result.timings["load_seconds"] = round(load_seconds + time.perf_counter() - clock, 2)
    return result


def _slices(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _ParsedSpool:
    """The run's parsed submissions between reading and loading, on disk (an unnamed temporary
    file: nothing is left behind, even by a killed run), with their load order keys in memory."""

    def __init__(self, *, in_memory: bool = False) -> None:
        self._held: list[tuple[tuple, Any]] | None = [] if in_memory else None
        self._file = None
        if not in_memory:
            where = settings.var_dir()  # beside the warehouse, not a /tmp that may live in memory
            where.mkdir(parents=True, exist_ok=True)
            self._file = tempfile.TemporaryFile(dir=where, prefix="smartprov-parsed-")
        self._index: list[tuple[tuple, int, int]] = []  # (load order key, offset, length)

    def __enter__(self) -> _ParsedSpool:
        return self

    def __exit__(self, *exc) -> None:
        if self._file is not None:
            self._file.close()

    def put(self, key: tuple, sub) -> None:
        if self._held is not None:
            self._held.append((key, sub))
            return
        blob = zlib.compress(pickle.dumps(sub, protocol=pickle.HIGHEST_PROTOCOL), 1)
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(blob)
        self._index.append((key, offset, len(blob)))

    def chunks_in_order(self, size: int) -> Iterator[list]:
        """Lists of at most `size` submissions, all of them in load order (stable: a tie keeps
        the order they were read in)."""
        if self._held is not None:
            held, self._held = self._held, []
            held.sort(key=lambda item: item[0])
            for part in _slices(held, size):
                yield [sub for _, sub in part]
            return
        self._index.sort(key=lambda item: item[0])
        for part in _slices(self._index, size):
            chunk = []
            for _, offset, length in part:
                self._file.seek(offset)
                chunk.append(pickle.loads(zlib.decompress(self._file.read(length))))
            yield chunk


def _remember_masterplans(chunk: list, run_masterplans: dict[str, Any]) -> None:
    """Keep, per regency, the programs of the chunk's latest accepted masterplan (the chunk
    is in load order: a later one is the later document), as `check_submissions` would."""
    latest = {}
    for sub in chunk:
        if sub.kind == MASTERPLAN and sub.readable and not sub.has_errors:
            latest[sub.region_code] = sub
    if not latest:
        return
    from smartprov.validation.batch import masterplan_programs_frame

    for region, sub in latest.items():
        run_masterplans[region] = masterplan_programs_frame(sub)


def validate_isolated(subs: list, validator, stored_programs: Callable[[str], Any]) -> None:
    """`check_submissions` over the batch; if it fails, each submission alone, and one that
    still fails is rejected with a finding saying validation could not run on it."""
    if not subs:  # nothing new: import neither pandas nor Great Expectations
        return
    from smartprov.validation.batch import check_submissions

    snapshot = {id(s): (list(s.findings), s.cap.copy()) for s in subs}
    try:
        check_submissions(subs, validator, stored_programs)
        return
    except Exception:  # noqa: BLE001 - find the file that breaks validation; the others go on
        log.exception("batch validation failed: validating file by file")
    from smartprov.ingest.parse import unprocessable
    from smartprov.validation.batch import masterplan_programs_frame

    for sub in subs:
        sub.findings, sub.cap = list(snapshot[id(sub)][0]), snapshot[id(sub)][1].copy()
    accepted_masterplans: dict[str, Any] = {}  # region -> latest accepted masterplan of the batch

    def programs_of(region: str):
        if region in accepted_masterplans:
            return masterplan_programs_frame(accepted_masterplans[region])
        return stored_programs(region)

    for sub in sorted(subs, key=load_order_key):
        try:
            check_submissions([sub], validator, programs_of)
        except Exception as exc:  # noqa: BLE001
            log.exception("validation failed for %s", sub.path)
            sub.findings, sub.cap = list(snapshot[id(sub)][0]), snapshot[id(sub)][1].copy()
            sub.add(unprocessable("validasi tidak dapat dijalankan", "validation could not run", exc))
            continue
        if sub.kind == MASTERPLAN and sub.readable and not sub.has_errors:
            accepted_masterplans[sub.region_code] = sub


class _Writer:
    """Writes chunks of submissions, in load order, a group (LOAD_BATCH) per transaction."""

    def __init__(self, landing, wh, run_id: str, received_at: dt.datetime, kept_times) -> None:
        self.landing, self.wh, self.run_id = landing, wh, run_id
        self.received_at, self.kept_times = received_at, kept_times
        self.batch_size = 1 if kept_times else LOAD_BATCH.get(wh.engine, 1)
        self.current_codes: dict[str, list[str]] | None = None  # once every masterplan is stored
        self._quarantine = None  # the quarantine store, made at the first rejection

    def keep(self, sub) -> str | None:
        if self._quarantine is None:
            from smartprov.ingest.shared_store import quarantine_store

            self._quarantine = quarantine_store()  # this host's folder, or SMARTPROV_SHARED_URL
        return quarantine(self.landing, sub, self._quarantine)

    def write(self, chunk: list) -> list[dict[str, Any]]:
        """Write `chunk` (in load order, after every chunk before it); a report entry each."""
        from smartprov.warehouse.loader import masterplan_program_codes, save_submissions

        results: list[dict[str, Any]] = []
        pending: list[tuple] = []
        kept_times, received_at = self.kept_times, self.received_at

        def flush() -> None:
            when = kept_times.get(pending[0][0].submission_id, received_at) if kept_times else received_at
            statuses = save_submissions(self.wh, pending, run_id=self.run_id, received_at=when)
            for (sub, qpath, _), status in zip(pending, statuses, strict=True):
                if status == "rejected" and not sub.has_errors_before_load and qpath is None:
                    qpath = self.keep(sub)  # refused by the warehouse: keep it too
                results.append(report_entry(sub, status, qpath))
            pending.clear()

        # Masterplans first, so that an evaluation's program codes map to the stored masterplan.
        for sub in chunk:
            sub.has_errors_before_load = sub.has_errors
            qpath = self.keep(sub) if sub.has_errors else None
            codes = None
            if sub.kind == EVALUASI and sub.region_code and not sub.has_errors:
                if self.current_codes is None:  # every masterplan of the run is stored by now
                    if pending:
                        flush()
                    self.current_codes = self.wh.current_masterplan_codes()
                stored = self.current_codes.get(sub.region_code)
                codes = masterplan_program_codes({"program_code": stored}) if stored else None
            pending.append((sub, qpath, codes))
            if len(pending) >= self.batch_size:
                flush()
        if pending:  # a chunk's submissions are let go with it
            flush()
        return results


def _add_region_contacts(entries: list[dict[str, Any]], wh) -> None:
    """A file sent from another regency's folder concerns both regencies: its feedback also
    goes to the known contacts of the folder's region and of the region it claims."""
    from smartprov.warehouse.loader import region_contacts

    mismatched = [e for e in entries if e.get("claimed_region_code")]
    if not mismatched:
        return
    regions = {e["claimed_region_code"] for e in mismatched} | {e["region_code"] for e in mismatched}
    contacts = region_contacts(wh, {r for r in regions if r})
    for e in mismatched:
        own = (e.get("email_kontak") or "").strip().lower()
        extra = [contacts.get(e["region_code"]), contacts.get(e["claimed_region_code"])]
        e["notify_also"] = sorted({a for a in extra if a and a.strip().lower() != own})


def quarantine(landing, sub, store=None) -> str | None:
    """Keep a rejected file byte for byte: the bytes that were validated (checked by their
    SHA-256), or, for a file too large to have been read, a streamed copy. `store`: the
    quarantine store (default `shared_store.quarantine_store()`)."""
    from smartprov.ingest.quarantine import quarantine_file
    from smartprov.ingest.shared_store import quarantine_store

    root = store if store is not None else quarantine_store()
    source = LandingFile(getattr(sub, "source", None) or sub.path, sub.size)
    try:
        if getattr(sub, "refused", False):
            return None  # never opened (a link, a FIFO, a name that is not UTF-8): nothing to keep
        if sub.size > contract.MAX_FILE_BYTES:
            with landing.open(source) as stream:
                return quarantine_file(root, sub, stream)
        data = landing.read_bytes(source)
        if hashlib.sha256(data).hexdigest() != sub.sha256:
            raise LandingFileChanged(f"{sub.path}: changed since it was read")
        return quarantine_file(root, sub, data)
    except OSError:  # vanished or replaced since it was read: the ledger still has its findings
        log.warning("could not quarantine %s", sub.path, exc_info=True)
        return None


def load_order_key(sub) -> tuple:
    """Masterplans, then evaluations, then unreadable files; older documents first within a kind."""
    rank = {MASTERPLAN: 0, EVALUASI: 1}.get(sub.kind if sub.readable else None, 2)
    return (rank, str(sub.identity.get("tanggal_dokumen") or ""), sub.path)


def report_entry(sub, status: str, quarantine_path: str | None) -> dict[str, Any]:
    """A submission as the run report lists it. A file sent from the wrong regency's folder
    is reported under the folder's region (the sender); the region it claims is kept."""
    region = contract.regions().get(sub.region_code or "")
    claimed = sub.identity.get("kode_wilayah")
    return {
        "path": sub.path,
        "sha256": sub.sha256,
        "submission_id": sub.submission_id,
        "region_code": sub.region_code,
        "region_name": region.name if region else None,
        "claimed_region_code": claimed if claimed and claimed != sub.region_code else None,
        "kind": sub.kind,
        "period": sub.period,
        "status": status,
        "email_kontak": sub.identity.get("email_kontak"),
        "uploaded_at": sub.uploaded_at.isoformat() if sub.uploaded_at else None,
        "quarantine_path": quarantine_path,
        "findings": [dict(f.as_dict()) for f in sub.findings],
    }


def _as_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


__all__ = [
    "DEFAULT_CHUNK_FILES",
    "LOAD_BATCH",
    "LoadResult",
    "chunk_files",
    "landing_entries",
    "load_entries",
    "load_order_key",
    "quarantine",
    "report_entry",
]
