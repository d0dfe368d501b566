"""`make smoke`: is the stack live? Upload a generated workbook as a test regency, trigger
smartprov_nightly through Airflow's REST API, wait for it, and print where the report is.

Runs inside the smartprov image (`docker compose --profile cli run … smartprov-cli`), with the
tasks' environment. Settings (environment):

- SMARTPROV_SMOKE_REGION: the regency whose folder receives the workbook (default: the first
  regency of SMARTPROV_PROVINCE, else of 32);
- SMARTPROV_SMOKE_ACCESS_KEY / SMARTPROV_SMOKE_SECRET_KEY: a credential allowed to upload
  there (the regency's own, docs/production.md §5); default: the landing Connection's, which
  on MinIO is read-only, so give one;
- SMARTPROV_SMOKE_API_URL (default http://airflow-apiserver:8080), AIRFLOW_ADMIN_USER and the
  airflow_admin_password secret: the REST API and its login;
- SMARTPROV_SMOKE_TIMEOUT: seconds to wait for the run (default 1800);
- SMARTPROV_SMOKE_MAIL_API: a mail catcher's API (mailpit's, e.g. http://mailpit:8025), where
  the run's digest must then be found (development stacks only; production mails the relay).

After the run, the report is fetched through its link (the `reports` server), as a digest's
reader would open it.

The workbook is a valid masterplan from the sample generator, made unique by a seed from
the clock, so it is new content. Retract it afterwards with the `smartprov forget` line
printed at the end.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

DAG_ID = "smartprov_nightly"


def smoke_workbook(region: str, seed: int) -> tuple[str, bytes]:
    """(file name, bytes) of a valid masterplan for `region`, from the sample generator."""
    from smartprov.authoring.sample import plan_sample

    province = region.split(".", 1)[0]
    for offset in range(50):
        for planned in plan_sample(province, seed=seed + offset):
            exp = planned.expected
            if exp.region_code == region and exp.kind == "MASTERPLAN" and exp.accepted and not exp.superseded:
                return f"smoke-test-{seed + offset}.xlsx", planned.build()
    raise SystemExit(f"no sample masterplan for region {region}: choose another SMARTPROV_SMOKE_REGION")


def default_region() -> str:
    from smartprov.authoring.sample import province_regions

    return province_regions(os.environ.get("SMARTPROV_PROVINCE") or "32")[0].code


def upload(landing_url: str, region: str, name: str, data: bytes) -> str:
    """Put the workbook into the landing zone's folder of `region`; returns where."""
    if "://" not in landing_url or landing_url.startswith("file://"):
        folder = Path(landing_url.removeprefix("file://")) / region
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        return str(folder / name)
    import boto3
    from airflow.sdk import BaseHook

    from smartprov.ingest.object_landing import landing_conn_id

    bucket, _, prefix = landing_url.removeprefix("s3://").partition("/")
    bucket = bucket.rsplit("@", 1)[-1]
    conn = BaseHook.get_connection(landing_conn_id())
    extra = conn.extra_dejson or {}
    client = boto3.client(
        "s3",
        endpoint_url=extra.get("endpoint_url") or None,
        region_name=extra.get("region_name") or None,
        aws_access_key_id=os.environ.get("SMARTPROV_SMOKE_ACCESS_KEY") or conn.login,
        aws_secret_access_key=os.environ.get("SMARTPROV_SMOKE_SECRET_KEY") or conn.password,
    )
    key = f"{prefix.strip('/') + '/' if prefix.strip('/') else ''}{region}/{name}"
    client.put_object(Bucket=bucket, Key=key, Body=data)
    return f"s3://{bucket}/{key}"


class Api:
    def __init__(self, base: str, user: str, password: str):
        self.base = base.rstrip("/")
        token = self.call("POST", "/auth/token", {"username": user, "password": password}, auth=False)
        self.token = token["access_token"]

    def call(self, method: str, path: str, body: dict | None = None, *, auth: bool = True) -> dict:
        request = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {self.token}"} if auth else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise SystemExit(f"{method} {path}: HTTP {exc.code}: {detail}") from None


