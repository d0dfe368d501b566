"""The portal as an officer uses it: a real server (`smartprov portal`) and Debian's chromium
driven by Playwright, on a phone-sized screen. The 32.04 officer checks a workbook with
mistakes, downloads the findings, checks and sends the fixed one, intake (the function
`smartprov intake` calls) loads it, and the status says accepted. 32.73's officer sees and
sends nothing of 32.04's; the province sees both."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest

from loopback import free_port
from portal_helpers import (
    OFFICER,
    OTHER,
    PASSWORD,
    PROVINCE,
    fixed_masterplan,
    make_portal,
    masterplan_with_mistakes,
)

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path, var_dir):
    portal = make_portal(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "plugins"),
        "SMARTPROV_VAR_DIR": str(var_dir),
        "SMARTPROV_WAREHOUSE_URL": portal.warehouse_url,
        "SMARTPROV_LANDING_URL": str(portal.landing),
        "SMARTPROV_PORTAL_SECRET": "browser-test-secret",
        "SMARTPROV_PORTAL_URL": f"http://127.0.0.1:{port}",
    }
    log = open(tmp_path / "portal.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "smartprov.cli", "portal", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError((tmp_path / "portal.log").read_text()) from None
                time.sleep(0.1)
        else:
            raise RuntimeError("portal did not start: " + (tmp_path / "portal.log").read_text())
        yield base, portal
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _login(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _choose(page, path: Path) -> None:
    page.set_input_files("input[type=file]", str(path))


def test_officer_checks_fixes_sends_and_sees_it_accepted(server, tmp_path):
    from playwright.sync_api import sync_playwright

    from smartprov.run.steps import intake

    base, portal = server
    wrong = tmp_path / "wrong" / "Masterplan Kab Bandung.xlsx"
    fixed = tmp_path / "fixed" / "Masterplan Kab Bandung.xlsx"
    for path, data in ((wrong, masterplan_with_mistakes()), (fixed, fixed_masterplan())):
        path.parent.mkdir()
        path.write_bytes(data)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
            page = phone.new_page()
            _login(page, base, OFFICER)
            assert page.url.endswith("/check")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "fits a phone"

            _choose(page, wrong)
            page.click("#check-button")
            result = page.locator("#result")
            assert result.get_attribute("data-status") == "rejected"
            text = result.inner_text()
            assert (
                "Akan DITOLAK" in text and "ENUM" in text and "Smart Govermance" in text and "PERIOD" in text
            )
            assert "dimensi" in text

            with page.expect_download() as download:
                page.click("#download-findings")
            saved = tmp_path / "temuan.xlsx"
            download.value.save_as(saved)
            rules = {
                row[2]
                for row in openpyxl.load_workbook(saved)["Temuan"].iter_rows(min_row=2, values_only=True)
            }
            assert {"ENUM", "PERIOD"} <= rules

            _choose(page, fixed)
            page.click("#check-button")
            assert page.locator("#result").get_attribute("data-status") == "accepted"
            _choose(page, fixed)
            page.click("#send-button")
            assert "terkirim, menunggu intake" in page.locator("#sent").inner_text()
            (landed,) = [p for p in portal.landing.rglob("*") if p.is_file()]
            assert landed.parent.name == "32.04" and landed.read_bytes() == fixed.read_bytes()

            page.goto(base + "/status/32.04")
            assert "terkirim, menunggu intake" in page.locator("tr.waiting").inner_text()

            assert intake(str(portal.landing), portal.warehouse_url)["new"] == 1

            page.reload()
            assert page.locator("tr.waiting").count() == 0
            row = page.locator("#submissions tr.accepted")
            assert row.count() == 1 and landed.name in row.inner_text()

            # 32.73's officer: nothing of 32.04's to see, nothing to send in its name
            other = browser.new_context().new_page()
            _login(other, base, OTHER)
            response = other.goto(base + "/status/32.04")
            assert response.status == 403 and landed.name not in other.content()
            other.goto(base + "/status/32.73")
            assert landed.name not in other.content()
            other.goto(base + "/check")
            _choose(other, fixed)
            other.click("#send-button")
            assert "REGION_MISMATCH" in other.locator("#result").inner_text()
            assert [p for p in portal.landing.rglob("*") if p.is_file()] == [landed]

            # the province sees both regencies, and 32.04's accepted workbook
            province = browser.new_context().new_page()
            _login(province, base, PROVINCE)
            assert province.url.endswith("/province")
            table = province.locator("#regencies")
            assert table.locator('tr[data-region="32.04"]').count() == 1
            assert table.locator('tr[data-region="32.73"]').count() == 1
            province.click('tr[data-region="32.04"] a')
            assert landed.name in province.locator("#submissions tr.accepted").inner_text()
            assert province.goto(base + "/status/32.73").status == 200
        finally:
            browser.close()
    events = portal.store.events()
    assert {(e["action"], e["outcome"], e["actor"]) for e in events} >= {
        ("login", "ok", OFFICER),
        ("check", "rejected", OFFICER),
        ("check", "accepted", OFFICER),
        ("send", "sent", OFFICER),
        ("send", "refused", OTHER),
        ("login", "ok", PROVINCE),
    }
