"""The province digest: what the provincial Diskominfo must look at, once a day.

One message a day covering everything that arrived since the last digest, whichever run
(intake or nightly) processed it. Action items first: new rejections per regency with their
main findings, regencies past a deadline without an accepted submission, mails waiting
undelivered in the outbox, pipeline errors; then warnings on accepted submissions, and the
accepted files as a count per regency. Every link is a URL under the public base address
(`SMARTPROV_PUBLIC_BASE_URL`), never a file path; times are WIB. Indonesian first, English
second; an HTML part and a plain-text part with the same content.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartprov.alerts.config import AlertConfig
from smartprov.alerts.deadlines import Overdue
from smartprov.alerts.render import esc, html_page, kind_label, link_html, wib

MAX_EXAMPLES = 3
MAX_RULES = 3

LABELS: dict[str, dict[str, str]] = {
    "id": {
        "lang": "Bahasa Indonesia",
        "summary": "Ringkasan harian untuk {scope} ({finished}, run {run_id}): {new} berkas baru sejak ringkasan"
        " terakhir, {accepted} diterima, {rejected} ditolak, {warned} dengan catatan, {overdue} lewat tenggat,"
        " {undelivered} surel belum terkirim, {errors} galat pipeline.",
        "undelivered": "Surel yang BELUM terkirim (menunggu di outbox)",
        "undelivered_line": "{subject} — ke {to}; {attempts} kali dicoba, galat terakhir: {error}",
        "status_page": "halaman status",
        "run_docs": "Data Docs run {run_id}",
        "nothing": "Tidak ada yang perlu ditindaklanjuti pada run ini.",
        "rejected": "Pengiriman baru yang DITOLAK",
        "warned": "Pengiriman DITERIMA dengan catatan (WARNING)",
        "accepted": "Pengiriman diterima tanpa catatan, per wilayah",
        "overdue": "Lewat tenggat tanpa pengiriman yang diterima",
        "failures": "Galat pipeline",
        "links": "Tautan",
        "report": "Laporan run",
        "docs": "Data Docs (hasil validasi)",
        "not_available": "belum tersedia",
        "errors_warnings": "{errors} kesalahan, {warnings} catatan",
        "main": "Temuan utama",
        "example": "contoh",
        "value": "nilai",
        "feedback": "Umpan balik ke wilayah",
        "due": "tenggat {due}",
        "days": "{days} hari lewat",
        "last": "pengiriman terakhir: {status}",
        "none_sent": "belum pernah mengirim",
        "any_period": "periode apa pun",
        "unknown_region": "wilayah tidak dikenal",
        "file": "berkas",
        "row": "baris",
        "column": "kolom",
        "fb_sent": "terkirim ke {to}",
        "fb_already": "sudah dikirim sebelumnya",
        "fb_no_email": "TIDAK terkirim: email_kontak kosong atau tidak terbaca; hubungi wilayah langsung",
        "fb_invalid": "TIDAK terkirim: email_kontak tidak valid ({value}); hubungi wilayah langsung",
        "fb_domain": "TIDAK terkirim: {value} di luar domain yang diizinkan ({domains}); hubungi wilayah langsung",
        "fb_failed": "GAGAL dikirim: {error}",
        "fb_disabled": "tidak dikirim (dinonaktifkan)",
    },
    "en": {
        "lang": "English",
        "summary": "Daily summary for {scope} ({finished}, run {run_id}): {new} new file(s) since the last digest,"
        " {accepted} accepted, {rejected} rejected, {warned} with warnings, {overdue} overdue,"
        " {undelivered} mail(s) undelivered, {errors} pipeline error(s).",
        "undelivered": "Mail NOT delivered yet (waiting in the outbox)",
        "undelivered_line": "{subject} — to {to}; {attempts} attempt(s), last error: {error}",
        "status_page": "status page",
        "run_docs": "Data Docs of run {run_id}",
        "nothing": "Nothing needs attention after this run.",
        "rejected": "New REJECTED submissions",
        "warned": "Submissions ACCEPTED with warnings",
        "accepted": "Submissions accepted without findings, per regency",
        "overdue": "Past the deadline without an accepted submission",
        "failures": "Pipeline errors",
        "links": "Links",
        "report": "Run report",
        "docs": "Data Docs (validation results)",
        "not_available": "not available",
        "errors_warnings": "{errors} error(s), {warnings} warning(s)",
        "main": "Main findings",
        "example": "e.g.",
        "value": "value",
        "feedback": "Feedback to the regency",
        "due": "due {due}",
        "days": "{days} day(s) late",
        "last": "latest submission: {status}",
        "none_sent": "never submitted",
        "any_period": "any period",
        "unknown_region": "unknown regency",
        "file": "file",
        "row": "row",
        "column": "column",
        "fb_sent": "sent to {to}",
        "fb_already": "already sent earlier",
        "fb_no_email": "NOT sent: email_kontak empty or unreadable; contact the regency directly",
        "fb_invalid": "NOT sent: invalid email_kontak ({value}); contact the regency directly",
        "fb_domain": "NOT sent: {value} is outside the allowed domains ({domains}); contact the regency directly",
        "fb_failed": "FAILED: {error}",
        "fb_disabled": "not sent (disabled)",
    },
}
STATUS = {
    "id": {"accepted": "diterima", "rejected": "ditolak", "duplicate": "duplikat"},
    "en": {"accepted": "accepted", "rejected": "rejected", "duplicate": "duplicate"},
}


@dataclass
class Digest:
    subject: str
    text: str
    html: str
    short_text: str  # for chat
    counts: dict[str, int]
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable, for the generic webhook

    @property
    def reportable(self) -> bool:
        c = self.counts
        return bool(c["rejected"] or c["warned"] or c["overdue"] or c["errors"] or c.get("undelivered"))


def has_warnings(sub: dict[str, Any]) -> bool:
    return any(f.get("severity") == "WARNING" for f in sub.get("findings") or [])


def run_folder(run_id: str) -> str:
    """The run's folder name under the reports directory (smartprov.run.steps.run_dir_for)."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", run_id)


