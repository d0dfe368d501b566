"""The workbook reader's child process: `python -m smartprov.ingest.read_child`.

Reads requests from stdin and answers on stdout, one at a time, each a frame (8-byte
big-endian length, then a pickle). A request is (path, folder, sha256, bytes); the answer is
("ok", ParsedSubmission). The process limits its own address space before it reads anything
(SMARTPROV_READ_MEMORY_MB above what the interpreter already maps), so that a workbook asking
for more memory ends this process, not the night: see `smartprov.ingest.isolated`.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys

HEADER = struct.Struct(">Q")
DEFAULT_MEMORY_MB = 2048


def memory_budget_bytes() -> int:
    return int(float(os.environ.get("SMARTPROV_READ_MEMORY_MB") or DEFAULT_MEMORY_MB) * (1 << 20))


def limit_address_space(budget: int) -> int | None:
    """Cap this process's address space at what it maps now plus `budget`; the cap set, or
    None where the platform has no RLIMIT_AS (the parent's wall clock still applies)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Linux/macOS
        return None
    if not hasattr(resource, "RLIMIT_AS"):  # pragma: no cover
        return None
    try:
        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        mapped = 1 << 30
    cap = mapped + budget
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):  # pragma: no cover
        return None
    return cap


def _read_exact(stream, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        block = stream.read(n - got)
        if not block:
            return None
        chunks.append(block)
        got += len(block)
    return b"".join(chunks)


def write_frame(stream, obj) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def read_one(path: str, folder: str | None, sha256: str, data: bytes):
    """Parse one workbook; an unexpected reader error becomes the file's FILE_UNREADABLE."""
    from smartprov.contract.findings import finding
    from smartprov.ingest.parse import ParsedSubmission, parse_submission, submission_id_for

    try:
        return parse_submission(path, data, sha256, folder)
    except MemoryError:
        sub = ParsedSubmission(path, sha256, len(data), folder, submission_id_for(sha256, folder))
        sub.add(finding("FILE_TOO_LARGE", detail=MEMORY_DETAIL))
        return sub
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the other files
        sub = ParsedSubmission(path, sha256, len(data), folder, submission_id_for(sha256, folder))
        sub.add(finding("FILE_UNREADABLE", detail=f"galat internal / internal error: {type(exc).__name__}"))
        return sub


MEMORY_DETAIL = (
    "membaca berkas memerlukan memori melebihi batas / reading the file needs more memory than allowed"
)


def main() -> int:
    import smartprov.ingest.parse  # noqa: F401 - imported before the cap: its mappings are not the file's

    limit_address_space(memory_budget_bytes())
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the answer pipe
    while True:
        head = _read_exact(stdin, HEADER.size)
        if head is None:
            return 0
        body = _read_exact(stdin, HEADER.unpack(head)[0])
        if body is None:
            return 0
        path, folder, sha256, data = pickle.loads(body)
        del body
        write_frame(stdout, ("ok", read_one(path, folder, sha256, data)))
        del data


if __name__ == "__main__":
    sys.exit(main())
