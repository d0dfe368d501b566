"""Summarise a py-spy `--format raw` profile: `python -m bench.profile_summary FILE [RATE]`.

Inclusive seconds per frame (a frame counted once per sample), main threads only (stacks
that do not start in a worker thread's bootstrap), split by process. Used to find where
the national run's time goes (BENCHMARKS.md, "Where the time went").
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict


def summarise(path: str, rate: float = 50.0, top: int = 60, match: str = "") -> str:
    per_process: dict[str, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for line in open(path, encoding="utf-8", errors="replace"):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        proc = frames[0][:80]
        body = frames[1:]
        if body and body[0].startswith("_bootstrap"):
            continue  # worker threads (dbt's thread pool is counted via the main thread's wait)
        n = int(count)
        totals[proc] += n
        seen = set()
        for f in body:
            name = re.sub(r":\d+\)$", ")", f)  # fold line numbers
            if name not in seen:
                seen.add(name)
                per_process[proc][name] += n
    out = []
    for proc, counter in sorted(per_process.items(), key=lambda kv: -totals[kv[0]]):
        out.append(f"== {proc}  total {totals[proc] / rate:.1f} s")
        for name, n in counter.most_common():
            if match and not re.search(match, name):
                continue
            out.append(f"{n / rate:8.2f} s  {name}")
            if len(out) > top * (len(out) // top + 1):
                pass
        out = out[: len(out)]
    return "\n".join(out)


if __name__ == "__main__":
    print(
        summarise(
            sys.argv[1],
            float(sys.argv[2]) if len(sys.argv) > 2 else 50.0,
            match=sys.argv[3] if len(sys.argv) > 3 else "",
        )
    )
