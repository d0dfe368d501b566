"""Reading workbooks in supervised child processes, so that no file can stop the night.

Each workbook is parsed by a child (`python -m smartprov.ingest.read_child`) that caps its own
address space; the parent gives it one file at a time and waits at most a time limit (the
child's CPU time for the file, and a multiple of it in wall time, so that a busy machine
does not fail good files).
A child that aborts (a native allocation failure is SIGABRT), is killed, or runs over turns
into that file's FILE_TOO_LARGE / FILE_UNREADABLE finding, and the next file gets a fresh
child. A file that crashes a child which had read other files first is read once more alone,
so that the blame lands on the right file.

Children are plain subprocesses, not multiprocessing workers: they can be started anywhere,
inside a daemonic process (a Celery prefork worker's task) too. They are a pool of long-lived
readers: a child reads file after file (starting one costs ~0.1 s of imports, ten times a
typical file's read), idle children are kept for the next call in the same process (a test
session, a scheduler worker), and ended at exit. A child is retired after
SMARTPROV_READ_CHILD_FILES files (default 1000), or once it holds more than
SMARTPROV_READ_CHILD_RSS_MB resident (default 512: what a big file left in its heap is
given back, not carried to the next file); its successor starts on the next file.

The parent reads each file's bytes once, hashes them and sends those same bytes to the child,
so the SHA-256 recorded is that of the bytes that were validated and loaded.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import logging
import os
import pickle
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from smartprov.contract import catalogue as contract
from smartprov.contract.findings import finding
from smartprov.ingest.landing import LandingFile, LandingFileChanged, LocalLanding, unreadable_reason
from smartprov.ingest.parse import ParsedSubmission, submission_id_for
from smartprov.ingest.read_child import HEADER, MEMORY_DETAIL, memory_budget_bytes

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 120.0  # CPU seconds of the reader child for one file
WALL_FACTOR = 5  # ... and at most this many times as much wall time, however busy the machine


DEFAULT_CHILD_FILES = 1000
DEFAULT_CHILD_RSS_MB = 512


def child_file_limit() -> int:
    return max(1, int(os.environ.get("SMARTPROV_READ_CHILD_FILES") or DEFAULT_CHILD_FILES))


def child_rss_limit_bytes() -> int:
    return int(float(os.environ.get("SMARTPROV_READ_CHILD_RSS_MB") or DEFAULT_CHILD_RSS_MB) * (1 << 20))


def read_timeout() -> float:
    return float(os.environ.get("SMARTPROV_READ_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)


class ChildFailed(Exception):
    def __init__(self, why: str, detail: str = "") -> None:
        super().__init__(f"{why}: {detail}")
        self.why = why  # "timeout", "memory", "died", "protocol"
        self.detail = detail


# -- Results from a child are only our own types ---------------------------------------------
_SAFE_GLOBALS = {
    ("smartprov.ingest.parse", "ParsedSubmission"),
    ("smartprov.contract.findings", "Finding"),
    ("smartprov.contract.findings", "FindingCap"),
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("decimal", "Decimal"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
}


class _ResultUnpickler(pickle.Unpickler):
    """A child reads hostile bytes: what it sends back may name only the result's own types."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected type in a reader's answer: {module}.{name}")


# -- One child ---------------------------------------------------------------------------------
def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])  # the folder holding smartprov/
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")  # one thread each: no per-thread arenas inside the cap
    return env