def public_url(config: AlertConfig, path: str) -> str | None:
    """`path` under the public base address, or None when none is configured."""
    if not config.public_base_url:
        return None
    return config.public_base_url.rstrip("/") + "/" + path.lstrip("/")


def status_link(config: AlertConfig, region_code: str | None) -> str | None:
    return public_url(config, f"status/{region_code}") if region_code else None


def run_docs_link(config: AlertConfig, run_id: str) -> str | None:
    """A run's Data Docs (written to <reports>/<run folder>/data_docs/<run folder>/index.html)."""
    folder = run_folder(run_id)
    if config.data_docs_url:
        return (
            config.data_docs_url.replace("{run_id}", run_id)
            .replace("{run_dir}", folder)
            .replace("{data_docs}", f"data_docs/{folder}/index.html")
        )
    return public_url(config, f"reports/{folder}/data_docs/{folder}/index.html")


def links(report: dict[str, Any], config: AlertConfig) -> tuple[str | None, str | None]:
    """The run report's and Data Docs' links: URLs, never file paths. Placeholders in the
    configured URLs: `{run_id}`; `{run_dir}`, the run's folder under the reports directory
    (the run id made path-safe, what a web server over that directory serves); `{data_docs}`,
    the Data Docs index's path inside that folder. Without configured URLs, both are under
    `public_base_url` (`/reports/<run folder>/…`); without either, None (not available)."""
    run_id = str(report.get("run_id") or "")
    report_path = report.get("report_path")
    docs = report.get("data_docs")
    run_dir = Path(report_path).parent if report_path else None
    docs_rel = ""
    if docs and run_dir is not None:
        # The Data Docs may have been written by another worker, under its own reports folder
        # (validate_and_load and report can run on different hosts): what counts is the path
        # inside the run's folder, the same in every copy and in the shared store.
        docs_parts = Path(docs).parts
        if run_dir.name in docs_parts:
            docs_rel = Path(*docs_parts[docs_parts.index(run_dir.name) + 1 :]).as_posix()
        else:
            docs_rel = Path(docs).name

    def fill(template: str) -> str:
        return (
            template.replace("{run_id}", run_id)
            .replace("{run_dir}", run_dir.name if run_dir is not None else run_id)
            .replace("{data_docs}", docs_rel)
        )

    base = config.public_base_url.rstrip("/") if config.public_base_url else None
    report_template = config.report_url or (f"{base}/reports/{{run_dir}}/report.json" if base else None)
    docs_template = config.data_docs_url or (f"{base}/reports/{{run_dir}}/{{data_docs}}" if base else None)
    report_link = fill(report_template) if (report_template and report_path) else None
    docs_link = fill(docs_template) if (docs_template and docs) else None
    return report_link, docs_link


