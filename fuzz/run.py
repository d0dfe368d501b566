"""Time-boxed mutation fuzzing of the workbook reader: `make fuzz` (FUZZ_SECONDS, default 120).

Seeds are valid workbooks and small hostile ones (tests/workbooks.py, tests/hostile.py).
Each round mutates one seed - bytes of a zip entry (then re-zipped, so the CRC is right and the
reader sees the mutated XML), relationship targets and part names, or the raw file bytes -
and reads it exactly as the nightly run does: in the supervised reader child, under its
memory cap and wall clock. A round fails when the child dies, runs out of memory or time,
or the reader reports an internal error instead of a finding; the input is then kept under
`--out` (default var/fuzz/crashes) and the exit code is 1.

    python -m fuzz.run --seconds 60 --seed 7
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import sys
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "plugins"), str(REPO / "tests")]

FOLDER = "32.73"
INTERESTING = [
    b"XFD1048576", b"A1048576", b"../", b"./", b"//", b"\\", b"<!DOCTYPE x>", b"&amp;", b"\x00",
    b' t="s"', b"<v>4294967295</v>", b"<v>-1</v>", b'r="A0"', b"<si><t>x</t></si>", b"\xff\xfe",
    b'Target="/xl/sharedStrings.xml"', b"1e308", b"9999-12-31", b"NaN", b"<c>", b"</row>",
]  # fmt: skip


def seeds() -> list[bytes]:
    import hostile
    from workbooks import evaluasi, masterplan

    out = [masterplan().to_bytes(), evaluasi().to_bytes(), hostile.as_xlsm(masterplan().to_bytes())]
    out += [hostile.far_cell(), hostile.billion_laughs(), hostile.shared_strings_workbook([3, 5], [0, 1, 0])]
    out += [hostile.far_cell_behind_target(s) for s in hostile.TARGET_SPELLINGS]
    out += [hostile.xlsm_with_macro(), hostile.utf16_sheet(), hostile.truncated_xlsx()]
    return out


def _entries(data: bytes) -> list[tuple[str, bytes]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return [(i.filename, zf.read(i)) for i in zf.infolist()]
    except Exception:  # noqa: BLE001 - not a zip (a seed that is broken on purpose)
        return None


def _rezip(entries: list[tuple[str, bytes]]) -> bytes:
    warnings.filterwarnings("ignore", "Duplicate name", UserWarning)  # twins are the point
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries:
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), content)
    return out.getvalue()


def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        pos = rng.randrange(len(buf) + 1) if buf else 0
        if op < 0.3 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op < 0.5:
            buf[pos:pos] = rng.choice(INTERESTING)
        elif op < 0.7 and buf:
            del buf[pos : pos + rng.randint(1, 64)]
        elif op < 0.85 and buf:
            start = rng.randrange(len(buf))
            piece = buf[start : start + rng.randint(1, 256)]
            buf[pos:pos] = piece * rng.randint(1, 50)  # repetition: big numbers of cells
        elif buf:
            buf[pos : pos + 8] = rng.randbytes(8)
    return bytes(buf)


def mutate(rng: random.Random, data: bytes) -> bytes:
    entries = _entries(data)
    if entries is None or rng.random() < 0.15:
        return _mutate_bytes(rng, data)
    i = rng.randrange(len(entries))
    name, content = entries[i]
    choice = rng.random()
    if choice < 0.7:
        entries[i] = (name, _mutate_bytes(rng, content))
    elif choice < 0.85:  # rename a part the way hostile packages do
        prefix = rng.choice(["xl/../", "xl/./", "XL/", "", "xl//"])
        entries[i] = (prefix + name.removeprefix("xl/") if name.startswith("xl/") else name, content)
    else:  # duplicate an entry under a twin name
        entries.append((name.replace("/", "\\"), content))
    return _rezip(entries)


def fuzz(seconds: float, seed: int, out: Path, log: Callable[[str], None] = print) -> dict:
    from smartprov.ingest import isolated

    rng = random.Random(seed)
    corpus = seeds()
    deadline = time.monotonic() + seconds
    rounds = failures = 0
    child = isolated._Child()
    try:
        while time.monotonic() < deadline:
            data = mutate(rng, rng.choice(corpus))
            sha = hashlib.sha256(data).hexdigest()
            problem = None
            try:
                sub = child.ask((f"{FOLDER}/fuzz.xlsx", FOLDER, sha, data), timeout=30)
                internal = [f for f in sub.findings if "internal error" in f.message_en]
                if internal:
                    problem = internal[0].message_en
            except isolated.ChildFailed as failed:
                problem = f"reader child {failed.why} ({failed.detail})"
                child = isolated._Child()
            rounds += 1
            if problem:
                failures += 1
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{sha[:16]}.xlsx").write_bytes(data)
                log(f"FAIL {sha[:16]}: {problem}")
    finally:
        child.kill()
    return {"rounds": rounds, "failures": failures, "seconds": seconds, "seed": seed}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=120)
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--out", type=Path, default=REPO / "var" / "fuzz" / "crashes")
    args = p.parse_args(argv)
    result = fuzz(args.seconds, args.seed, args.out)
    print(
        f"fuzz: {result['rounds']} inputs in {args.seconds:g} s (seed {args.seed}), {result['failures']} failures"
    )
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
