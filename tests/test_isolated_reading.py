"""Every workbook is read in a supervised child process: what kills or stalls the reader
costs that one file (its rejection), never the parent or the other files."""

from __future__ import annotations

import hashlib
import io
import pickle

import pytest

import hostile
from smartprov.ingest import isolated
from smartprov.ingest.parse import parse_submission
from workbooks import masterplan

FOLDER = "32.73"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(data: bytes, name: str = "berkas.xlsx"):
    return isolated.parse_isolated(f"{FOLDER}/{name}", FOLDER, _sha(data), data)


@pytest.fixture
def fresh_children():
    """Children read their limits when they start: end idle ones before and after."""
    isolated.stop_idle_children()
    yield
    isolated.stop_idle_children()


def _big_valid_workbook(rows: int = 60_000, columns: int = 13) -> bytes:
    """Within every pre-check limit (780,000 cells), but tens of MB once unfolded."""

    def chunks():
        for r in range(1, rows + 1):
            cells = "".join(
                f'<c r="{hostile.col_letter(c)}{r}"><v>{r * 7 + c}</v></c>' for c in range(columns)
            )
            yield f'<row r="{r}">{cells}</row>'.encode()

    head = f'{hostile.XML_DECL}<worksheet xmlns="{hostile.MAIN_NS}"><sheetData>'.encode()
    tail = b"</sheetData></worksheet>"
    return hostile.raw_xlsx({"Data": [head, *chunks(), tail]})


def test_a_child_reads_a_workbook_as_the_parent_would():
    data = masterplan().to_bytes()
    in_child = _read(data)
    here = parse_submission(f"{FOLDER}/berkas.xlsx", data, _sha(data), FOLDER)
    assert in_child.kind == "MASTERPLAN" and not in_child.has_errors
    assert (in_child.identity, in_child.rows, in_child.findings) == (here.identity, here.rows, here.findings)
    assert in_child.submission_id == here.submission_id


def test_a_reader_over_its_memory_cap_rejects_only_its_file(fresh_children, monkeypatch):
    monkeypatch.setenv("SMARTPROV_READ_MEMORY_MB", "30")
    big = _read(_big_valid_workbook(), "besar.xlsx")
    assert [f.rule for f in big.findings] == ["FILE_TOO_LARGE"]
    assert "memori" in big.findings[0].message and "memory" in big.findings[0].message_en
    after = _read(masterplan().to_bytes(), "berikutnya.xlsx")  # a fresh child takes the next file
    assert after.kind == "MASTERPLAN" and not after.has_errors


def test_a_reader_over_its_time_limit_is_ended(fresh_children, monkeypatch):
    monkeypatch.setenv("SMARTPROV_READ_TIMEOUT_SECONDS", "0.05")
    slow = _read(_big_valid_workbook(rows=30_000), "lambat.xlsx")
    assert [f.rule for f in slow.findings] == ["FILE_TOO_LARGE"]
    assert "batas waktu" in slow.findings[0].message and "s limit" in slow.findings[0].message_en
    monkeypatch.setenv("SMARTPROV_READ_TIMEOUT_SECONDS", "120")
    assert not _read(masterplan().to_bytes()).has_errors


@pytest.mark.parametrize(
    "build",
    [
        *(lambda s=s: hostile.far_cell_behind_target(s) for s in hostile.TARGET_SPELLINGS),
        hostile.far_cell_backslash_twin,
        hostile.far_cell_uppercase_name,
        hostile.shared_strings_decoy,
        hostile.duplicate_entry_twin,
    ],
    ids=[*hostile.TARGET_SPELLINGS, "backslash-twin", "uppercase-name", "shared-strings-decoy", "exact-twin"],
)
def test_parts_the_reader_resolves_its_own_way_are_checked(build):
    sub = _read(build())
    assert [f.rule for f in sub.findings] in (["FILE_TOO_LARGE"], ["FILE_UNREADABLE"])


