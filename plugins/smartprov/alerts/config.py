"""Alert settings: who hears about what, and through which channel.

When submissions are due is not here: `config/deadlines.yml` is the one deadline table
(`smartprov.contract.deadlines`), shared with the marts; `Deadline` is re-exported.

Read from an optional YAML file (`SMARTPROV_ALERTS_CONFIG`, else `config/alerts.yml` in the
project when it exists; `config/alerts.example.yml` documents every key), then overridden
by `SMARTPROV_ALERTS_*` environment variables. No credential lives here: SMTP and webhook
endpoints, logins and tokens are Airflow Connections (`smtp_conn_id`, `webhook_conn_id`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.contract.deadlines import DEADLINES_FILE, Deadline
from smartprov.contract.email import is_email

CONFIG_ENV = "SMARTPROV_ALERTS_CONFIG"
KINDS = ("MASTERPLAN", "EVALUASI")

__all__ = ["AlertConfig", "Deadline", "is_email"]  # Deadline: see smartprov.contract.deadlines


DEFAULT_ALLOWED_DOMAINS = ("go.id",)


def domain_allowed(address: str, domains: list[str]) -> bool:
    """Whether `address` is in one of `domains` or a subdomain of one ("*" admits all)."""
    domain = address.rsplit("@", 1)[-1].strip().rstrip(".").lower()
    for allowed in domains:
        if allowed == "*" or domain == allowed or domain.endswith("." + allowed):
            return True
    return False


def _domains(value: Any, name: str) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(f"{name}: expected a list of domains such as [go.id]")
    out = []
    for item in items:
        text = str(item).strip().lstrip("@").strip(".").lower()
        if not text:
            continue
        if text != "*" and not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", text):
            raise ValueError(f"{name}: {item!r} is not a domain")
        out.append(text)
    return _unique(out)


@dataclass
class AlertConfig:
    enabled: bool = True
    from_email: str | None = None
    # channels
    email_enabled: bool = True
    smtp_conn_id: str = "smtp_default"
    webhook_enabled: bool | None = None  # None = "auto": used when its Connection exists
    webhook_conn_id: str = "smartprov_webhook"
    # province digest
    digest_to: list[str] = field(default_factory=list)
    digest_always: bool = False
    # regency feedback
    feedback_enabled: bool = True
    feedback_on_warnings: bool = True
    feedback_cc: list[str] = field(default_factory=list)
    max_findings_in_body: int = 500
    # email_kontak comes from the workbook: feedback goes only to these domains and their
    # subdomains ("go.id" admits bandungkab.go.id); "*" admits any domain.
    feedback_allowed_domains: list[str] = field(default_factory=lambda: list(DEFAULT_ALLOWED_DOMAINS))
    # pipeline failures (default: the digest recipients)
    failure_to: list[str] = field(default_factory=list)
    # per province code: {"digest_to": [...], "feedback_cc": [...]}
    provinces: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    deadline_provinces: list[str] = field(default_factory=list)
    # links shown in the digest; `{run_id}` is replaced. Empty = the report's own paths.
    report_url: str | None = None
    data_docs_url: str | None = None
    # the portal's public address: every link in a mail is a URL under it (never a path)
    public_base_url: str | None = None
    # Reply-To of every mail (default: the first digest recipient, the province's Diskominfo)
    reply_to: str | None = None
    # the daily digest: "nightly" (the nightly's notify sends it) or "HH:MM" (WIB): the
    # first sender after that time each day sends it
    digest_at: str = "nightly"
    # the outbox: a refused message is retried after retry_minutes, doubled per attempt,
    # at most retry_max_minutes (0: at every sender)
    retry_minutes: float = 5.0
    retry_max_minutes: float = 360.0
    # an open incident (the same task failing with the same cause) is reminded at most this often
    reminder_hours: float = 6.0
    source: str | None = None  # the YAML file read, if any

    # -- recipients ------------------------------------------------------------------
    def digest_recipients(self, province_codes: list[str]) -> list[str]:
        out: list[str] = []
        for code in province_codes:
            out += self.provinces.get(code, {}).get("digest_to", [])
        if not out:
            out = list(self.digest_to)
        return _unique(out)

    def feedback_cc_for(self, province_code: str | None) -> list[str]:
        own = self.provinces.get(province_code or "", {}).get("feedback_cc")
        return _unique(list(own) if own is not None else list(self.feedback_cc))

    def reply_address(self, province_codes: list[str] | None = None) -> str | None:
        if self.reply_to:
            return self.reply_to
        recipients = self.digest_recipients(province_codes or []) or self.failure_to
        return recipients[0] if recipients else None

    def failure_recipients(self) -> list[str]:
        if self.failure_to:
            return _unique(self.failure_to)
        out = list(self.digest_to)
        for p in self.provinces.values():
            out += p.get("digest_to", [])
        return _unique(out)

    def today(self) -> dt.date:
        """The package's one clock (`settings.today`)."""
        return settings.today()

    # -- loading ---------------------------------------------------------------------
    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None
    ) -> AlertConfig:
        """YAML file (explicit path, `SMARTPROV_ALERTS_CONFIG`, or `config/alerts.yml`), then env overrides."""
        env = dict(os.environ) if env is None else env
        chosen = path or env.get(CONFIG_ENV)
        data: dict[str, Any] = {}
        source = None
        if chosen:
            source = Path(chosen)
            if not source.is_file():
                raise FileNotFoundError(f"Alerts config not found: {source}")
        elif (settings.config_dir() / "alerts.yml").is_file():
            source = settings.config_dir() / "alerts.yml"
        if source is not None:
            import yaml

            data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                raise ValueError(f"{source}: expected a mapping at the top level")
        cfg = cls.from_dict(data)
        cfg.source = None if source is None else str(source)
        cfg.apply_env(env)
        return cfg

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertConfig:
        _check_keys(
            "alerts",
            data,
            {
                "enabled",
                "from_email",
                "channels",
                "digest",
                "feedback",
                "failures",
                "provinces",
                "deadlines",
                "deadline_provinces",
                "links",
                "delivery",
            },
        )
        cfg = cls()
        if "enabled" in data:
            cfg.enabled = _bool(data["enabled"], "enabled")
        if data.get("from_email"):
            cfg.from_email = _address(data["from_email"], "from_email")

        channels = _section(data, "channels", {"email", "webhook"})
        email = _section(channels, "email", {"enabled", "smtp_conn_id"}, prefix="channels.")
        if "enabled" in email:
            cfg.email_enabled = _bool(email["enabled"], "channels.email.enabled")
        if email.get("smtp_conn_id"):
            cfg.smtp_conn_id = str(email["smtp_conn_id"])
        webhook = _section(channels, "webhook", {"enabled", "conn_id"}, prefix="channels.")
        if "enabled" in webhook:
            cfg.webhook_enabled = _tristate(webhook["enabled"], "channels.webhook.enabled")
        if webhook.get("conn_id"):
            cfg.webhook_conn_id = str(webhook["conn_id"])

        digest = _section(data, "digest", {"to", "send", "at", "reply_to"})
        if digest.get("at"):
            cfg.digest_at = _digest_at(digest["at"], "digest.at")
        if digest.get("reply_to"):
            cfg.reply_to = _address(digest["reply_to"], "digest.reply_to")
        cfg.digest_to = _addresses(digest.get("to"), "digest.to")
        if "send" in digest:
            cfg.digest_always = _send_mode(digest["send"], "digest.send")

        feedback = _section(
            data, "feedback", {"enabled", "on_warnings", "cc", "max_findings_in_body", "allowed_domains"}
        )
        if feedback.get("allowed_domains") is not None:
            cfg.feedback_allowed_domains = _domains(feedback["allowed_domains"], "feedback.allowed_domains")
        if "enabled" in feedback:
            cfg.feedback_enabled = _bool(feedback["enabled"], "feedback.enabled")
        if "on_warnings" in feedback:
            cfg.feedback_on_warnings = _bool(feedback["on_warnings"], "feedback.on_warnings")
        cfg.feedback_cc = _addresses(feedback.get("cc"), "feedback.cc")
        if feedback.get("max_findings_in_body") is not None:
            cfg.max_findings_in_body = int(feedback["max_findings_in_body"])

        failures = _section(data, "failures", {"to", "reminder_hours"})
        if failures.get("reminder_hours") is not None:
            cfg.reminder_hours = _number(failures["reminder_hours"], "failures.reminder_hours")
        delivery = _section(data, "delivery", {"retry_minutes", "retry_max_minutes"})
        if delivery.get("retry_minutes") is not None:
            cfg.retry_minutes = _number(delivery["retry_minutes"], "delivery.retry_minutes")
        if delivery.get("retry_max_minutes") is not None:
            cfg.retry_max_minutes = _number(delivery["retry_max_minutes"], "delivery.retry_max_minutes")
        cfg.failure_to = _addresses(failures.get("to"), "failures.to")

        provinces = data.get("provinces") or {}
        if not isinstance(provinces, dict):
            raise ValueError("provinces: expected a mapping of province code -> settings")
        for code, spec in provinces.items():
            name = f"provinces.{code}"
            spec = spec or {}
            if not isinstance(spec, dict):
                raise ValueError(f"{name}: expected a mapping")
            _check_keys(name, spec, {"digest_to", "feedback_cc"})
            entry: dict[str, list[str]] = {}
            if spec.get("digest_to") is not None:
                entry["digest_to"] = _addresses(spec["digest_to"], f"{name}.digest_to")
            if spec.get("feedback_cc") is not None:
                entry["feedback_cc"] = _addresses(spec["feedback_cc"], f"{name}.feedback_cc")
            cfg.provinces[str(code)] = entry

        if "deadlines" in data:
            raise ValueError(
                f"deadlines: they moved to config/{DEADLINES_FILE}, the one deadline table that the marts "
                "and the alerts share; remove them from the alerts configuration"
            )
        cfg.deadline_provinces = [str(p) for p in (data.get("deadline_provinces") or [])]

        links = _section(data, "links", {"report_url", "data_docs_url", "public_base_url"})
        if links.get("public_base_url"):
            cfg.public_base_url = str(links["public_base_url"])
        cfg.report_url = links.get("report_url") or None
        cfg.data_docs_url = links.get("data_docs_url") or None
        return cfg

    def apply_env(self, env: dict[str, str]) -> None:
        def get(name: str) -> str | None:
            value = env.get(f"SMARTPROV_ALERTS_{name}")
            return value if value not in (None, "") else None

        if (v := get("ENABLED")) is not None:
            self.enabled = _bool(v, "SMARTPROV_ALERTS_ENABLED")
        if (v := get("FROM")) is not None:
            self.from_email = _address(v, "SMARTPROV_ALERTS_FROM")
        if (v := get("EMAIL_ENABLED")) is not None:
            self.email_enabled = _bool(v, "SMARTPROV_ALERTS_EMAIL_ENABLED")
        if (v := get("SMTP_CONN_ID")) is not None:
            self.smtp_conn_id = v
        if (v := get("WEBHOOK_ENABLED")) is not None:
            self.webhook_enabled = _tristate(v, "SMARTPROV_ALERTS_WEBHOOK_ENABLED")
        if (v := get("WEBHOOK_CONN_ID")) is not None:
            self.webhook_conn_id = v
        if (v := get("DIGEST_TO")) is not None:
            self.digest_to = _addresses(v, "SMARTPROV_ALERTS_DIGEST_TO")
        if (v := get("DIGEST_SEND")) is not None:
            self.digest_always = _send_mode(v, "SMARTPROV_ALERTS_DIGEST_SEND")
        if (v := get("FEEDBACK_ENABLED")) is not None:
            self.feedback_enabled = _bool(v, "SMARTPROV_ALERTS_FEEDBACK_ENABLED")
        if (v := get("FEEDBACK_CC")) is not None:
            self.feedback_cc = _addresses(v, "SMARTPROV_ALERTS_FEEDBACK_CC")
        if (v := get("FEEDBACK_ALLOWED_DOMAINS")) is not None:
            self.feedback_allowed_domains = _domains(v, "SMARTPROV_ALERTS_FEEDBACK_ALLOWED_DOMAINS")
        if (v := get("FAILURE_TO")) is not None:
            self.failure_to = _addresses(v, "SMARTPROV_ALERTS_FAILURE_TO")
        if (v := get("REPORT_URL")) is not None:
            self.report_url = v
        if (v := get("DATA_DOCS_URL")) is not None:
            self.data_docs_url = v
        if env.get("SMARTPROV_PUBLIC_BASE_URL"):
            self.public_base_url = env["SMARTPROV_PUBLIC_BASE_URL"]
        if (v := get("REPLY_TO")) is not None:
            self.reply_to = _address(v, "SMARTPROV_ALERTS_REPLY_TO")
        if (v := get("DIGEST_AT")) is not None:
            self.digest_at = _digest_at(v, "SMARTPROV_ALERTS_DIGEST_AT")
        if (v := get("RETRY_MINUTES")) is not None:
            self.retry_minutes = _number(v, "SMARTPROV_ALERTS_RETRY_MINUTES")
        if (v := get("RETRY_MAX_MINUTES")) is not None:
            self.retry_max_minutes = _number(v, "SMARTPROV_ALERTS_RETRY_MAX_MINUTES")
        if (v := get("REMINDER_HOURS")) is not None:
            self.reminder_hours = _number(v, "SMARTPROV_ALERTS_REMINDER_HOURS")


