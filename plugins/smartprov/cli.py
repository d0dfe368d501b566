"""`smartprov`: the command line face of the pipeline (the DAG is the other one)."""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path

from smartprov import settings

# Exit codes: 0 done; 1 the run finished with pipeline errors (or rejected files for
# `validate`); 2 bad arguments or input that is not there; 3 the warehouse is busy or
# unreachable (try again later); 4 done, but messages wait undelivered in the alerts'
# outbox (the mail relay refused or was down: `smartprov notify` retries); 130 interrupted.
EXIT_USAGE, EXIT_WAREHOUSE = 2, 3
EXIT_MAIL_WAITING = 4


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings.quiet_tools()
    if getattr(args, "wait", None) is not None:
        from smartprov.warehouse.connection import set_lock_wait

        set_lock_wait(args.wait)  # the warehouse layer waits; the DAG's tasks read the same
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        print(f"smartprov {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        expected = expected_failure(exc)
        if expected is None:
            raise
        code, message = expected
        print(f"smartprov {args.command}: {message}", file=sys.stderr)
        return code


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def expected_failure(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, one-line message) for conditions people cause or fix, else None (a bug:
    let the traceback show)."""
    from smartprov.warehouse.connection import WarehouseUnavailable
    from smartprov.warehouse.dbt_runner import DbtBuildFailed

    if isinstance(exc, WarehouseUnavailable):
        return EXIT_WAREHOUSE, _first_line(exc)
    if isinstance(exc, DbtBuildFailed):
        return 1, _first_line(exc)
    if isinstance(exc, (FileNotFoundError, NotADirectoryError, PermissionError)):
        return EXIT_USAGE, _first_line(exc)
    if isinstance(exc, ValueError) and "URL" in str(exc):
        return EXIT_USAGE, _first_line(exc)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = f" ({exc.filename})" if exc.filename else ""
        return (
            EXIT_WAREHOUSE,
            f"no space left on device{where}: free some space, then run again (nothing was lost)",
        )
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a requirement
        return None
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return EXIT_WAREHOUSE, privilege_message(_first_line(exc))
    if isinstance(exc, psycopg.OperationalError):
        return EXIT_WAREHOUSE, f"warehouse unreachable: {_first_line(exc)}"
    return None


def privilege_message(first_line: str) -> str:
    """`permission denied for database wh` -> one line naming the fix (`smartprov pg-setup`):
    a restored or new database has not granted the loader its privileges yet."""
    import re

    found = re.search(r"for database \"?([^\s\"]+)", first_line)
    database = found.group(1) if found else "<database>"
    return (
        f"{first_line}: the warehouse's roles lack their privileges (a restored or new database?); "
        f"run `smartprov pg-setup --database {database}` as an administrator, then run again"
    )


def _add_wait(parser: argparse.ArgumentParser) -> None:
    from smartprov.warehouse.connection import DEFAULT_LOCK_WAIT_SECONDS, ENV_LOCK_WAIT

    parser.add_argument(
        "--wait",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"how long to wait for a busy warehouse (another run or dbt build) before giving up "
        f"(default ${ENV_LOCK_WAIT} or {DEFAULT_LOCK_WAIT_SECONDS:g})",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="smartprov", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="write a realistic sample landing zone")
    s.add_argument("--out", required=True, type=Path)
    s.add_argument("--province", default="32")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=cmd_sample)

    r = sub.add_parser("run", help="one nightly run: discover, validate, load, build marts, report")
    r.add_argument(
        "--landing", default=None, help="folder or s3://bucket/prefix (default $SMARTPROV_LANDING_URL)"
    )
    r.add_argument(
        "--warehouse", default=None, help="SQLAlchemy-style URL (default $SMARTPROV_WAREHOUSE_URL)"
    )
    r.add_argument("--report", default=None, help="also write the run report JSON here")
    r.add_argument("--no-dbt", action="store_true", help="skip building the dbt marts")
    r.add_argument("--no-alerts", action="store_true", help="send no e-mail or webhook")
    r.add_argument("--province", default=None, help="print this province's summary at the end")
    _add_wait(r)
    r.set_defaults(func=cmd_run)

    i = sub.add_parser(
        "intake", help="the short-interval path: validate and load only new files, mail their regencies"
    )
    i.add_argument(
        "--landing", default=None, help="folder or s3://bucket/prefix (default $SMARTPROV_LANDING_URL)"
    )
    i.add_argument(
        "--warehouse", default=None, help="SQLAlchemy-style URL (default $SMARTPROV_WAREHOUSE_URL)"
    )
    _add_wait(i)
    i.set_defaults(func=cmd_intake)

    v = sub.add_parser("validate", help="validate workbooks without loading them")
    v.add_argument("files", nargs="+", type=Path)
    v.add_argument("--region", default=None, help="sender's region code (default: each file's folder name)")
    v.add_argument("--warehouse", default=None, help="where to look up current masterplans")
    v.add_argument("--json", action="store_true", help="print findings as JSON")
    _add_wait(v)
    v.set_defaults(func=cmd_validate)

    t = sub.add_parser("template", help="write a blank workbook of the contract for a regency")
    t.add_argument("--region", required=True)
    t.add_argument("--kind", required=True, choices=["masterplan", "evaluasi", "MASTERPLAN", "EVALUASI"])
    t.add_argument("--out", required=True, type=Path)
    t.add_argument(
        "--period",
        help="masterplan period START-END, e.g. 2025-2034: one anggaran_<YYYY> column per year "
        "(default: ten years from next year)",
    )
    t.add_argument("--year", type=int, help="EVALUASI: the evaluated year (tahun_evaluasi)")
    t.add_argument(
        "--warehouse",
        help="EVALUASI: prefill Realisasi with the regency's current programs from this warehouse URL",
    )
    t.set_defaults(func=cmd_template)

    q = sub.add_parser("replay", help="re-validate quarantined files (e.g. once their masterplan arrived)")
    q.add_argument("--region", default=None)
    q.add_argument("--warehouse", default=None)
    q.add_argument("--no-dbt", action="store_true")
    _add_wait(q)
    q.set_defaults(func=cmd_replay)

    f = sub.add_parser(
        "forget",
        help="forget submissions (kept in audit.forgotten_submissions) so the next run takes their files again",
    )
    f.add_argument("submissions", nargs="*", help="submission ids or file SHA-256s (8+ characters)")
    f.add_argument("--region", default=None, help="every submission of this region code, e.g. 32.04")
    f.add_argument("--kind", default=None, choices=["masterplan", "evaluasi", "MASTERPLAN", "EVALUASI"])
    f.add_argument("--period", default=None, help="e.g. 2025 or 2022-2031")
    f.add_argument("--reason", required=True, help="why (kept with the history)")
    f.add_argument("--notify-again", action="store_true", help="also forget the feedback and digest entries")
    f.add_argument("--dry-run", action="store_true", help="list what would be forgotten, change nothing")
    f.add_argument("--warehouse", default=None)
    f.set_defaults(func=cmd_forget)

    rp = sub.add_parser("reprocess", help="forget submissions, then run now: their files are validated again")
    rp.add_argument("submissions", nargs="*", help="submission ids or file SHA-256s (8+ characters)")
    rp.add_argument("--region", default=None, help="every submission of this region code, e.g. 32.04")
    rp.add_argument("--kind", default=None, choices=["masterplan", "evaluasi", "MASTERPLAN", "EVALUASI"])
    rp.add_argument("--period", default=None)
    rp.add_argument("--reason", required=True, help="why (kept with the history)")
    rp.add_argument("--notify-again", action="store_true", help="mail the regency the new verdict")
    rp.add_argument(
        "--landing", default=None, help="folder or s3://bucket/prefix (default $SMARTPROV_LANDING_URL)"
    )
    rp.add_argument("--warehouse", default=None)
    rp.add_argument("--no-dbt", action="store_true")
    rp.add_argument("--no-alerts", action="store_true")
    rp.set_defaults(func=cmd_reprocess)

    g = sub.add_parser("pg-setup", help="create the PostgreSQL warehouse's roles, schemas and privileges")
    _add_pg_setup_arguments(g)
    g.set_defaults(func=cmd_pg_setup)

    o = sub.add_parser("publish", help="write open-data bundles (CSV, xlsx, datapackage.json) of the marts")
    o.add_argument("--warehouse", default=None)
    o.add_argument("--config", default=None, help="publish config (default config/publish.yml)")
    o.add_argument("--out", default=None, type=Path, help="bundles folder (default var/publish)")
    o.add_argument("--dataset", action="append", default=None, help="only this dataset (repeatable)")
    o.add_argument("--push", action="store_true", help="also push to the CKAN portal of the config")
    o.set_defaults(func=cmd_publish)

    w = sub.add_parser("portal", help="start the regency portal (web pages and /api/v1)")
    w.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    w.add_argument("--port", type=int, default=8600, help="port (default 8600)")
    w.set_defaults(func=cmd_portal)

    pt = sub.add_parser("portal-token", help="create (print once), list or revoke a regency's API token")
    pt.add_argument("--region", help="the regency the token checks and sends for, e.g. 32.04")
    pt.add_argument("--revoke", metavar="TOKEN_ID", help="revoke this token (its id is printed with it)")
    pt.add_argument("--list", action="store_true", help="list tokens (ids, regions, revoked or not)")
    pt.add_argument("--warehouse", default=None)
    pt.set_defaults(func=cmd_portal_token)

    pu = sub.add_parser("portal-user", help="portal accounts")
    pu_sub = pu.add_subparsers(dest="portal_user_command", required=True)
    pa = pu_sub.add_parser("add", help="create a user and print (and mail) a one-time set-password link")
    pa.add_argument("--email", required=True)
    scope = pa.add_mutually_exclusive_group(required=True)
    scope.add_argument("--region", help="a regency officer of this region, e.g. 32.04")
    scope.add_argument(
        "--province", metavar="CODE", help="province (Diskominfo) staff of this province, e.g. 32"
    )
    pa.add_argument("--no-mail", action="store_true", help="print the link only")
    pa.add_argument("--warehouse", default=None)
    pa.set_defaults(func=cmd_portal_user_add)
    pl = pu_sub.add_parser(
        "link", help="a new one-time set-password link for an existing user (forgotten password)"
    )
    pl.add_argument("--email", required=True)
    pl.add_argument("--no-mail", action="store_true", help="print the link only")
    pl.add_argument("--warehouse", default=None)
    pl.set_defaults(func=cmd_portal_user_link)
    pd_ = pu_sub.add_parser("disable", help="disable a user and end their sessions")
    pd_.add_argument("--email", required=True)
    pd_.add_argument("--warehouse", default=None)
    pd_.set_defaults(func=cmd_portal_user_disable)

    m = sub.add_parser("summary", help="print a province's summary from the warehouse")
    m.add_argument("--province", default="32")
    m.add_argument("--warehouse", default=None)
    _add_wait(m)
    m.set_defaults(func=cmd_summary)

    _add_alert_commands(sub)
    # -- doctor (smartprov.run.doctor) -------------------------------------------------------
    d = sub.add_parser("doctor", help="check this deployment's settings: one line per problem and its fix")
    d.set_defaults(func=cmd_doctor)
    return p


def cmd_sample(args) -> int:
    from smartprov.authoring.sample import write_sample_landing

    paths = write_sample_landing(args.out, province=args.province, seed=args.seed)
    print(f"Wrote {len(paths)} workbooks under {args.out}")
    return 0


def cmd_run(args) -> int:
    from smartprov.run.steps import province_summary, run_once

    landing = args.landing or settings.landing_url()
    warehouse = args.warehouse or settings.warehouse_url()
    report = run_once(
        landing, warehouse, report_copy=args.report, build=not args.no_dbt, notify=not args.no_alerts
    )
    c = report["counts"]
    print(
        f"Run {report['run_id']}: {c['accepted']} accepted, {c['rejected']} rejected, {c['duplicate']} duplicate"
    )
    print(f"Warehouse: {report['warehouse']}")
    if (report.get("dbt") or {}).get("snapshot"):
        print(f"Analysts:  duckdb:///{report['dbt']['snapshot']} (read-only snapshot)")
    print(f"Report:    {report['report_path']}")
    if report.get("data_docs"):
        print(f"Data Docs: {report['data_docs']}")
    for name, path in (report.get("outputs") or {}).items():
        print(f"{name}: {path}")
    if args.province:
        print(province_summary(warehouse, args.province))
    if report.get("errors"):
        return 1
    return _outbox_exit(report.get("alerts"))


def cmd_intake(args) -> int:
    """The same step as the smartprov_intake DAG: no mart rebuild, no province digest."""
    from smartprov.run.steps import intake

    result = intake(args.landing or settings.landing_url(), args.warehouse or settings.warehouse_url())
    sent = result.get("sent") or []
    print(f"Intake {result['run_id']}: {result['new']} new file(s), {len(sent)} message(s) sent")
    return _outbox_exit({"outbox": result.get("outbox")} if result.get("outbox") else None)


def cmd_publish(args) -> int:
    from smartprov import publish

    try:
        cfg = publish.load(args.config)
        if cfg is None or not cfg.enabled:
            print(f"Nothing to publish: no datasets in {args.config or publish.config.config_path()} "
                  "(copy config/publish.example.yml to config/publish.yml)", file=sys.stderr)  # fmt: skip
            return 2
        result = publish.publish_all(
            args.warehouse or settings.warehouse_url(), cfg, args.out, datasets=args.dataset, push=args.push
        )
    except (publish.PublishConfigError, publish.PublishError) as exc:
        print(f"smartprov publish: {exc}", file=sys.stderr)
        return 2
    for b in result["bundles"]:
        print(f"{b['dataset']}: {b['rows']} rows, {b['folder']}")
    for name, url in (result.get("ckan") or {}).items():
        print(f"CKAN {name}: {url}")
    return 0


def cmd_validate(args) -> int:
    from smartprov.run.check import Workbook, check_workbooks, verdict

    workbooks = [
        Workbook(path.name, path.read_bytes(), args.region or path.resolve().parent.name)
        for path in args.files
    ]
    subs = check_workbooks(workbooks, args.warehouse or settings.warehouse_url())
    out = [{"file": str(path), **verdict(sub)} for path, sub in zip(args.files, subs, strict=True)]
    rejected = any(item["status"] == "rejected" for item in out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    else:
        for item in out:
            word = "DITOLAK / REJECTED" if item["status"] == "rejected" else "DITERIMA / ACCEPTED"
            print(f"{item['file']}: {word} ({item['kind'] or '?'} {item['period'] or ''})")
            for f in item["findings"]:
                where = ", ".join(
                    x for x in (f["sheet"], f"baris {f['row']}" if f["row"] else None, f["column"]) if x
                )
                print(f"  [{f['severity']}] {f['rule']} {where}: {f['message']}")
                print(f"      {f['message_en']}")
    return 1 if rejected else 0


def cmd_template(args) -> int:
    from smartprov.authoring.template import write_template
    from smartprov.contract import catalogue as contract

    if args.region not in contract.regions():
        print(f"Unknown region code {args.region!r} (use the Kemendagri code, e.g. 32.04)", file=sys.stderr)
        return 2
    period = None
    if args.period:
        try:
            start, end = (int(p) for p in args.period.split("-"))
        except ValueError:
            print(f"--period must be START-END, e.g. 2025-2034 (got {args.period!r})", file=sys.stderr)
            return 2
        period = (start, end)
    try:
        out = write_template(
            args.region,
            args.kind.upper(),
            args.out,
            period=period,
            year=args.year,
            warehouse_url=args.warehouse,
        )
    except ValueError as err:
        print(str(err), file=sys.stderr)
        return 2
    print(f"Wrote {out}")
    return 0


def cmd_replay(args) -> int:
    from smartprov.run.replay import replay_quarantine

    warehouse = args.warehouse or settings.warehouse_url()
    result = replay_quarantine(warehouse, region=args.region, build=not args.no_dbt)
    for item in result["files"]:
        print(f"{item['path']}: {item['status']}")
    print(f"Replayed {len(result['files'])} quarantined file(s): {result['accepted']} now accepted")
    return 0


def _selection(args) -> dict:
    """The submissions `forget` and `reprocess` act on, and why, as their options name them."""
    return {
        "reason": args.reason,
        "ids": args.submissions,
        "region": args.region,
        "kind": args.kind,
        "period": args.period,
        "notify_again": args.notify_again,
    }


def cmd_forget(args) -> int:
    from smartprov.run.reprocess import NothingToForget, forget

    try:
        chosen = forget(args.warehouse or settings.warehouse_url(), **_selection(args), dry_run=args.dry_run)
    except (NothingToForget, ValueError) as exc:
        print(f"smartprov forget: {exc}", file=sys.stderr)
        return 2
    for sub in chosen:
        print(f"{sub['submission_id']}  {sub['status']:<8}  {sub['path']}")
    verb = "Would forget" if args.dry_run else "Forgot"
    print(f"{verb} {len(chosen)} submission(s); the next run takes their files again.")
    return 0


def cmd_reprocess(args) -> int:
    from smartprov.run.reprocess import NothingToForget, reprocess

    try:
        report = reprocess(
            args.landing or settings.landing_url(),
            args.warehouse or settings.warehouse_url(),
            **_selection(args),
            build=not args.no_dbt,
            notify=not args.no_alerts,
        )
    except (NothingToForget, ValueError) as exc:
        print(f"smartprov reprocess: {exc}", file=sys.stderr)
        return 2
    again = {s["submission_id"]: s["status"] for s in report["submissions"]}
    for sub in report["forgotten"]:
        now = again.get(sub["submission_id"], "not found in the landing zone")
        print(f"{sub['path']}: {sub['status']} -> {now}")
    print(f"Report: {report['report_path']}")
    return 1 if report.get("errors") else 0


def cmd_portal(args) -> int:
    from smartprov.portal import serve

    serve(args.host, args.port)
    return 0


def cmd_portal_token(args) -> int:
    from smartprov.contract import catalogue as contract
    from smartprov.portal.store import PortalStore

    store = PortalStore(args.warehouse or settings.warehouse_url())
    if args.list:
        for token_id, region, created, revoked in store.list_tokens():
            print(
                f"{token_id}  {region}  created {created}  {'revoked ' + str(revoked) if revoked else 'active'}"
            )
        return 0
    if args.revoke:
        if not store.revoke_token(args.revoke):
            print(f"smartprov portal-token: no active token {args.revoke!r}", file=sys.stderr)
            return 2
        store.audit("token_revoke", "ok", actor="cli", detail={"token_id": args.revoke})
        print(f"Revoked token {args.revoke}")
        return 0
    if not args.region or args.region not in contract.regions():
        print("smartprov portal-token: --region must be a known region code, e.g. 32.04", file=sys.stderr)
        return 2
    token_id, secret = store.new_token("api", region_code=args.region)
    store.audit("token_create", "ok", actor="cli", region_code=args.region, detail={"token_id": token_id})
    print(secret)
    print(f"(token id {token_id} for {args.region}; shown once, stored hashed; "
          f"revoke with: smartprov portal-token --revoke {token_id})", file=sys.stderr)  # fmt: skip
    return 0


def cmd_portal_user_add(args) -> int:
    from smartprov.contract import catalogue as contract
    from smartprov.contract.email import is_email
    from smartprov.portal.store import PortalStore

    if not is_email(args.email):
        print(f"smartprov portal-user: {args.email!r} is not an e-mail address", file=sys.stderr)
        return 2
    regions = contract.regions()
    if args.region:
        if args.region not in regions:
            print(f"smartprov portal-user: unknown region code {args.region!r} (e.g. 32.04)", file=sys.stderr)
            return 2
        role, region, province = "regency", args.region, regions[args.region].province_code
    else:
        if args.province not in {r.province_code for r in regions.values()}:
            print(
                f"smartprov portal-user: unknown province code {args.province!r} (e.g. 32)", file=sys.stderr
            )
            return 2
        role, region, province = "province", None, args.province
    store = PortalStore(args.warehouse or settings.warehouse_url())
    try:
        user = store.add_user(args.email, role, region, province)
    except ValueError as exc:
        print(f"smartprov portal-user: {exc}", file=sys.stderr)
        return 2
    store.audit("user_add", "ok", actor="cli", region_code=region, detail={"email": user.email, "role": role})
    print(f"Created {role} user {user.email}{' for ' + region if region else ' for province ' + province}.")
    _print_set_password_link(store, user, mail=not args.no_mail)
    return 0


def _print_set_password_link(store, user, *, mail: bool) -> None:
    import os

    from smartprov.portal.send import mail_set_password_link
    from smartprov.portal.store import SET_PASSWORD_HOURS

    _, secret = store.new_token("set_password", user_id=user.user_id, hours=SET_PASSWORD_HOURS)
    base = os.environ.get("SMARTPROV_PORTAL_URL", "http://127.0.0.1:8600").rstrip("/")
    link = f"{base}/set-password/{secret}"
    print(f"One-time set-password link (valid {SET_PASSWORD_HOURS} h): {link}")
    if mail:
        mailed = mail_set_password_link(user.email, link)
        print(
            "Link mailed."
            if mailed
            else "Link not mailed (no SMTP connection or sender): pass it on yourself."
        )


def cmd_portal_user_link(args) -> int:
    from smartprov.portal.store import PortalStore

    store = PortalStore(args.warehouse or settings.warehouse_url())
    found = store.user_by_email(args.email)
    if found is None:
        print(f"smartprov portal-user: no active user {args.email!r}", file=sys.stderr)
        return 2
    store.audit(
        "user_link", "ok", actor="cli", region_code=found[0].region_code, detail={"email": found[0].email}
    )
    _print_set_password_link(store, found[0], mail=not args.no_mail)
    return 0


def cmd_portal_user_disable(args) -> int:
    from smartprov.portal.store import PortalStore

    store = PortalStore(args.warehouse or settings.warehouse_url())
    if not store.disable_user(args.email):
        print(f"smartprov portal-user: no active user {args.email!r}", file=sys.stderr)
        return 2
    store.audit("user_disable", "ok", actor="cli", detail={"email": args.email.strip().lower()})
    print(f"Disabled {args.email}; their sessions are ended.")
    return 0


def _add_pg_setup_arguments(parser: argparse.ArgumentParser) -> None:
    from smartprov.warehouse import pg_roles  # light: psycopg is imported only when it runs

    pg_roles.add_arguments(parser)


def cmd_pg_setup(args) -> int:
    from smartprov.warehouse import pg_roles

    return pg_roles.run(args)


def cmd_summary(args) -> int:
    from smartprov.run.steps import latest_report, province_summary
    from smartprov.warehouse.connection import WarehouseUrl
    from smartprov.warehouse.snapshot import snapshot_url

    warehouse = args.warehouse or settings.warehouse_url()
    print(f"Warehouse: {WarehouseUrl.parse(warehouse).display()}")
    if snapshot_url(warehouse) != warehouse:
        print(f"Analysts:  {WarehouseUrl.parse(snapshot_url(warehouse)).display()} (read-only snapshot)")
    report = latest_report()
    if report:
        c = report.get("counts", {})
        print(
            f"Last run:  {report['run_id']} ({c.get('accepted', 0)} accepted, "
            f"{c.get('rejected', 0)} rejected, {c.get('duplicate', 0)} duplicate)"
        )
        print(f"Report:    {report['report_path']}")
        for label, path in [
            ("Data Docs", report.get("data_docs")),
            ("dbt docs", (report.get("dbt") or {}).get("docs")),
        ]:
            if path:
                print(f"{label + ':':<10} {path}")
        for name, path in (report.get("outputs") or {}).items():
            print(f"{name + ':':<10} {path}")
    from smartprov.ingest.shared_store import quarantine_store

    print(f"Quarantine: {quarantine_store().url}")
    print(_outbox_status_line(warehouse))
    print(province_summary(warehouse, args.province))
    return 0


# -- alerts: the outbox ----------------------------------------------------------------
def _add_alert_commands(sub) -> None:
    n = sub.add_parser(
        "notify",
        help="send what the alerts' outbox holds: mail refused earlier, and what earlier runs still owe",
        description="Composes the feedback and digest that earlier runs still owe, then delivers every"
        f" due message of the outbox (audit.outbox). Exit {EXIT_MAIL_WAITING} when messages still wait.",
    )
    n.add_argument(
        "--warehouse", default=None, help="SQLAlchemy-style URL (default $SMARTPROV_WAREHOUSE_URL)"
    )
    n.add_argument("--now", action="store_true", help="try every waiting message now, ignoring the back-off")
    _add_wait(n)
    n.set_defaults(func=cmd_notify)
    o = sub.add_parser("outbox", help="list the messages waiting undelivered in the alerts' outbox")
    o.add_argument("--warehouse", default=None)
    o.set_defaults(func=cmd_outbox)


def _outbox_exit(alerts: dict | None) -> int:
    """EXIT_MAIL_WAITING, with one line on stderr, when messages wait undelivered."""
    from smartprov.alerts.ledger import waiting_line

    line = waiting_line((alerts or {}).get("outbox") or {"waiting": 0})
    if line:
        print(f"smartprov: {line}", file=sys.stderr)
        return EXIT_MAIL_WAITING
    return 0


def _outbox_status_line(warehouse: str) -> str:
    from smartprov.alerts.ledger import outbox_summary, waiting_line
    from smartprov.warehouse.connection import Warehouse

    with Warehouse(warehouse) as wh:
        summary = outbox_summary(wh)
    return "Outbox:    " + (waiting_line(summary) or f"nothing waiting ({summary['sent']} message(s) sent)")


def cmd_notify(args) -> int:
    from smartprov.alerts import deliver_outbox

    result = deliver_outbox(args.warehouse or settings.warehouse_url(), ignore_backoff=args.now)
    print(f"Notify: {len(result['sent'])} message(s) sent, {len(result['errors'])} not delivered")
    for e in result["errors"]:
        print(f"  not delivered: {e['what']} via {e['channel']}: {e['error']}", file=sys.stderr)
    return _outbox_exit(result)


def cmd_outbox(args) -> int:
    from smartprov.alerts.ledger import Outbox, outbox_summary, waiting_line
    from smartprov.alerts.render import wib
    from smartprov.warehouse.connection import Warehouse

    with Warehouse(args.warehouse or settings.warehouse_url()) as wh:
        waiting = Outbox(wh).waiting()
        summary = outbox_summary(wh)
    print(waiting_line(summary) or f"Outbox: nothing waiting ({summary['sent']} message(s) sent)")
    for m in waiting:
        due = wib(m["next_attempt_at"]) if m["next_attempt_at"] else "now"
        print(f"- {m['kind']} via {m['channel']} to {m['to'] or '-'}: {m['subject']}")
        print(
            f"  since {wib(m['created_at'])}, {m['attempts']} attempt(s), next {due}; {m['last_error'] or ''}"
        )
    return EXIT_MAIL_WAITING if waiting else 0


def cmd_doctor(args) -> int:
    from smartprov.run import doctor

    return doctor.main()


if __name__ == "__main__":
    sys.exit(main())