def scope_label(report: dict[str, Any], provinces: list[str]) -> str:
    from smartprov.contract import catalogue as contract

    names = contract.provinces()
    codes = [str(report["province"])] if report.get("province") else provinces
    if not codes:
        return "semua provinsi / all provinces"
    return ", ".join(f"{c} {names.get(c, '')}".strip() for c in codes)


def build_digest(
    report: dict[str, Any],
    *,
    items: list[dict[str, Any]],
    overdue: list[Overdue],
    feedback_status: dict[str, dict[str, Any]],
    config: AlertConfig,
    provinces: list[str],
    undelivered: list[dict[str, Any]] | None = None,
) -> Digest:
    """`items`: non-duplicate submissions not yet listed by an earlier digest, from any run
    (each may carry `_run_id`, the run that processed it); `undelivered`: the outbox's
    waiting messages (smartprov.alerts.ledger.Outbox.waiting)."""
    undelivered = [u for u in undelivered or [] if u.get("kind") != "digest"]
    rejected = [s for s in items if s.get("status") == "rejected"]
    warned = [s for s in items if s.get("status") == "accepted" and has_warnings(s)]
    clean = [s for s in items if s.get("status") == "accepted" and not has_warnings(s)]
    errors = [str(e) for e in report.get("errors") or []]
    counts = {
        "new": len(items),
        "accepted": sum(1 for s in items if s.get("status") == "accepted"),
        "rejected": len(rejected),
        "warned": len(warned),
        "overdue": len(overdue),
        "errors": len(errors),
        "undelivered": len(undelivered),
    }
    report_link, docs_link = links(report, config)
    runs = sorted({str(s["_run_id"]) for s in items if s.get("_run_id")} - {str(report.get("run_id"))})
    run_docs = [(run_id, run_docs_link(config, run_id)) for run_id in runs]
    scope = scope_label(report, provinces)
    moment = report.get("finished_at") or report.get("started_at")
    finished = wib(moment)
    day = finished[:10]
    reportable = bool(
        counts["rejected"]
        or counts["warned"]
        or counts["overdue"]
        or counts["errors"]
        or counts["undelivered"]
    )

    if reportable:
        subject = (
            f"[smartprov] Ringkasan {scope} {day}: {counts['rejected']} ditolak, {counts['warned']} dengan catatan,"
            f" {counts['overdue']} lewat tenggat, {counts['errors']} galat"
            + (f", {counts['undelivered']} surel belum terkirim" if counts["undelivered"] else "")
            + f" / Digest: {counts['rejected']} rejected, {counts['warned']} warned,"
            f" {counts['overdue']} overdue, {counts['errors']} errors"
            + (f", {counts['undelivered']} mails undelivered" if counts["undelivered"] else "")
        )
    else:
        subject = (
            f"[smartprov] Ringkasan {scope} {day}: tidak ada yang perlu ditindaklanjuti"
            " / Digest: nothing needs attention"
        )
    subject = " ".join(subject.split())

    ctx = {
        "rejected": rejected,
        "warned": warned,
        "clean": clean,
        "overdue": overdue,
        "errors": errors,
        "counts": counts,
        "report": report,
        "report_link": report_link,
        "docs_link": docs_link,
        "run_docs": run_docs,
        "undelivered": undelivered,
        "config": config,
        "scope": scope,
        "finished": finished,
        "feedback": feedback_status,
        "reportable": reportable,
    }
    text_parts, html_parts = [], []
    for lang in ("id", "en"):
        text_parts.append(_text(lang, ctx))
        html_parts.append(_html(lang, ctx))
    text = "\n\n==========\n\n".join(text_parts)
    body = "<hr>".join(html_parts)
    short = _short(ctx)
    data = {
        "run_id": report.get("run_id"),
        "province": report.get("province"),
        "counts": counts,
        "rejected": [_sub_data(s) for s in rejected],
        "warned": [_sub_data(s) for s in warned],
        "overdue": [o.as_dict() for o in overdue],
        "pipeline_errors": errors,
        "report": report_link,
        "data_docs": docs_link,
    }
    return Digest(subject, text, html_page(subject, body), short, counts, data)


