"""Parsing many files at once, each in a supervised child process: in parallel, also inside a
daemonic process (a Celery prefork worker's task), which may not fork a multiprocessing pool."""

from __future__ import annotations

import multiprocessing

import pytest

from smartprov.authoring.sample import write_sample_landing
from smartprov.ingest.isolated import read_entries
from smartprov.ingest.landing import open_landing, sha256_of
from smartprov.run.steps import parse_workers


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("landing")
    write_sample_landing(out, province="32", seed=0)
    return str(out)


def _entries(landing: str) -> list[dict]:
    root = open_landing(landing)
    files = root.list_files()
    assert len(files) >= 40  # enough for every worker to read many files
    return [{"path": f.path, "size": f.size, "sha256": sha256_of(root, f), "status": "new"} for f in files]


def parse_files(landing_url: str, entries: list[dict]) -> list:
    """The night's reading: each file in a supervised child, `parse_workers()` at a time, in
    input order; a file that vanished or changed since it was listed is left out."""
    landing = open_landing(landing_url)
    return [sub for _, sub in read_entries(landing, entries, parse_workers()) if sub is not None]


def _parse_in_daemon(landing: str, queue) -> None:
    try:
        parsed = parse_files(landing, _entries(landing))
        queue.put(("ok", [s.path for s in parsed]))
    except BaseException as exc:  # reported to the parent, which asserts on it
        queue.put(("error", repr(exc)))


def test_a_celery_prefork_task_parses_in_isolated_children(landing):
    """Celery's prefork pool runs tasks in daemonic processes, which may not fork a pool."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    worker = context.Process(target=_parse_in_daemon, args=(landing, queue), daemon=True)
    worker.start()
    outcome, detail = queue.get(timeout=300)
    worker.join(timeout=60)
    assert outcome == "ok", detail
    assert detail == [e["path"] for e in _entries(landing)]  # every file, in discovery order


def test_parallel_and_in_process_parsing_agree(landing, monkeypatch):
    entries = _entries(landing)
    monkeypatch.setenv("SMARTPROV_WORKERS", "2")
    parallel = parse_files(landing, entries)
    monkeypatch.setenv("SMARTPROV_WORKERS", "1")
    serial = parse_files(landing, entries)
    assert [(s.path, s.kind, s.region_code, s.rows) for s in parallel] == [
        (s.path, s.kind, s.region_code, s.rows) for s in serial
    ]
