#!/usr/bin/env bash
# One-shot initialisation of the Airflow side (service airflow-init). Idempotent.
#   1. migrate the metadata database;
#   2. write the SimpleAuthManager password file from AIRFLOW_ADMIN_USER and the secret
#      airflow_admin_password (so no generated password lands in the logs), and the libpq
#      password file (PGPASSFILE) for the warehouse loader from warehouse_loader_password;
#   3. check that every connection the pipeline uses resolves from the environment
#      (AIRFLOW_CONN_*), printing types and hosts only, never secrets;
#   4. create the one-slot pool of the dbt-building tasks (smartprov.warehouse.dbt_runner.BUILD_POOL);
#   5. check that failure alerts have a recipient (or e-mail is off);
#   6. hand the shared volumes (logs, auth, var, reports) to AIRFLOW_UID.
set -euo pipefail

: "${AIRFLOW_UID:=50000}"
auth_file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-/opt/airflow/auth/passwords.json}"
reports_dir="${SMARTPROV_REPORTS_DIR:-/opt/smartprov/reports}"
mkdir -p /opt/airflow/logs "$(dirname "$auth_file")" /opt/smartprov/var "$reports_dir"

echo "== airflow db migrate"
airflow db migrate

echo "== admin user for the UI (SimpleAuthManager): ${AIRFLOW_ADMIN_USER:-admin}"
python - "$auth_file" <<'PY'
import json, os, sys
user = os.environ.get("AIRFLOW_ADMIN_USER") or "admin"
password_file = os.environ.get("AIRFLOW_ADMIN_PASSWORD_FILE")
password = (open(password_file).read().strip() if password_file else os.environ.get("AIRFLOW_ADMIN_PASSWORD")) or ""
if len(password) < 12:
    sys.exit("the airflow_admin_password secret must hold 12 characters or more")
with open(sys.argv[1], "w") as fh:
    json.dump({user: password}, fh)
    fh.write("\n")
os.chmod(sys.argv[1], 0o600)
PY

echo "== warehouse loader password file (PGPASSFILE)"
if [ -n "${PGPASSFILE:-}" ] && [ -r /run/secrets/warehouse_loader_password ]; then
  # host:port:database:user:password; ':' and '\' in the password are escaped as libpq wants.
  loader_password="$(sed -e 's/\\/\\\\/g' -e 's/:/\\:/g' /run/secrets/warehouse_loader_password)"
  umask 077
  printf 'warehouse:5432:smartprov:smartprov_loader:%s\n' "$loader_password" > "$PGPASSFILE"
  chmod 0600 "$PGPASSFILE"
fi

echo "== connections (from AIRFLOW_CONN_* environment variables)"
python - <<'PY'
import os, sys
from airflow.sdk import BaseHook
wanted = {
    os.environ.get("SMARTPROV_WAREHOUSE_CONN_ID") or "smartprov_warehouse": "postgres",
    os.environ.get("SMARTPROV_LANDING_CONN_ID") or "smartprov_landing": "aws",
    "smtp_default": "smtp",
}
bad = 0
for conn_id, conn_type in wanted.items():
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:  # noqa: BLE001
        print(f"   {conn_id}: NOT FOUND ({type(exc).__name__}); set AIRFLOW_CONN_{conn_id.upper()}")
        bad += 1
        continue
    where = conn.host or (conn.extra_dejson or {}).get("endpoint_url") or "-"
    ok = conn.conn_type == conn_type
    bad += not ok
    print(f"   {conn_id}: type {conn.conn_type} ({'ok' if ok else 'expected ' + conn_type}), host {where}")
sys.exit(1 if bad else 0)
PY

echo "== pool smartprov_build (one dbt build at a time)"
airflow pools set smartprov_build 1 "smartprov: one dbt build at a time" > /dev/null
echo "== alerts: someone hears about failures"
python - <<'PY'
import sys
from smartprov.alerts import AlertConfig
cfg = AlertConfig.load()  # config/alerts.yml and SMARTPROV_ALERTS_* (site.env); malformed = error
if cfg.enabled and cfg.email_enabled and not cfg.failure_recipients():
    sys.exit("no failure recipient: set SMARTPROV_ALERTS_FAILURE_TO (or SMARTPROV_ALERTS_DIGEST_TO) in site.env,"
             " or SMARTPROV_ALERTS_EMAIL_ENABLED=false to run without e-mail")
print(f"   failures to {', '.join(cfg.failure_recipients()) or '(e-mail off)'}")
PY

echo "== ownership of shared volumes -> ${AIRFLOW_UID}:0"
# The reports volume too: a fresh named volume is root's, and the tasks write run reports there.
chown -R "${AIRFLOW_UID}:0" /opt/airflow/logs "$(dirname "$auth_file")" /opt/smartprov/var "$reports_dir"
chmod 0750 "$(dirname "$auth_file")"
echo "airflow-init: done"