# -- pieces -------------------------------------------------------------------------------
def _region(sub: dict[str, Any], L: dict[str, str]) -> str:
    code, name = sub.get("region_code"), sub.get("region_name")
    if code and name:
        return f"{name} ({code})"
    return code or name or L["unknown_region"]


def _doc(sub: dict[str, Any]) -> str:
    return " ".join(x for x in (kind_label(sub.get("kind")), sub.get("period")) if x) or "?"


def _rule_summary(sub: dict[str, Any], severity: str | None) -> str:
    findings = [f for f in sub.get("findings") or [] if severity is None or f.get("severity") == severity]
    counts = Counter(str(f.get("rule")) for f in findings)
    top = [f"{rule} ×{n}" for rule, n in counts.most_common(MAX_RULES)]
    rest = len(counts) - len(top)
    return ", ".join(top) + (f", +{rest}" if rest > 0 else "")


def _examples(sub: dict[str, Any], severity: str | None) -> list[dict[str, Any]]:
    findings = [f for f in sub.get("findings") or [] if severity is None or f.get("severity") == severity]
    seen: set[str] = set()
    out = []
    for f in findings:  # the first finding of each rule, in workbook order
        if f.get("rule") not in seen:
            seen.add(str(f.get("rule")))
            out.append(f)
        if len(out) == MAX_EXAMPLES:
            break
    return out


def _where(f: dict[str, Any], L: dict[str, str]) -> str:
    parts = [str(f["sheet"]) if f.get("sheet") else L["file"]]
    if f.get("row") is not None:
        parts.append(f"{L['row']} {f['row']}")
    if f.get("column"):
        parts.append(f"{L['column']} {f['column']}")
    return ", ".join(parts)


def _message(f: dict[str, Any], lang: str) -> str:
    return str(f.get("message") if lang == "id" else f.get("message_en") or f.get("message") or "")


def _feedback_line(sub: dict[str, Any], ctx: dict[str, Any], L: dict[str, str]) -> str | None:
    st = ctx["feedback"].get(str(sub.get("submission_id")))
    if not st:
        return None
    state = st.get("state")
    if state in ("sent", "queued"):
        return L["fb_sent"].format(to=", ".join(st.get("to", []) + st.get("cc", [])))
    if state == "already":
        return L["fb_already"]
    if state == "no_email":
        return L["fb_no_email"]
    if state == "invalid_email":
        return L["fb_invalid"].format(value=st.get("value"))
    if state == "domain_not_allowed":
        return L["fb_domain"].format(value=st.get("value"), domains=", ".join(st.get("domains") or []))
    if state == "failed":
        return L["fb_failed"].format(error=st.get("error"))
    return L["fb_disabled"]


