"""Issue 12's "done when": a landing zone holding every kind of hostile input next to valid
workbooks finishes with exit 0 and a complete report, under a 4 GB address-space cap; the
valid files are accepted, each hostile entry is rejected with a finding, nothing outside the
landing root is read, and the same bytes in two folders load for the right one.

The CLI runs in a child process with RLIMIT_AS = 4 GB (its reader children inherit the cap
and set a lower one). Outside the landing root sit a file with a marker and a FIFO: a link to
the marker file must leave no trace of it anywhere the run writes, and a link to the FIFO, if
it were followed, would block the run (the test would then time out).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hostile
from smartprov.ingest.parse import submission_id_for
from smartprov.warehouse.connection import Warehouse
from workbooks import masterplan

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ADDRESS_SPACE_CAP = 4 << 30
SECRET = b"root:x:0:0:SECRET-OUTSIDE-THE-LANDING-ROOT-7f3a"
VALID = masterplan().to_bytes()  # Kota Bandung, 32.73

# landing path -> bytes; each rejected with a finding (the rule where it is certain)
HOSTILE_FILES = {
    **{
        f"32.73/target-{s}.xlsx": (lambda s=s: hostile.far_cell_behind_target(s), None)
        for s in hostile.TARGET_SPELLINGS
    },
    "32.73/kembar-backslash.xlsx": (hostile.far_cell_backslash_twin, "FILE_UNREADABLE"),
    "32.73/huruf-besar.xlsx": (hostile.far_cell_uppercase_name, "FILE_TOO_LARGE"),
    "32.73/umpan-sharedstrings.xlsx": (hostile.shared_strings_decoy, "FILE_TOO_LARGE"),
    "32.73/sel-jauh.xlsx": (hostile.far_cell, "FILE_TOO_LARGE"),
    "32.73/bom-zip.xlsx": (hostile.zip_bomb, "FILE_TOO_LARGE"),
    "32.73/bom-teks.xlsx": (hostile.shared_string_bomb, "FILE_TOO_LARGE"),
    "32.73/entitas.xlsx": (hostile.billion_laughs, "FILE_UNREADABLE"),
    "32.73/terkunci.xlsx": (hostile.encrypted_xlsx, "FILE_UNREADABLE"),
    "32.73/besar-21mb.xlsx": (hostile.oversized, "FILE_TOO_LARGE"),
    # 10^18 rupiah: more than DECIMAL(20,2) holds; refused by validation or by the load,
    # either way only this file
    "32.73/anggaran-1e18.xlsx": (
        lambda: (
            masterplan(email="anggaran@bandung.go.id").set("Program", 2, "anggaran_rp", 10**18).to_bytes()
        ),
        None,
    ),
    # the valid masterplan's very bytes, sent from the wrong folder and from no folder
    "32.04/kiriman-bandung.xlsx": (lambda: VALID, "REGION_MISMATCH"),
    "tanpa-folder.xlsx": (lambda: VALID, "UNKNOWN_REGION"),
}
GOOD_FILES = {
    "32.73/masterplan.xlsx": lambda: VALID,
    "32.04/masterplan-makro.xlsm": lambda: hostile.as_xlsm(
        masterplan("32.04", "Kabupaten Bandung").to_bytes()
    ),
}
NON_UTF8_NAME = b"32.73/laporan-\xff\xfe.xlsx"
ESCAPED_NAME = "32.73/laporan-\\xff\\xfe.xlsx"


def _entries(landing: Path, outside: Path) -> dict[str, str]:
    """Landing entries that are not regular files; path -> what they are."""
    made = {
        "32.73/tautan-putus.xlsx": ("symlink", outside / "tidak-ada.xlsx"),
        "32.73/tautan-rahasia.xlsx": ("symlink", outside / "passwd"),
        "32.73/tautan-nol.xlsx": ("symlink", Path("/dev/zero")),
        "32.73/tautan-fifo.xlsx": ("symlink", outside / "fifo"),
        "32.73/folder-luar": ("symlink", outside),
        "32.73/fifo.xlsx": ("fifo", None),
    }
    for rel, (kind, target) in made.items():
        path = landing / rel
        if kind == "symlink":
            path.symlink_to(target)
        else:
            os.mkfifo(path)
    loop_a, loop_b = landing / "32.73" / "putaran-a.xlsx", landing / "32.73" / "putaran-b.xlsx"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    return {
        **{rel: kind for rel, (kind, _) in made.items()},
        "32.73/putaran-a.xlsx": "symlink",
        "32.73/putaran-b.xlsx": "symlink",
    }


RUN = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from smartprov.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("done-when")
    landing, outside = base / "landing", base / "outside"
    for folder in ("32.73", "32.04"):
        (landing / folder).mkdir(parents=True)
    outside.mkdir()
    (outside / "passwd").write_bytes(SECRET)
    os.mkfifo(outside / "fifo")
    written = {}
    for rel, build in {**{k: v[0] for k, v in HOSTILE_FILES.items()}, **GOOD_FILES}.items():
        written[rel] = build()
        (landing / rel).write_bytes(written[rel])
    with open(os.fsencode(landing) + b"/" + NON_UTF8_NAME, "wb") as fh:
        fh.write(masterplan(email="nama@bandung.go.id").to_bytes())
    specials = _entries(landing, outside)

    url = f"duckdb:///{base / 'warehouse.duckdb'}"
    env = dict(os.environ, SMARTPROV_VAR_DIR=str(base / "var"), SMARTPROV_ALERTS_EMAIL_ENABLED="false")
    cmd = [sys.executable, "-c", RUN.format(cap=ADDRESS_SPACE_CAP), "run", "--landing", str(landing),
           "--warehouse", url, "--report", str(base / "report.json"), "--no-dbt", "--no-alerts"]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, timeout=540)
    return {
        "proc": proc, "base": base, "url": url, "written": written, "specials": specials,
        "report": json.loads((base / "report.json").read_text(encoding="utf-8")) if proc.returncode == 0 else None,
    }  # fmt: skip


def _by_path(run) -> dict[str, dict]:
    return {s["path"]: s for s in run["report"]["submissions"]}


def test_the_run_finishes_with_exit_0_and_a_complete_report(run):
    proc = run["proc"]
    assert proc.returncode == 0, (proc.stdout[-3000:] + proc.stderr[-3000:]).decode("utf-8", "replace")
    report = run["report"]
    assert report["errors"] == []
    listed = set(_by_path(run))
    expected = {*HOSTILE_FILES, *GOOD_FILES, *run["specials"], ESCAPED_NAME}
    assert listed == expected, listed ^ expected
    assert report["counts"] == {
        "accepted": len(GOOD_FILES),
        "rejected": len(expected) - len(GOOD_FILES),
        "duplicate": 0,
    }


def test_valid_files_are_accepted_xlsm_included(run):
    entries = _by_path(run)
    for rel in GOOD_FILES:
        assert entries[rel]["status"] == "accepted", entries[rel]["findings"]
    with Warehouse(run["url"]) as wh:
        loaded = dict(wh.fetchall(
            "SELECT s.path, count(*) FROM raw.masterplan_programs p JOIN audit.submissions s USING (submission_id) GROUP BY s.path"
        ))  # fmt: skip
    assert loaded == {"32.73/masterplan.xlsx": 12, "32.04/masterplan-makro.xlsm": 12}


@pytest.mark.parametrize("rel", sorted(HOSTILE_FILES))
def test_each_hostile_file_is_rejected_with_a_finding(run, rel):
    entry = _by_path(run)[rel]
    assert entry["status"] == "rejected"
    errors = [f for f in entry["findings"] if f["severity"] == "ERROR"]
    assert errors and all(f["message"] and f["message_en"] for f in errors)
    rule = HOSTILE_FILES[rel][1]
    if rule:
        assert rule in {f["rule"] for f in errors}, errors


def test_entries_that_are_not_regular_files_are_refused_unopened(run):
    entries = _by_path(run)
    for rel in run["specials"]:
        entry = entries[rel]
        assert entry["status"] == "rejected" and entry["quarantine_path"] is None
        (only,) = entry["findings"]
        assert only["rule"] == "FILE_UNREADABLE"
        assert ("symbolic link" if run["specials"][rel] == "symlink" else "not a regular file") in only[
            "message_en"
        ]
    odd = entries[ESCAPED_NAME]
    assert odd["status"] == "rejected" and "not UTF-8" in odd["findings"][0]["message_en"]


def test_nothing_outside_the_landing_root_is_read(run):
    written = [run["base"] / "report.json", *(run["base"] / "var").rglob("*")]  # all the run writes
    assert len(written) > 10
    for path in written:
        if not path.is_symlink() and path.is_file():
            assert SECRET not in path.read_bytes(), path
    with Warehouse(run["url"]) as wh:
        dumped = repr(wh.fetchall("SELECT * FROM audit.findings")) + repr(
            wh.fetchall("SELECT * FROM audit.submissions")
        )
    assert SECRET.decode() not in dumped


def test_the_same_bytes_in_two_folders_load_for_the_right_one(run):
    entries = _by_path(run)
    right, wrong = entries["32.73/masterplan.xlsx"], entries["32.04/kiriman-bandung.xlsx"]
    assert right["status"] == "accepted" and right["sha256"] == wrong["sha256"]
    assert right["submission_id"] == submission_id_for(right["sha256"], "32.73") != wrong["submission_id"]
    # the wrong folder's copy is reported under the sender (the folder), naming what it claims
    assert wrong["region_code"] == "32.04" and wrong["claimed_region_code"] == "32.73"


def test_hashes_recorded_are_those_of_the_bytes_loaded(run):
    with Warehouse(run["url"]) as wh:
        rows = dict(wh.fetchall("SELECT path, file_sha256 FROM audit.submissions"))
    for rel, data in run["written"].items():
        assert rows[rel] == hashlib.sha256(data).hexdigest()