def report_link(run_id: str) -> tuple[Path, str | None]:
    from smartprov.run.steps import run_dir_for

    run_dir = run_dir_for(run_id)
    template = os.environ.get("SMARTPROV_ALERTS_REPORT_URL")
    url = template.replace("{run_dir}", run_dir.name).replace("{run_id}", run_id) if template else None
    return run_dir / "report.json", url


def admin_password() -> str:
    path = Path(os.environ.get("AIRFLOW_ADMIN_PASSWORD_FILE") or "/run/secrets/airflow_admin_password")
    if path.is_file():
        return path.read_text().strip()
    return os.environ.get("AIRFLOW_ADMIN_PASSWORD") or sys.exit(f"no admin password: {path} is missing")


def main() -> int:
    from smartprov import settings

    region = os.environ.get("SMARTPROV_SMOKE_REGION") or default_region()
    name, data = smoke_workbook(region, seed=int(time.time()) % 100_000)
    where = upload(settings.landing_url(), region, name, data)
    print(f"1. uploaded a test masterplan for {region}: {where}")

    api = Api(
        os.environ.get("SMARTPROV_SMOKE_API_URL") or "http://airflow-apiserver:8080",
        os.environ.get("AIRFLOW_ADMIN_USER") or "admin",
        admin_password(),
    )
    dag = api.call("GET", f"/api/v2/dags/{DAG_ID}")
    if dag.get("is_paused"):
        print(f"   {DAG_ID} is PAUSED: it would never run on its schedule (docs/operations.md, go-live)")
        return 1
    run = api.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "note": "make smoke"})
    run_id = run["dag_run_id"]
    print(f"2. triggered {DAG_ID}: run {run_id}")

    deadline = time.monotonic() + float(os.environ.get("SMARTPROV_SMOKE_TIMEOUT") or 1800)
    state = run.get("state")
    while state not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(10)
        state = api.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")["state"]
        print(f"   … {state}", flush=True)
    print(f"3. run {run_id}: {state}")

    path, url = report_link(run_id)
    if path.is_file():
        report = json.loads(path.read_text(encoding="utf-8"))
        mine = [s for s in report.get("submissions", []) if s.get("path", "").endswith(f"{region}/{name}")]
        for sub in mine:
            print(f"   the test workbook: {sub['status']} (submission {sub['submission_id']})")
            print(f"   retract it: smartprov forget {sub['submission_id']} --reason 'smoke test'")
    print(f"4. report: {url or path}")
    ok = state == "success"
    if url:
        ok &= fetched(url)
    mail_api = os.environ.get("SMARTPROV_SMOKE_MAIL_API")
    if mail_api:
        ok &= digest_arrived(mail_api)
    return 0 if ok else 1


def fetched(url: str) -> bool:
    """The report through the reports server, as a digest's reader opens it."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            report = json.loads(response.read())
    except (urllib.error.URLError, ValueError) as exc:
        print(f"5. report link {url}: NOT served ({exc})")
        return False
    print(
        f"5. report link served: run {report.get('run_id', '?')}, {len(report.get('submissions', []))} submission(s)"
    )
    return True


def digest_arrived(api: str) -> bool:
    """The digest at the mail catcher (mailpit's API: GET /api/v1/messages)."""
    with urllib.request.urlopen(api.rstrip("/") + "/api/v1/messages", timeout=30) as response:
        messages = json.loads(response.read()).get("messages") or []
    digest_to = {
        a.strip().lower()
        for a in (os.environ.get("SMARTPROV_ALERTS_DIGEST_TO") or "").split(",")
        if a.strip()
    }
    digests = [m for m in messages if digest_to & {t["Address"].lower() for t in m.get("To") or []}]
    if not digests:
        print(
            f"6. digest: NOT at the catcher ({len(messages)} message(s), none to {', '.join(sorted(digest_to)) or '?'})"
        )
        return False
    print(f"6. digest at the catcher: {digests[0]['Subject']!r} ({len(messages)} message(s) in all)")
    return True


if __name__ == "__main__":
    sys.exit(main())