def _summary_line(ctx: dict[str, Any], L: dict[str, str]) -> str:
    return L["summary"].format(
        run_id=ctx["report"].get("run_id") or "-",
        finished=ctx["finished"],
        scope=ctx["scope"],
        **ctx["counts"],
    )


def _last_submission(overdue, L: dict[str, str], lang: str) -> str:
    """What the regency last sent for the overdue item, or that it sent nothing."""
    if not overdue.last_status:
        return L["none_sent"]
    return L["last"].format(status=STATUS[lang].get(overdue.last_status, overdue.last_status))


def _overdue_groups(overdue: list[Overdue]) -> list[tuple[tuple[str, str | None, Any], list[Overdue]]]:
    groups: dict[tuple[str, str | None, Any], list[Overdue]] = {}
    for o in overdue:
        groups.setdefault((o.kind, o.period, o.due_date), []).append(o)
    return sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][0]))


def _accepted_per_region(ctx: dict[str, Any], L: dict[str, str]) -> list[tuple[str, int]]:
    counts = Counter(_region(s, L) for s in ctx["clean"])
    return sorted(counts.items())


def _undelivered_text(u: dict[str, Any], L: dict[str, str]) -> str:
    return L["undelivered_line"].format(
        subject=u.get("subject") or u.get("key"),
        to=u.get("to") or "-",
        attempts=u.get("attempts") or 0,
        error=(u.get("last_error") or "-")[:200],
    )


def _submission_lines(sub, severity, ctx, L, lang) -> list[str]:
    n_err = sum(1 for f in sub.get("findings") or [] if f.get("severity") == "ERROR")
    n_warn = len(sub.get("findings") or []) - n_err
    out = [
        f"- {_region(sub, L)}: {_doc(sub)}, {L['file']} {sub.get('path')} — "
        + L["errors_warnings"].format(errors=n_err, warnings=n_warn)
    ]
    out.append(f"  {L['main']}: {_rule_summary(sub, severity)}")
    for f in _examples(sub, severity):
        value = "" if f.get("value") in (None, "") else f" [{L['value']}: {f.get('value')}]"
        out.append(f"  {L['example']}: {_where(f, L)}{value}: {_message(f, lang)}")
    if fb := _feedback_line(sub, ctx, L):
        out.append(f"  {L['feedback']}: {fb}")
    if link := status_link(ctx["config"], sub.get("region_code")):
        out.append(f"  {L['status_page']}: {link}")
    return out


def _text(lang: str, ctx: dict[str, Any]) -> str:
    L = LABELS[lang]
    out = [
        f"[{L['lang']}]",
        _summary_line(ctx, L),
    ]
    if not ctx["reportable"]:
        out.append(L["nothing"])
    order = lambda s: (s.get("region_code") or "~", s.get("path") or "")  # noqa: E731
    if ctx["rejected"]:
        out += ["", f"## {L['rejected']} ({len(ctx['rejected'])})"]
        for sub in sorted(ctx["rejected"], key=order):
            out += _submission_lines(sub, "ERROR", ctx, L, lang)
    if ctx["overdue"]:
        out += ["", f"## {L['overdue']} ({len(ctx['overdue'])})"]
        for (kind, period, due), group in _overdue_groups(ctx["overdue"]):
            head = f"{kind_label(kind)} {period or L['any_period']} — {L['due'].format(due=due.isoformat())}"
            out.append(f"- {head}: {len(group)}")
            for o in group:
                last = _last_submission(o, L, lang)
                link = status_link(ctx["config"], o.region_code)
                out.append(
                    f"  - {o.region_name} ({o.region_code}): {L['days'].format(days=o.days_overdue)}; {last}"
                    + (f" — {link}" if link else "")
                )
    if ctx["undelivered"]:
        out += ["", f"## {L['undelivered']} ({len(ctx['undelivered'])})"]
        out += [f"- {_undelivered_text(u, L)}" for u in ctx["undelivered"]]
    if ctx["errors"]:
        out += ["", f"## {L['failures']} ({len(ctx['errors'])})"]
        out += [f"- {e}" for e in ctx["errors"]]
    if ctx["warned"]:
        out += ["", f"## {L['warned']} ({len(ctx['warned'])})"]
        for sub in sorted(ctx["warned"], key=order):
            out += _submission_lines(sub, "WARNING", ctx, L, lang)
    if ctx["clean"]:
        out += ["", f"## {L['accepted']} ({len(ctx['clean'])})"]
        out += [f"- {region}: {n}" for region, n in _accepted_per_region(ctx, L)]
    out += [
        "",
        f"## {L['links']}",
        f"- {L['report']}: {ctx['report_link'] or L['not_available']}",
        f"- {L['docs']}: {ctx['docs_link'] or L['not_available']}",
    ]
    out += [
        f"- {L['run_docs'].format(run_id=r)}: {link or L['not_available']}" for r, link in ctx["run_docs"]
    ]
    return "\n".join(out)


