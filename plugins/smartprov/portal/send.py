"""Kirim: a checked workbook's exact bytes into the landing zone, under the sender's regency.

The landing zone is the one intake reads (a folder, or s3://bucket/prefix through the
landing's Connection, `ingest.object_landing`). The object's name carries the upload time
(WIB) so that two sends of one file name never overwrite each other; a local file is
written under a dot-name first (landing litter, never listed) and renamed into place, so
that intake never reads half a file.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from pathlib import Path

from smartprov import settings

log = logging.getLogger(__name__)


def landing_name(file_name: str, moment: dt.datetime | None = None) -> str:
    """`<YYYYmmdd-HHMMSS>_<safe original name>`: the upload time in WIB, then the sender's name."""
    stamp = settings.local(moment).strftime("%Y%m%d-%H%M%S")
    base = Path(file_name.replace("\\", "/")).name or "workbook.xlsx"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip("._") or "workbook.xlsx"
    if not safe.lower().endswith((".xlsx", ".xlsm")):
        safe += ".xlsx"
    return f"{stamp}_{safe[:120]}"


def deposit(landing_url: str, region_code: str, file_name: str, data: bytes) -> str:
    """Write `data` to `<landing>/<region_code>/<landing_name>`; returns that relative path."""
    name = landing_name(file_name)
    relative = f"{region_code}/{name}"
    if "://" in landing_url and not landing_url.startswith("file://"):
        from smartprov.ingest.object_landing import ObjectLanding

        landing = ObjectLanding(landing_url)
        key = f"{landing._lead}{relative}"
        landing.client.put_object(Bucket=landing.bucket, Key=key, Body=data)
        return relative
    root = Path(landing_url.removeprefix("file://"))
    folder = root / region_code
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    if final.exists():  # the same name within one second: never overwrite a sent file
        final = folder / f"{final.stem}-{os.getpid()}-{dt.datetime.now().microsecond}{final.suffix}"
        relative = f"{region_code}/{final.name}"
    partial = folder / f".{final.name}.partial"
    with open(partial, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, final)
    return relative


def _confirm_submission(
    store, to: str, *, region: str, file_name: str, landing_path: str, sent_at: str, sha256: str
) -> bool:
    """Confirm the send to the officer through the alerts' outbox: the mail is stored in the
    warehouse first, then delivered; a relay that is down leaves it waiting for the next
    sender (intake, the nightly, `smartprov notify`), never lost.

    Returns whether the relay took it now. A missing SMTP Connection or sender address is not
    an error of the send (the workbook is in the landing zone either way)."""
    from smartprov.alerts.config import AlertConfig
    from smartprov.alerts.ledger import EMAIL, Message, Outbox, smtp_relay

    try:
        config = AlertConfig.load()
    except (OSError, ValueError) as exc:
        log.warning("no confirmation mail: alerts config unreadable: %s", exc)
        return False
    if not config.enabled or not config.email_enabled:
        return False
    from smartprov.alerts.channels import connection_defined

    try:
        if not connection_defined(config.smtp_conn_id):
            return False  # as the run's notify: no relay configured, no mail composed to wait for ever
    except Exception:  # Airflow could not be asked: let the outbox's delivery say why
        pass
    subject = f"[smartprov] Workbook diterima / received: {file_name} ({region})"
    text = (
        f"Workbook {file_name} untuk {region} telah diterima portal pada {sent_at} dan disimpan sebagai "
        f"{landing_path}. Intake berikutnya (setiap lima menit) akan memvalidasi dan memuatnya; hasilnya "
        "dikirim lewat e-mail dan tampil di halaman Status.\n\n"
        f"Workbook {file_name} for {region} was received by the portal at {sent_at} and stored as "
        f"{landing_path}. The next intake (every five minutes) validates and loads it; the result is "
        "mailed and shown on the Status page.\n"
    )
    html = "<pre>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</pre>"
    key = f"confirmation:{EMAIL}:{to.strip().lower()}:{region}:{landing_path}:{sha256}"
    message = Message(
        key=key, kind="confirmation", channel=EMAIL, subject=subject, text=text, html=html, to=[to],
        reply_to=config.reply_address(), payload={"what": "confirmation", "region": region},
    )  # fmt: skip
    with store.open() as wh:
        outbox = Outbox(wh, relay=smtp_relay(config.smtp_conn_id))
        outbox.enqueue(message)
        delivery = outbox.deliver(config, kinds=["confirmation"])
    for error in delivery.errors:
        log.warning("confirmation mail to %s waits in the outbox: %s", to, error.get("error"))
    return any(sent.get("key") == key for sent in delivery.sent)


def mail_set_password_link(to: str, link: str) -> bool:
    """Mail a new user their one-time link (same SMTP path); False when it could not go."""
    from smartprov.alerts.channels import ChannelError, Email, send_email
    from smartprov.alerts.config import AlertConfig

    try:
        config = AlertConfig.load()
    except (OSError, ValueError):
        return False
    text = (
        f"Akun portal smartprov Anda telah dibuat. Tetapkan kata sandi di tautan berikut (sekali pakai, "
        f"berlaku 72 jam):\n{link}\n\nYour smartprov portal account was created. Set your password at the "
        f"link above (one use, valid for 72 hours).\n"
    )
    try:
        send_email(
            Email(
                to=[to],
                subject="[smartprov] Akun portal / Portal account",
                text=text,
                html=f"<pre>{text}</pre>",
            ),
            smtp_conn_id=config.smtp_conn_id,
            from_email=config.from_email,
        )
    except (ChannelError, OSError) as exc:
        log.warning("set-password link not mailed to %s: %s", to, exc)
        return False
    return True