# -- helpers ----------------------------------------------------------------------------
def _check_keys(name: str, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ValueError(
            f"{name}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _section(data: dict[str, Any], key: str, allowed: set[str], prefix: str = "") -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ValueError(f"{prefix}{key}: expected a mapping")
    _check_keys(prefix + key, value, allowed)
    return value


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "ya"):
        return True
    if text in ("0", "false", "no", "off", "tidak"):
        return False
    raise ValueError(f"{name}: expected true or false, got {value!r}")


def _tristate(value: Any, name: str) -> bool | None:
    if value is None or str(value).strip().lower() == "auto":
        return None
    return _bool(value, name)


def _send_mode(value: Any, name: str) -> bool:
    text = str(value).strip().lower()
    if text == "always":
        return True
    if text in ("when_needed", "when-needed", "needed"):
        return False
    raise ValueError(f"{name}: expected 'always' or 'when_needed', got {value!r}")


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None
    if number < 0:
        raise ValueError(f"{name}: expected a number of at least 0, got {value!r}")
    return number


def _digest_at(value: Any, name: str) -> str:
    text = str(value).strip().lower()
    if text == "nightly" or re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        return text
    raise ValueError(f"{name}: expected 'nightly' or a time HH:MM (WIB), got {value!r}")


def _address(value: Any, name: str) -> str:
    text = str(value).strip()
    if not is_email(text):
        raise ValueError(f"{name}: not an e-mail address: {value!r}")
    return text


def _addresses(value: Any, name: str) -> list[str]:
    if value is None or value == "":
        return []
    items = re.split(r"[,;\s]+", value) if isinstance(value, str) else list(value)
    return _unique([_address(v, name) for v in items if str(v).strip()])


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out