def _submission_html(sub, severity, ctx, L, lang) -> str:
    n_err = sum(1 for f in sub.get("findings") or [] if f.get("severity") == "ERROR")
    n_warn = len(sub.get("findings") or []) - n_err
    item = [
        f"<li><b>{esc(_region(sub, L))}</b>: {esc(_doc(sub))}, {esc(L['file'])} <code>{esc(sub.get('path'))}</code>"
        f" — {esc(L['errors_warnings'].format(errors=n_err, warnings=n_warn))}",
        f"<br>{esc(L['main'])}: {esc(_rule_summary(sub, severity))}<ul>",
    ]
    for f in _examples(sub, severity):
        value = (
            ""
            if f.get("value") in (None, "")
            else f" [{esc(L['value'])}: <code>{esc(f.get('value'))}</code>]"
        )
        item.append(f"<li>{esc(_where(f, L))}{value}: {esc(_message(f, lang))}</li>")
    item.append("</ul>")
    if fb := _feedback_line(sub, ctx, L):
        item.append(f"{esc(L['feedback'])}: {esc(fb)}")
    if link := status_link(ctx["config"], sub.get("region_code")):
        item.append(f"<br>{esc(L['status_page'])}: {link_html(link, '')}")
    item.append("</li>")
    return "".join(item)


