"""The fuzzing harness (`make fuzz`) runs, reads every input through the reader child, and
reports no failure on a short, seeded run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(300)
def test_a_short_seeded_fuzz_run_finds_no_failure(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "fuzz.run", "--seconds", "5", "--seed", "12", "--out", str(tmp_path / "crashes")],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rounds = int(done.stdout.split("fuzz: ")[1].split()[0])
    assert rounds > 50
    assert not (tmp_path / "crashes").exists()


def test_mutations_change_the_input_and_keep_most_of_them_zips():
    sys.path.insert(0, str(REPO))
    import random

    from fuzz.run import _entries, mutate, seeds

    rng = random.Random(3)
    corpus = seeds()
    mutated = [mutate(rng, rng.choice(corpus)) for _ in range(200)]
    assert sum(m not in corpus for m in mutated) >= 190
    assert sum(_entries(m) is not None for m in mutated) >= 100