def test_a_child_that_dies_is_reported_with_how_it_ended(fresh_children):
    """A child that dies mid-answer (here: a request it cannot decode, an uncaught error)."""
    import time

    child = isolated._Child()
    child.proc.stdin.write(isolated.HEADER.pack(5) + b"\x80\x05XXX")
    child.proc.stdin.flush()
    with pytest.raises(isolated.ChildFailed) as failed:
        child._read_exact(isolated.HEADER.size, time.monotonic() + 60)
    assert failed.value.why == "died" and failed.value.detail == "exit 1"
    finding = isolated._child_finding(failed.value, 120)
    assert finding.rule == "FILE_UNREADABLE" and "stopped unexpectedly (exit 1)" in finding.message_en


def test_the_memory_cap_ends_the_child_natively_or_with_memoryerror(fresh_children, monkeypatch):
    """Which of the two happens depends on where the allocation fails; both are FILE_TOO_LARGE."""
    monkeypatch.setenv("SMARTPROV_READ_MEMORY_MB", "30")
    child = isolated._Child()
    data = _big_valid_workbook()
    try:
        sub = child.ask((f"{FOLDER}/b.xlsx", FOLDER, _sha(data), data), timeout=120)
        assert [f.rule for f in sub.findings] == ["FILE_TOO_LARGE"]  # MemoryError in Python
    except isolated.ChildFailed as failed:
        assert failed.why == "memory", failed  # the native abort, recognised from its stderr
    finally:
        child.kill()


def test_answers_may_name_only_the_result_types():
    evil = pickle.dumps(("ok", print))  # a global outside the allow-list
    with pytest.raises(pickle.UnpicklingError):
        isolated._ResultUnpickler(io.BytesIO(evil)).load()


def test_a_reader_that_hangs_without_using_cpu_is_ended_by_the_wall_clock(fresh_children):
    """The limit is CPU time, extended in wall time on a busy machine, but only so far: a
    stopped child (no CPU at all) is ended after WALL_FACTOR times the limit."""
    import os
    import signal

    child = isolated._Child()
    os.kill(child.proc.pid, signal.SIGSTOP)
    data = masterplan().to_bytes()
    try:
        with pytest.raises(isolated.ChildFailed) as failed:
            child.ask((f"{FOLDER}/b.xlsx", FOLDER, _sha(data), data), timeout=0.4)
    finally:
        child.kill()
    assert failed.value.why == "timeout"


def _pids_reading(monkeypatch) -> list[int]:
    """The pid of the child that answered each request, in order."""
    pids: list[int] = []
    ask = isolated._Child.ask

    def recording(self, request, timeout):
        sub = ask(self, request, timeout)
        pids.append(self.proc.pid)
        return sub

    monkeypatch.setattr(isolated._Child, "ask", recording)
    return pids


def test_one_child_reads_many_files_and_is_retired_after_its_quota(fresh_children, monkeypatch):
    monkeypatch.setenv("SMARTPROV_READ_CHILD_FILES", "2")
    pids = _pids_reading(monkeypatch)
    data = masterplan().to_bytes()
    subs = [_read(data, f"b{i}.xlsx") for i in range(5)]
    assert all(s.kind == "MASTERPLAN" and not s.has_errors for s in subs)
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]  # two files each, then a new reader
    assert not any(c.proc.pid in pids[:4] for c in isolated._idle)  # the retired ones ended


def test_a_child_grown_past_its_resident_limit_is_retired(fresh_children, monkeypatch):
    data = masterplan().to_bytes()
    pids = _pids_reading(monkeypatch)
    _read(data, "a.xlsx")
    _read(data, "b.xlsx")
    assert pids[0] == pids[1]  # under the default limit: the same reader
    monkeypatch.setenv("SMARTPROV_READ_CHILD_RSS_MB", "1")  # any interpreter holds more
    _read(data, "c.xlsx")
    _read(data, "d.xlsx")
    assert pids[2] == pids[1] and pids[3] != pids[2]
