"""The portal over HTTP (FastAPI's TestClient), on the real core: the isolated reader, the GX
suites, the cross-rules, a real DuckDB warehouse (and PostgreSQL for its own tables), a real
landing folder and a real SMTP server on loopback. Nothing of validation is mocked."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from pg import fresh_database
from portal_helpers import (
    OFFICER,
    OTHER,
    PASSWORD,
    PROVINCE,
    csrf_of,
    fixed_masterplan,
    login,
    make_portal,
    masterplan_with_mistakes,
)

REPO = Path(__file__).resolve().parents[1]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def portal(tmp_path, var_dir, monkeypatch):
    monkeypatch.setenv("SMARTPROV_ALERTS_FROM", "smartprov@diskominfo.jabarprov.go.id")
    return make_portal(tmp_path)


@pytest.fixture
def client_for(portal):
    from fastapi.testclient import TestClient

    from smartprov.portal.app import create_app

    app = create_app(portal.config)
    clients = []

    def make(email: str | None = None):
        client = TestClient(app, follow_redirects=True)
        clients.append(client)
        if email:
            assert login(client, email).status_code == 200
        return client

    yield make
    for c in clients:
        c.close()


def _page_csrf(client, path: str = "/check") -> str:
    return csrf_of(client.get(path).text)


def _check(client, data: bytes, name: str = "masterplan.xlsx", action: str = "/check"):
    return client.post(action, data={"csrf": _page_csrf(client)}, files={"file": (name, data, XLSX)})


def _landing_files(portal) -> list[Path]:
    return sorted(p for p in portal.landing.rglob("*") if p.is_file())


# -- check -------------------------------------------------------------------------
def test_check_shows_every_finding_in_indonesian_with_english_and_stores_nothing(portal, client_for):
    from smartprov.run.check import Workbook, check_workbooks, verdict

    officer = client_for(OFFICER)
    bad = masterplan_with_mistakes()
    page = _check(officer, bad)
    assert page.status_code == 200
    assert 'data-status="rejected"' in page.text and "Akan DITOLAK" in page.text
    (expected,) = check_workbooks([Workbook("masterplan.xlsx", bad, "32.04")], None)
    findings = verdict(expected)["findings"]
    assert findings, "the workbook has mistakes"
    for f in findings:  # the same findings as the core gives, each with its place and both languages
        assert f["rule"] in page.text
        for part in (f["sheet"], f["column"], f["value"]):
            if part:
                assert str(part) in page.text
        for text in (f["message"], f["message_en"]):
            assert text.replace("&", "&amp;").replace('"', "&#34;").replace("'", "&#39;") in page.text or (
                text in page.text
            )
    assert "Cara memperbaiki" in page.text
    # nothing stored: no landing file, no ledger, no send in the audit log
    assert _landing_files(portal) == []
    with portal.store.open() as wh:
        assert not wh.table_exists("audit.submissions")
    assert [e["outcome"] for e in portal.store.events(action="check")] == ["rejected"]
    assert portal.store.events(action="send") == []


def test_findings_workbook_downloads_and_cannot_be_forged(portal, client_for):
    officer = client_for(OFFICER)
    page = _check(officer, masterplan_with_mistakes())
    signed = page.text.split('name="signed" value="')[1].split('"')[0]
    csrf = csrf_of(page.text)
    got = officer.post("/check/findings.xlsx", data={"csrf": csrf, "signed": signed})
    assert got.status_code == 200 and got.headers["content-type"].startswith(XLSX)
    assert "attachment" in got.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(got.content))["Temuan"]
    rules = {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"ENUM", "PERIOD"} <= rules
    body, _, mac = signed.rpartition(".")
    forged = officer.post("/check/findings.xlsx", data={"csrf": csrf, "signed": body + "." + "0" * len(mac)})
    assert forged.status_code == 403
    # another regency cannot turn 32.04's findings into a download either
    other = client_for(OTHER)
    assert (
        other.post("/check/findings.xlsx", data={"csrf": _page_csrf(other), "signed": signed}).status_code
        == 403
    )


def test_too_large_upload_is_a_finding_of_the_contracts_limit(portal, client_for, monkeypatch):
    from smartprov.contract import catalogue as contract

    officer = client_for(OFFICER)
    big = b"PK" + b"\0" * (contract.MAX_FILE_BYTES + 10)
    page = _check(officer, big)
    assert page.status_code == 200 and "FILE_TOO_LARGE" in page.text
    assert _landing_files(portal) == []


# -- send, status, intake ------------------------------------------------------------
def test_send_refuses_errors_and_lands_the_exact_bytes_then_intake_accepts_it(portal, client_for, smtp):
    from smartprov.run.steps import intake

    officer = client_for(OFFICER)
    refused = _check(officer, masterplan_with_mistakes(), action="/send")
    assert refused.status_code == 422 and "Tidak dikirim" in refused.text
    assert _landing_files(portal) == []

    good = fixed_masterplan()
    sent = _check(officer, good, name="Masterplan Kab Bandung.xlsx", action="/send")
    assert sent.status_code == 200 and "terkirim, menunggu intake" in sent.text
    (landed,) = _landing_files(portal)
    assert landed.parent.name == "32.04" and landed.read_bytes() == good
    assert landed.name.endswith("_Masterplan_Kab_Bandung.xlsx") and landed.name[:8].isdigit()
    (mail,) = smtp.take()
    assert mail["rcpt_tos"] == [OFFICER] and "Masterplan Kab Bandung.xlsx" in mail["msg"]["Subject"]

    status = officer.get("/status/32.04")
    sha = hashlib.sha256(good).hexdigest()
    assert f'class="waiting" data-sha256="{sha}"' in status.text

    result = intake(str(portal.landing), portal.warehouse_url)  # what `smartprov intake` calls
    assert result["new"] == 1
    status = officer.get("/status/32.04")
    assert 'class="waiting"' not in status.text
    assert f'class="accepted" data-sha256="{sha}"' in status.text
    events = portal.store.events(action="send")
    assert [(e["outcome"], e["actor"]) for e in events] == [("sent", OFFICER), ("refused", OFFICER)]


def test_status_lists_deadlines_from_the_status_mart(portal, client_for):
    # The mart as dbt builds it (columns of marts.province_submission_status): written here by hand.
    with portal.store.open() as wh:
        wh.execute("CREATE SCHEMA IF NOT EXISTS marts")
        wh.execute(
            "CREATE TABLE marts.province_submission_status (province_code VARCHAR, region_code VARCHAR,"
            " region_name VARCHAR, kind VARCHAR, period VARCHAR, due_date DATE, status VARCHAR,"
            " is_overdue BOOLEAN, days_late INTEGER, submissions_received INTEGER, submissions_accepted INTEGER,"
            " submissions_rejected INTEGER, last_received_at TIMESTAMP)"
        )
        wh.execute(
            "INSERT INTO marts.province_submission_status VALUES"
            " ('32', '32.04', 'Kabupaten Bandung', 'EVALUASI', '2025', DATE '2026-03-31', 'missing', true, 250,"
            " 0, 0, 0, NULL),"
            " ('32', '32.73', 'Kota Bandung', 'EVALUASI', '2025', DATE '2026-03-31', 'on_time', false, NULL,"
            " 1, 1, 0, NULL)"
        )
    page = client_for(OFFICER).get("/status/32.04")
    deadlines = page.text.split('id="deadlines"')[1].split("</table>")[0]
    assert "2026-03-31" in deadlines and "250" in deadlines and "missing" in deadlines
    assert "on_time" not in deadlines  # 32.73's row is not 32.04's business
    province = client_for(PROVINCE).get("/province")
    row = province.text.split('data-region="32.04"')[1].split("</tr>")[0]
    assert ">1<" in row  # one overdue deadline


def test_templates_download_for_own_region_only(portal, client_for):
    officer = client_for(OFFICER)
    got = officer.get("/templates/32.04/evaluasi.xlsx?year=2025")
    assert got.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(got.content))
    assert "Identitas" in book.sheetnames
    assert officer.get("/templates/32.04/masterplan.xlsx").status_code == 200
    assert officer.get("/templates/32.73/masterplan.xlsx").status_code == 403


# -- isolation: every route, with another regency's user and with none ----------------
ROUTES_OF_3204 = [
    ("GET", "/status/32.04"),
    ("GET", "/templates/32.04/masterplan.xlsx"),
    ("GET", "/templates/32.04/evaluasi.xlsx"),
]


@pytest.mark.parametrize("method,path", ROUTES_OF_3204)
def test_another_regency_and_nobody_cannot_see_3204(portal, client_for, method, path):
    other = client_for(OTHER)
    assert other.request(method, path).status_code == 403
    nobody = client_for()
    response = nobody.request(method, path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_every_page_route_needs_a_login_and_the_province_pages_need_province(portal, client_for):
    nobody = client_for()
    for path in ("/check", "/status", "/province", "/reports/x.html", "/data-docs/index.html"):
        response = nobody.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    for path in ("/check", "/send", "/check/findings.xlsx", "/logout"):
        assert nobody.post(path, follow_redirects=False).status_code in (303, 422), path
    officer = client_for(OFFICER)
    for path in ("/province", "/reports/x.html", "/data-docs/index.html"):
        assert officer.get(path).status_code == 403, path
    province = client_for(PROVINCE)
    page = province.get("/province")
    assert (
        page.status_code == 200 and 'data-region="32.04"' in page.text and 'data-region="32.73"' in page.text
    )
    assert (
        province.get("/status/32.04").status_code == 200 and province.get("/status/32.73").status_code == 200
    )
    assert province.get("/status/33.01").status_code == 403  # another province
    # province staff view; checking and sending is the regencies'
    assert _check(province, fixed_masterplan(), action="/send").status_code == 403


def test_a_regency_sends_only_into_its_own_folder(portal, client_for):
    other = client_for(OTHER)
    # 32.04's workbook sent by 32.73's officer lands in 32.73's folder, where it is a REGION_MISMATCH
    page = _check(other, fixed_masterplan(), action="/send")
    assert page.status_code == 422 and "REGION_MISMATCH" in page.text
    assert _landing_files(portal) == []


def test_forms_need_the_csrf_token(portal, client_for):
    officer = client_for(OFFICER)
    files = {"file": ("m.xlsx", fixed_masterplan(), XLSX)}
    assert officer.post("/check", data={"csrf": "wrong"}, files=files).status_code == 403
    assert officer.post("/send", files=files).status_code == 403
    assert officer.post("/logout", data={"csrf": ""}).status_code == 403
    nobody = client_for()
    nobody.get("/login")
    refused = nobody.post("/login", data={"email": OFFICER, "password": PASSWORD, "csrf": "forged"})
    assert refused.status_code == 403
    assert _landing_files(portal) == []


# -- accounts ---------------------------------------------------------------------------
def test_login_is_rate_limited_and_audited(portal, client_for):
    nobody = client_for()
    for _ in range(5):
        assert login(nobody, OFFICER, "wrong password!").status_code == 401
    assert login(nobody, OFFICER, PASSWORD).status_code == 429  # even the right password, for a while
    outcomes = [e["outcome"] for e in portal.store.events(action="login")]
    assert outcomes == ["limited"] + ["failed"] * 5
    # the limit is per address and per client: another address from the same client waits too
    assert login(client_for(), PROVINCE).status_code == 429


def test_cookies_and_security_headers(portal, client_for):
    nobody = client_for()
    page = nobody.get("/login")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    form = nobody.post(
        "/login",
        data={"email": OFFICER, "password": PASSWORD, "csrf": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    cookie = form.headers["set-cookie"]
    assert "smartprov_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    with portal.store.open() as wh:  # only the session's hash is kept
        (stored,) = wh.fetchall("SELECT session_hash FROM portal.sessions")
    secret = cookie.split("smartprov_session=")[1].split(";")[0].strip('"')
    assert stored[0] == hashlib.sha256(secret.encode()).hexdigest()


def test_english_switch(portal, client_for):
    officer = client_for(OFFICER)
    assert "Periksa" in officer.get("/check").text
    officer.get("/lang/en", headers={"referer": "http://testserver/check"})
    page = officer.get("/check")
    assert '<html lang="en">' in page.text and ">Check</button>" in page.text and ">Periksa<" not in page.text


def test_cli_creates_users_with_a_one_time_link_and_tokens_that_can_be_revoked(
    tmp_path, var_dir, client_for, portal
):
    env = {"SMARTPROV_VAR_DIR": str(var_dir), "PYTHONPATH": str(REPO / "plugins"), "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    cli = [sys.executable, "-m", "smartprov.cli"]
    made = subprocess.run(
        [*cli, "portal-user", "add", "--email", "baru@sumedangkab.go.id", "--region", "32.11", "--no-mail",
         "--warehouse", portal.warehouse_url],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    link = made.stdout.split("link (valid 72 h): ")[1].split()[0]
    path = "/" + link.split("/", 3)[3]
    nobody = client_for()
    form = nobody.get(path)
    assert form.status_code == 200
    short = nobody.post(
        path, data={"password": "pendek", "password_again": "pendek", "csrf": csrf_of(form.text)}
    )
    assert short.status_code == 400
    done = nobody.post(
        path,
        data={
            "password": "kata-sandi-baru-123",
            "password_again": "kata-sandi-baru-123",
            "csrf": csrf_of(form.text),
        },
    )
    assert done.status_code == 200 and "Kata sandi tersimpan" in done.text
    assert nobody.get(path).status_code == 410  # one use
    signed_in = client_for()
    assert login(signed_in, "baru@sumedangkab.go.id", "kata-sandi-baru-123").status_code == 200
    assert signed_in.get("/status/32.11").status_code == 200
    relink = subprocess.run(
        [*cli, "portal-user", "link", "--email", "baru@sumedangkab.go.id", "--no-mail", "--warehouse",
         portal.warehouse_url],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert "/set-password/" in relink.stdout and link not in relink.stdout
    subprocess.run(
        [*cli, "portal-user", "disable", "--email", "baru@sumedangkab.go.id", "--warehouse", portal.warehouse_url],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert signed_in.get("/status/32.11", follow_redirects=False).status_code == 303  # the session ended
    assert login(client_for(), "baru@sumedangkab.go.id", "kata-sandi-baru-123").status_code == 401

    token = subprocess.run(
        [*cli, "portal-token", "--region", "32.04", "--warehouse", portal.warehouse_url],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    secret = token.stdout.strip()
    token_id = token.stderr.split("token id ")[1].split()[0]
    with portal.store.open() as wh:
        stored = wh.fetchall("SELECT token_hash FROM portal.tokens WHERE token_id = ?", (token_id,))
    assert stored == [(hashlib.sha256(secret.encode()).hexdigest(),)]
    api = client_for()
    files = {"file": ("m.xlsx", fixed_masterplan(), XLSX)}
    assert (
        api.post("/api/v1/check", files=files, headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    subprocess.run(
        [*cli, "portal-token", "--revoke", token_id, "--warehouse", portal.warehouse_url], env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    assert (
        api.post("/api/v1/check", files=files, headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


# -- the API -------------------------------------------------------------------------
def test_api_needs_a_token_and_submits_only_clean_workbooks(portal, client_for):
    _, secret = portal.store.new_token("api", region_code="32.04")
    api = client_for()
    files = {"file": ("m.xlsx", masterplan_with_mistakes(), XLSX)}
    assert api.post("/api/v1/check", files=files).status_code == 401
    assert api.post("/api/v1/check", files=files, headers={"Authorization": "Bearer nope"}).status_code == 401
    checked = api.post("/api/v1/check", files=files, headers={"Authorization": f"Bearer {secret}"}).json()
    assert (
        checked["status"] == "rejected" and checked["kind"] == "MASTERPLAN" and checked["region"] == "32.04"
    )
    keys = {"rule", "severity", "sheet", "row", "column", "value", "message", "message_en", "message_id"}
    assert all(keys <= set(f) for f in checked["findings"])
    refused = api.post("/api/v1/submit", files=files, headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 422 and refused.json()["sent"] is False
    good = fixed_masterplan()
    sent = api.post(
        "/api/v1/submit",
        files={"file": ("m.xlsx", good, XLSX)},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert sent.status_code == 202 and sent.json()["landing_path"].startswith("32.04/")
    assert (portal.landing / sent.json()["landing_path"]).read_bytes() == good
    assert "/api/v1/check" in client_for().get("/openapi.json").json()["paths"]


@pytest.mark.slow
def test_api_check_of_the_sample_landing_zone_agrees_with_smartprov_validate(
    portal, client_for, tmp_path, var_dir
):
    """The workbooks of `smartprov sample`, one at a time through the API with their folder's
    token, against `smartprov validate --json` of that folder (same warehouse, loaded by a run
    first so that evaluations meet the same current masterplan either way): every workbook
    with a finding, and the first clean one of each kind (the other clean ones take the same
    path to the same empty answer)."""
    import os

    from smartprov.authoring.sample import write_sample_landing
    from smartprov.run.steps import run_once

    sample = tmp_path / "sample"
    write_sample_landing(sample, province="32", seed=0)
    run_once(str(sample), portal.warehouse_url, build=False, notify=False)
    env = {**os.environ, "SMARTPROV_VAR_DIR": str(var_dir), "PYTHONPATH": str(REPO / "plugins")}
    files = sorted(p for p in sample.rglob("*.xlsx"))
    cli = subprocess.run(
        [sys.executable, "-m", "smartprov.cli", "validate", "--json", "--warehouse", portal.warehouse_url,
         *map(str, files)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    expected = {item["file"]: item for item in json.loads(cli.stdout)}
    clean_kinds: set[str] = set()
    checked = []
    for path in files:
        want = expected[str(path)]
        if want["findings"]:
            checked.append(path)
        elif want["kind"] not in clean_kinds:
            checked.append(path)
            clean_kinds.add(want["kind"])
    api = client_for()
    tokens = {}
    compared = 0
    statuses = set()
    for path in checked:
        region = path.parent.name
        if region not in tokens:
            tokens[region] = portal.store.new_token("api", region_code=region)[1]
        got = api.post(
            "/api/v1/check",
            files={"file": (path.name, path.read_bytes(), XLSX)},
            headers={"Authorization": f"Bearer {tokens[region]}"},
        ).json()
        want = expected[str(path)]
        assert got["status"] == want["status"], path
        assert sorted(f["rule"] for f in got["findings"]) == sorted(f["rule"] for f in want["findings"]), path
        assert (got["kind"], got["region"]) == (want["kind"], want["region_code"]), path
        compared += 1
        statuses.add(got["status"])
    assert compared == len(checked) > 15 and statuses == {"accepted", "rejected"}
    assert clean_kinds == {"MASTERPLAN", "EVALUASI"} and len(files) > 50


# -- the portal's own tables on both engines ---------------------------------------------
@pytest.mark.postgres
def test_portal_tables_on_postgresql(tmp_path):
    from smartprov.portal.store import PortalStore

    with fresh_database("smartprov_portal_") as db:
        store = PortalStore(db)
        user = store.add_user("a@bandungkab.go.id", "regency", "32.04", "32")
        secret, csrf = store.new_session(user.user_id)
        found, found_csrf = store.session_user(secret)
        assert found.email == "a@bandungkab.go.id" and found_csrf == csrf and found.may_see("32.04")
        assert not found.may_see("32.73")
        token_id, token = store.new_token("api", region_code="32.04")
        assert store.token_region(token) == (token_id, "32.04")
        assert store.revoke_token(token_id) and store.token_region(token) is None
        store.audit("login", "failed", actor="x@y.go.id", client="1.2.3.4")
        assert store.failed_logins(actor="x@y.go.id", client="-", minutes=15) == 1
        with pytest.raises(ValueError, match="exists already"):
            store.add_user("A@bandungkab.go.id", "regency", "32.04", "32")
        again = PortalStore(db)  # a second start: the tables are there, nothing is lost
        assert again.user_by_email("a@bandungkab.go.id")[0].user_id == user.user_id
        with again.open() as wh:
            tables = {r[0] for r in wh.fetchall(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'portal'")}  # fmt: skip
        assert tables == {"users", "sessions", "tokens", "audit_log"}


# -- sends to object storage, and the province's files ---------------------------------------
def test_send_to_an_object_storage_landing_zone(tmp_path, var_dir, client_for, portal, monkeypatch):
    """`SMARTPROV_LANDING_URL=s3://…`: the exact bytes under the regency's prefix, where the
    landing code lists and reads them."""
    boto3 = pytest.importorskip("boto3")
    from loopback import s3_landing_server
    from smartprov.ingest.landing import open_landing

    with s3_landing_server("portal-key", "portal-secret") as endpoint:
        boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="portal-key", aws_secret_access_key="portal-secret",
            region_name="us-east-1",
        ).create_bucket(Bucket="portal-landing")  # fmt: skip
        portal.config.landing_url = "s3://portal-landing/regencies"
        good = fixed_masterplan()
        sent = _check(client_for(OFFICER), good, name="mp.xlsx", action="/send")
        assert sent.status_code == 200
        landing = open_landing("s3://portal-landing/regencies")
        (listed,) = landing.list_files()
        assert listed.folder == "32.04" and listed.path.endswith("_mp.xlsx")
        assert landing.read_bytes(listed) == good


def test_province_serves_reports_and_data_docs_and_nothing_outside(portal, client_for, var_dir):
    run = var_dir / "reports" / "manual__2026-12-06"
    (run / "data_docs").mkdir(parents=True)
    (run / "laporan-smart-province-32.html").write_text("<h1>Laporan</h1>", encoding="utf-8")
    (run / "laporan-smart-province-32.xlsx").write_bytes(b"PK")
    (run / "data_docs" / "index.html").write_text("<p>Data Docs</p>", encoding="utf-8")
    (var_dir / "secret.txt").write_text("not served", encoding="utf-8")
    province = client_for(PROVINCE)
    page = province.get("/province")
    assert "manual__2026-12-06/laporan-smart-province-32.html" in page.text and "/data-docs/" in page.text
    report = province.get("/reports/manual__2026-12-06/laporan-smart-province-32.html")
    assert report.status_code == 200 and "Laporan" in report.text
    assert "'self'" in report.headers["content-security-policy"]
    assert "Data Docs" in province.get("/data-docs/index.html").text
    assert province.get("/reports/../secret.txt").status_code == 404
    assert province.get("/reports/%2e%2e/secret.txt").status_code == 404
    assert (
        client_for(OFFICER).get("/reports/manual__2026-12-06/laporan-smart-province-32.html").status_code
        == 403
    )


def test_workbook_values_are_shown_as_text(portal, client_for):
    import workbooks as wb

    book = wb.masterplan(region="32.04", name="Kabupaten Bandung", email=OFFICER)
    book.set("Program", book.row_of("Program", "GOV-01"), "dimensi", "<script>alert(1)</script>")
    page = _check(client_for(OFFICER), book.to_bytes())
    assert "ENUM" in page.text
    assert (
        "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    )


@pytest.mark.postgres
def test_send_intake_and_status_on_postgresql(tmp_path, var_dir):
    """The same loop on a PostgreSQL warehouse: the portal's tables, the ledger and the
    current-masterplan lookup all on the server."""
    from fastapi.testclient import TestClient

    import workbooks as wb
    from smartprov.portal.app import create_app
    from smartprov.run.steps import intake

    with fresh_database("smartprov_portal_") as db:
        portal = make_portal(tmp_path, str(db))
        with TestClient(create_app(portal.config)) as officer:
            assert login(officer, OFFICER).status_code == 200
            good = fixed_masterplan()
            assert _check(officer, good, action="/send").status_code == 200
            assert intake(str(portal.landing), portal.warehouse_url)["new"] == 1
            status = officer.get("/status/32.04")
            assert f'class="accepted" data-sha256="{hashlib.sha256(good).hexdigest()}"' in status.text
            # an evaluation is now checked against that masterplan, read from PostgreSQL
            evaluation = wb.evaluasi(region="32.04", name="Kabupaten Bandung", email=OFFICER)
            evaluation.set("Realisasi", evaluation.row_of("Realisasi", "GOV-01"), "kode_program", "GOV-99")
            page = _check(officer, evaluation.to_bytes())
            assert "GOV-99" in page.text and "REFERENCE" in page.text
