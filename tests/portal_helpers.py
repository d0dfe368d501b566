"""The portal's test helpers: a portal over a throw-away warehouse and landing zone, its
users, logging in through the login form, and the 32.04 officer's workbooks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import workbooks as wb

PASSWORD = "kata-sandi-yang-panjang"
OFFICER = "diskominfo@bandungkab.go.id"  # 32.04 Kabupaten Bandung
OTHER = "diskominfo@bandung.go.id"  # 32.73 Kota Bandung
PROVINCE = "data@diskominfo.jabarprov.go.id"
REGENCY_NAME = "Kabupaten Bandung"


@dataclass
class Portal:
    warehouse_url: str
    landing: Path
    store: object
    config: object


def make_portal(tmp_path: Path, warehouse_url: str | None = None) -> Portal:
    from smartprov.portal.app import PortalConfig
    from smartprov.portal.store import PortalStore

    warehouse_url = warehouse_url or f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    landing = tmp_path / "landing"
    landing.mkdir(exist_ok=True)
    config = PortalConfig(warehouse_url=warehouse_url, landing_url=str(landing), secret=b"test-secret" * 3)
    store = PortalStore(warehouse_url)
    for email, role, region in (
        (OFFICER, "regency", "32.04"),
        (OTHER, "regency", "32.73"),
        (PROVINCE, "province", None),
    ):
        add_user(store, email, role, region)
    return Portal(warehouse_url, landing, store, config)


def add_user(store, email: str, role: str, region: str | None, password: str = PASSWORD):
    from smartprov.portal.app import hash_password

    user = store.add_user(email, role, region, "32")
    store.set_password_hash(user.user_id, hash_password(password))
    return user


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, email: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login", data={"email": email, "password": password, "csrf": csrf_of(page.text), "next": "/"}
    )


def fixed_masterplan() -> bytes:
    """A valid masterplan of 32.04 (Kabupaten Bandung)."""
    return wb.masterplan(region="32.04", name=REGENCY_NAME, email=OFFICER).to_bytes()


def masterplan_with_mistakes() -> bytes:
    """The same with what officers typically get wrong: a misspelt dimension, and years the
    wrong way round."""
    book = wb.masterplan(region="32.04", name=REGENCY_NAME, email=OFFICER)
    book.set("Program", book.row_of("Program", "GOV-01"), "dimensi", "Smart Govermance")
    row = book.row_of("Program", "ECO-01")
    book.set("Program", row, "tahun_mulai", 2027)
    book.set("Program", row, "tahun_selesai", 2023)
    return book.to_bytes()