def _html(lang: str, ctx: dict[str, Any]) -> str:
    L = LABELS[lang]
    out = [f'<div lang="{lang}"><h2>{esc(L["lang"])}</h2>', "<p>" + esc(_summary_line(ctx, L)) + "</p>"]
    if not ctx["reportable"]:
        out.append(f"<p><b>{esc(L['nothing'])}</b></p>")
    order = lambda s: (s.get("region_code") or "~", s.get("path") or "")  # noqa: E731
    if ctx["rejected"]:
        out.append(f"<h3>{esc(L['rejected'])} ({len(ctx['rejected'])})</h3><ul>")
        out += [_submission_html(sub, "ERROR", ctx, L, lang) for sub in sorted(ctx["rejected"], key=order)]
        out.append("</ul>")
    if ctx["overdue"]:
        out.append(f"<h3>{esc(L['overdue'])} ({len(ctx['overdue'])})</h3>")
        for (kind, period, due), group in _overdue_groups(ctx["overdue"]):
            head = f"{kind_label(kind)} {period or L['any_period']} — {L['due'].format(due=due.isoformat())}"
            out.append(f"<p><b>{esc(head)}</b>: {len(group)}</p><ul>")
            for o in group:
                last = _last_submission(o, L, lang)
                link = status_link(ctx["config"], o.region_code)
                out.append(
                    f"<li>{esc(o.region_name)} ({esc(o.region_code)}): "
                    f"{esc(L['days'].format(days=o.days_overdue))}; {esc(last)}"
                    + (f" — {link_html(link, '')}" if link else "")
                    + "</li>"
                )
            out.append("</ul>")
    if ctx["undelivered"]:
        out.append(f"<h3>{esc(L['undelivered'])} ({len(ctx['undelivered'])})</h3><ul>")
        out += [f"<li>{esc(_undelivered_text(u, L))}</li>" for u in ctx["undelivered"]]
        out.append("</ul>")
    if ctx["errors"]:
        out.append(f"<h3>{esc(L['failures'])} ({len(ctx['errors'])})</h3><ul>")
        out += [f"<li><code>{esc(e)}</code></li>" for e in ctx["errors"]]
        out.append("</ul>")
    if ctx["warned"]:
        out.append(f"<h3>{esc(L['warned'])} ({len(ctx['warned'])})</h3><ul>")
        out += [_submission_html(sub, "WARNING", ctx, L, lang) for sub in sorted(ctx["warned"], key=order)]
        out.append("</ul>")
    if ctx["clean"]:
        out.append(f"<h3>{esc(L['accepted'])} ({len(ctx['clean'])})</h3><ul>")
        out += [f"<li>{esc(region)}: {n}</li>" for region, n in _accepted_per_region(ctx, L)]
        out.append("</ul>")
    out.append(
        f"<h3>{esc(L['links'])}</h3><ul>"
        f"<li>{esc(L['report'])}: {link_html(ctx['report_link'], L['not_available'])}</li>"
        f"<li>{esc(L['docs'])}: {link_html(ctx['docs_link'], L['not_available'])}</li>"
        + "".join(
            f"<li>{esc(L['run_docs'].format(run_id=r))}: {link_html(link, L['not_available'])}</li>"
            for r, link in ctx["run_docs"]
        )
        + "</ul></div>"
    )
    return "".join(out)


def _short(ctx: dict[str, Any]) -> str:
    """A compact chat message: counts, rejected regencies, overdue regencies, errors, links."""
    c = ctx["counts"]
    lines = [
        f"{c['rejected']} ditolak/rejected, {c['warned']} dengan catatan/warned, "
        f"{c['overdue']} lewat tenggat/overdue, {c['errors']} galat/errors — run {ctx['report'].get('run_id')}"
    ]
    L = LABELS["id"]
    for sub in ctx["rejected"]:
        lines.append(f"• DITOLAK/REJECTED {_region(sub, L)}: {_doc(sub)} — {_rule_summary(sub, 'ERROR')}")
    for sub in ctx["warned"]:
        lines.append(f"• CATATAN/WARNED {_region(sub, L)}: {_doc(sub)} — {_rule_summary(sub, 'WARNING')}")
    for (kind, period, due), group in _overdue_groups(ctx["overdue"]):
        names = ", ".join(o.region_name for o in group[:10]) + (
            f" (+{len(group) - 10})" if len(group) > 10 else ""
        )
        lines.append(
            f"• LEWAT TENGGAT/OVERDUE {kind_label(kind)} {period or ''} (due {due.isoformat()}): {len(group)} — {names}"
        )
    for e in ctx["errors"][:10]:
        lines.append(f"• GALAT/ERROR {e}")
    lines.append(f"Laporan/report: {ctx['report_link'] or '-'}; Data Docs: {ctx['docs_link'] or '-'}")
    return "\n".join(lines)


def _sub_data(sub: dict[str, Any]) -> dict[str, Any]:
    findings = sub.get("findings") or []
    return {
        "submission_id": sub.get("submission_id"),
        "region_code": sub.get("region_code"),
        "region_name": sub.get("region_name"),
        "kind": sub.get("kind"),
        "period": sub.get("period"),
        "path": sub.get("path"),
        "errors": sum(1 for f in findings if f.get("severity") == "ERROR"),
        "warnings": sum(1 for f in findings if f.get("severity") == "WARNING"),
        "rules": dict(Counter(str(f.get("rule")) for f in findings)),
    }
