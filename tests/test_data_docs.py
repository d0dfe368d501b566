"""GX Data Docs: workbook values escaped in every page a run writes, and pages that open offline.

A rejected cell holding `<script>alert(1)</script>` must never reach any HTML file unescaped
(Data Docs, the province report, anything else the run writes); the Data Docs the digest links
to must render in Chromium with every network request refused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smartprov.validation import data_docs
from workbooks import masterplan

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(2)>'
CHROMIUM = "/usr/bin/chromium"


def hostile_landing(landing: Path) -> None:
    """A valid masterplan whose free-text cells hold markup (accepted: text is text), and a
    rejected one whose coded cells hold it too."""
    good = masterplan()
    row = good.data_rows("Program")[0]
    good.set("Program", row, "nama_program", f"Program {HOSTILE}")
    good.save(landing / "32.73" / "masterplan.xlsx")
    bad = masterplan("32.04", "Kabupaten Bandung")
    rows = bad.data_rows("Program")
    bad.set("Program", rows[0], "dimensi", HOSTILE)
    bad.set("Program", rows[1], "elemen", HOSTILE_ATTR)
    bad.set("Program", rows[2], "kode_program", HOSTILE + "-123456789")
    bad.save(landing / "32.04" / "masterplan.xlsx")


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("docs")
    landing = base / "landing"
    (landing / "32.73").mkdir(parents=True)
    (landing / "32.04").mkdir(parents=True)
    hostile_landing(landing)
    var = base / "var"
    env = dict(os.environ, SMARTPROV_VAR_DIR=str(var), SMARTPROV_ALERTS_EMAIL_ENABLED="false")
    url = f"duckdb:///{base / 'warehouse.duckdb'}"
    cmd = [sys.executable, "-m", "smartprov.cli", "run", "--landing", str(landing), "--warehouse", url,
           "--report", str(base / "report.json")]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    import json

    report = json.loads((base / "report.json").read_text(encoding="utf-8"))
    return {"base": base, "var": var, "report": report}


@pytest.mark.slow
def test_the_hostile_values_reached_the_run(hostile_run):
    """The values really went through: one file accepted (markup in free text), one rejected on them."""
    subs = {s["path"]: s for s in hostile_run["report"]["submissions"]}
    assert subs["32.73/masterplan.xlsx"]["status"] == "accepted"
    rejected = subs["32.04/masterplan.xlsx"]
    assert rejected["status"] == "rejected"
    values = {str(f.get("value")) for f in rejected["findings"]}
    assert HOSTILE in values and HOSTILE_ATTR in values


@pytest.mark.slow
def test_no_html_the_run_writes_holds_a_workbook_value_unescaped(hostile_run):
    pages = sorted(p for p in hostile_run["base"].rglob("*") if p.suffix.lower() in (".html", ".htm"))
    docs = Path(hostile_run["report"]["data_docs"])
    assert docs in pages
    assert any("province" in p.parts for p in pages), "the province report is among the pages"
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        assert HOSTILE not in text, page
        assert "<img src=x onerror" not in text, page
    shown = [p for p in pages if "&lt;script&gt;alert(1)&lt;/script&gt;" in p.read_text(encoding="utf-8")]
    assert any(docs.parent in p.parents for p in shown), "Data Docs show the rejected value, escaped"


@pytest.mark.slow
def test_data_docs_load_nothing_from_the_network(hostile_run):
    site = Path(hostile_run["report"]["data_docs"]).parent
    assert data_docs.remote_fetches(site) == []
    for local in set(data_docs.CDN_FILES.values()):
        assert (site / data_docs.VENDOR_DIR / local).is_file(), local


def test_vendored_files_are_the_ones_gx_pins_by_hash():
    """Where GX's templates give a Subresource Integrity hash, the vendored file has it."""
    import base64
    import hashlib
    import re

    import great_expectations

    templates = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
    pinned = {}
    for template in templates.rglob("*.j2"):
        for url, sri in re.findall(r"src=\"(https://[^\"]+)\"\s+integrity=\"(sha384-[^\"]+)\"",
                                   template.read_text(encoding="utf-8")):  # fmt: skip
            pinned[url] = sri
    assert pinned, "GX's templates pin some files by hash"
    for url, sri in pinned.items():
        data = (data_docs.ASSETS_DIR / data_docs.CDN_FILES[url]).read_bytes()
        assert "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode() == sri, url


def test_every_cdn_file_gx_names_is_vendored():
    """The map covers every CDN address in GX's own templates, so an upgrade that adds one fails here."""
    import re

    import great_expectations

    templates = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
    named = set()
    for template in templates.rglob("*.j2"):
        named |= set(re.findall(r"(?:src|href)=\"(https?://[^\"]+)\"", template.read_text(encoding="utf-8")))
    fetched = {u for u in named if not u.startswith(("https://greatexpectations.io", "https://docs."))}
    assert fetched <= set(data_docs.CDN_FILES), fetched - set(data_docs.CDN_FILES)
    for local in data_docs.CDN_FILES.values():
        assert (data_docs.ASSETS_DIR / local).is_file(), local


@pytest.mark.slow
def test_data_docs_render_offline_in_chromium(hostile_run, tmp_path):
    from playwright.sync_api import sync_playwright

    # a copy elsewhere: the site holds everything it needs
    site = shutil.copytree(Path(hostile_run["report"]["data_docs"]).parent, tmp_path / "site")
    refused: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", route)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((site / "index.html").as_uri())
            # bootstrap-table (jQuery + Bootstrap) turns the validation list into its own widget
            validations = page.locator(".bootstrap-table", has_text="Run Name")
            validations.locator("tbody tr").first.wait_for(timeout=15_000)
            listed = validations.inner_text()
            assert "program" in listed and "identitas_masterplan" in listed and "Failed" in listed
            assert validations.locator("tbody tr").count() == 2  # one per suite run in this run
            program_page = next((site / "validations" / "program").rglob("*.html"))
            page.goto(program_page.as_uri())
            page.locator(".bootstrap-table").first.wait_for(timeout=15_000)
            assert HOSTILE in page.locator("body").inner_text(), "shown as text, not run"
            # Font Awesome's webfont is local and loaded
            assert page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
        finally:
            browser.close()
    assert refused == [], "everything loads from the site folder"
    assert dialogs == [], "no script from a workbook ran"
    assert errors == []