class _Child:
    def __init__(self) -> None:
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smartprov.ingest.read_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=_child_env(),
            close_fds=True,
        )
        self.owner = os.getpid()
        self.served = 0
        self.limit, self.started, self.cpu_at_start = 0.0, None, 0.0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def ask(self, request: tuple, timeout: float) -> ParsedSubmission:
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        self.limit, self.started = timeout, time.monotonic()
        self.cpu_at_start = self.cpu_seconds() or 0.0
        deadline = self.started + timeout
        try:
            self.proc.stdin.write(HEADER.pack(len(payload)))
            self.proc.stdin.write(payload)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._failure("died") from None
        del payload
        head = self._read_exact(HEADER.size, deadline)
        body = self._read_exact(HEADER.unpack(head)[0], deadline)
        try:
            status, sub = _ResultUnpickler(io.BytesIO(body)).load()
        except Exception as exc:  # noqa: BLE001
            self.kill()
            raise ChildFailed("protocol", str(exc)[:200]) from None
        if status != "ok" or not isinstance(sub, ParsedSubmission):
            self.kill()
            raise ChildFailed("protocol", "unexpected answer")
        self.served += 1
        return sub

    def _read_exact(self, n: int, deadline: float) -> bytes:
        out = bytearray()
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while len(out) < n:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    deadline = self._extended(deadline)
                    if deadline is None:
                        self.kill()
                        raise ChildFailed("timeout")
                    continue
                block = os.read(fd, min(n - len(out), 1 << 20))
                if not block:
                    raise self._failure("died")
                out += block
        return bytes(out)

    def _extended(self, deadline: float) -> float | None:
        """The limit is the child's CPU time for this file: on a busy machine, wall time runs
        ahead of it, so a child still under its CPU budget gets more wall time (up to
        WALL_FACTOR times the limit). Without /proc, the wall clock decides."""
        cpu = self.cpu_seconds()
        if cpu is None or self.started is None:
            return None
        used = cpu - self.cpu_at_start
        if used >= self.limit or time.monotonic() - self.started >= self.limit * WALL_FACTOR:
            return None
        return time.monotonic() + max(1.0, self.limit - used)

    def rss_bytes(self) -> int | None:
        try:
            with open(f"/proc/{self.proc.pid}/statm", "rb") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            return None

    def spent(self) -> bool:
        """Due for retirement: its file quota read, or its heap grown past the limit."""
        if self.served >= child_file_limit():
            return True
        rss = self.rss_bytes()
        return rss is not None and rss > child_rss_limit_bytes()

    def cpu_seconds(self) -> float | None:
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def _failure(self, why: str) -> ChildFailed:
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - 4000))
        tail = self.stderr.read().decode("utf-8", "replace")
        if "memory allocation" in tail or "MemoryError" in tail or "Cannot allocate memory" in tail:
            why = "memory"
        signame = ""
        if code is not None and code < 0:
            try:
                signame = signal.Signals(-code).name
            except ValueError:
                signame = f"signal {-code}"
        self.close()
        return ChildFailed(why, signame or f"exit {code}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.close()

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.stderr.close()

    def stop(self) -> None:
        """End an idle child: closing its stdin ends its loop."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.close()


_idle: list[_Child] = []
_idle_lock = threading.Lock()


def _checkout() -> _Child:
    with _idle_lock:
        while _idle:
            child = _idle.pop()
            if child.owner == os.getpid() and child.alive():
                return child
    return _Child()


def _checkin(child: _Child) -> None:
    if child.owner != os.getpid():
        return
    if child.spent():
        child.stop()
        return
    if child.alive():
        with _idle_lock:
            _idle.append(child)


@atexit.register
def stop_idle_children() -> None:
    with _idle_lock:
        children, _idle[:] = list(_idle), []
    for child in children:
        if child.owner == os.getpid():
            child.stop()


def parse_isolated(
    path: str, folder: str | None, sha256: str, data: bytes, *, timeout: float | None = None
) -> ParsedSubmission:
    """Parse one workbook's bytes in a child; a child's failure is the file's rejection."""
    timeout = read_timeout() if timeout is None else timeout
    request = (path, folder, sha256, data)
    for attempt in (1, 2):
        child = _checkout()
        fresh = child.served == 0
        try:
            sub = child.ask(request, timeout)
        except ChildFailed as failed:
            if failed.why in ("died", "memory") and not fresh and attempt == 1:
                log.info("reader child died on %s after %d files: reading it alone", path, child.served)
                continue
            log.warning("reader child failed on %s: %s", path, failed)
            return rejected_submission(path, folder, sha256, len(data), _child_finding(failed, timeout))
        _checkin(child)
        return sub
    raise AssertionError("unreachable")  # pragma: no cover


def _child_finding(failed: ChildFailed, timeout: float):
    if failed.why == "timeout":
        return finding(
            "FILE_TOO_LARGE",
            detail=f"pembacaan melebihi batas waktu {timeout:g} detik / reading took longer than the {timeout:g} s limit",
        )
    if failed.why == "memory":
        mb = memory_budget_bytes() >> 20
        return finding(
            "FILE_TOO_LARGE", detail=MEMORY_DETAIL.replace("batas /", f"batas {mb} MB /") + f" ({mb} MB)"
        )
    return finding(
        "FILE_UNREADABLE",
        detail=(
            f"pembaca berkas berhenti tak terduga ({failed.detail}) / "
            f"the workbook reader stopped unexpectedly ({failed.detail})"
        ),
    )


def rejected_submission(path: str, folder: str | None, sha256: str, size: int, found) -> ParsedSubmission:
    sub = ParsedSubmission(
        path=path, sha256=sha256, size=size, folder=folder, submission_id=submission_id_for(sha256, folder)
    )
    sub.add(found)
    return sub


# -- Many files ----------------------------------------------------------------------------
def read_entry(landing, entry: dict[str, Any], lock: threading.Lock | None = None) -> ParsedSubmission | None:
    """One landing entry -> its parsed submission; None when it vanished or changed since
    discovery (skipped tonight, taken by the next run)."""
    lf = LandingFile(entry["path"], entry["size"], refused=entry.get("refused"))
    source = LandingFile(entry.get("source") or entry["path"], entry["size"])
    if lf.refused:
        sub = rejected_submission(
            lf.path, lf.folder, entry["sha256"], 0, finding("FILE_UNREADABLE", detail=lf.refused)
        )
        sub.refused = True  # never opened: nothing to quarantine
        return sub
    if lf.size > contract.MAX_FILE_BYTES:
        mb = contract.MAX_FILE_BYTES // (1024 * 1024)
        return rejected_submission(
            lf.path, lf.folder, entry["sha256"], lf.size,
            finding("FILE_TOO_LARGE", detail=f"{lf.size / 1048576:.1f} MB > {mb} MB"),
        )  # fmt: skip
    try:
        if lock is None:
            data = landing.read_bytes(source)
        else:
            with lock:
                data = landing.read_bytes(source)
    except (FileNotFoundError, LandingFileChanged) as exc:
        log.warning("skipped %s until the next run: %s", lf.path, exc)
        return None
    except OSError as exc:  # permissions, an I/O error: this file's finding, not a silent skip
        log.warning("cannot read %s: %s", lf.path, exc)
        sub = rejected_submission(
            lf.path, lf.folder, entry["sha256"], 0, finding("FILE_UNREADABLE", detail=unreadable_reason(exc))
        )
        sub.refused = True  # nothing read: nothing to quarantine
        return sub
    sha = hashlib.sha256(data).hexdigest()
    if entry.get("sha256") and sha != entry["sha256"]:
        log.warning("skipped %s until the next run: its content changed since discovery", lf.path)
        return None
    return parse_isolated(lf.path, lf.folder, sha, data)


def read_entries(
    landing, entries: list[dict[str, Any]], workers: int = 1
) -> Iterator[tuple[dict[str, Any], ParsedSubmission | None]]:
    """(entry, parsed or None when skipped) for each entry, in order, `workers` files at once."""
    lock = None if isinstance(landing, LocalLanding) else threading.Lock()
    if workers <= 1 or len(entries) <= 1:
        for entry in entries:
            yield entry, read_entry(landing, entry, lock)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="smartprov-read") as pool:
        yield from zip(entries, pool.map(lambda e: read_entry(landing, e, lock), entries), strict=True)


__all__ = ["ChildFailed", "parse_isolated", "read_entries", "read_entry", "rejected_submission"]
