#!/usr/bin/env bash
# Scale-out trial: the smartprov DAGs under Airflow's CeleryExecutor with two Celery workers
# on one machine (see docs/scale-out-trial.md for what was observed).
#
#   bash bench/celery_trial.sh            # everything, then stop all and drop the trial DBs
#   KEEP=1 bash bench/celery_trial.sh     # leave services running and DBs in place (stop: bash bench/celery_trial.sh stop)
#   bash bench/celery_trial.sh stop       # stop what a KEEP=1 run left running and drop the DBs
#
# Needs: python3.11, the project .venv (for its uv), PostgreSQL on 127.0.0.1:5432 (user
# postgres, trust), Redis on 127.0.0.1:6379. Writes only under var/celery-trial/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T=$ROOT/var/celery-trial
V=$T/venv/bin
RUN=$T/run          # pid files and service logs
PORT=${TRIAL_API_PORT:-8795}   # 8793 is Airflow's default worker log-server port: avoid it
META_DB=${TRIAL_META_DB:-celery_trial_meta}
WH_DB=${TRIAL_WH_DB:-celery_trial_wh}
REDIS_DB=${TRIAL_REDIS_DB:-5}
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAtX)

log() { printf '\n== %s  %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# ---------------------------------------------------------------- environment
trial_env() {
  mkdir -p "$T/pylib" "$RUN"
  # Both workers run on one host, so the task instances' `hostname` would be the same
  # for both; a hostname_callable names each worker process instead (trial device only).
  cat > "$T/pylib/trial_hostname.py" <<'PY'
import os, socket
def get() -> str:
    return os.environ.get("TRIAL_WORKER_NAME") or socket.getfqdn()
PY
  [[ -f $T/secrets.env ]] || {
    "$V/python" - > "$T/secrets.env" <<'PY'
import secrets
from cryptography.fernet import Fernet
print(f"export AIRFLOW__CORE__FERNET_KEY={Fernet.generate_key().decode()}")
print(f"export AIRFLOW__API_AUTH__JWT_SECRET={secrets.token_urlsafe(32)}")
print(f"export AIRFLOW__API__SECRET_KEY={secrets.token_urlsafe(32)}")
PY
  }
  # shellcheck disable=SC1091
  source "$T/secrets.env"
  export PATH=$V:$PATH PYTHONPATH=$T/pylib
  export AIRFLOW_HOME=$T/airflow
  export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
  export AIRFLOW__CORE__DAGS_FOLDER=$ROOT/dags
  export AIRFLOW__CORE__PLUGINS_FOLDER=$ROOT/plugins
  export AIRFLOW__CORE__LOAD_EXAMPLES=False
  export AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Jakarta
  export AIRFLOW__CORE__PARALLELISM=4
  export AIRFLOW__CORE__HOSTNAME_CALLABLE=trial_hostname.get
  export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$PORT/execution/
  export AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT=$PORT
  export AIRFLOW__API__BASE_URL=http://127.0.0.1:$PORT
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://postgres@127.0.0.1:5432/$META_DB
  export AIRFLOW__CELERY__BROKER_URL=redis://127.0.0.1:6379/$REDIS_DB
  export AIRFLOW__CELERY__RESULT_BACKEND=db+postgresql+psycopg2://postgres@127.0.0.1:5432/$META_DB
  export AIRFLOW__CELERY__WORKER_CONCURRENCY=1
  # Celery's default prefork pool runs each Airflow task under a daemonic pool process, which
  # may not start children: smartprov then parses in-process (pipeline.parse_workers). The
  # "solo" pool runs the task in the worker's main process, where parsing uses every core.
  export AIRFLOW__CELERY__POOL=${TRIAL_CELERY_POOL:-prefork}
  export AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL=30
  export SMARTPROV_WAREHOUSE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/$WH_DB
  export SMARTPROV_LANDING_URL=$T/landing
  export SMARTPROV_VAR_DIR=$T/var
  export SMARTPROV_ALERTS_EMAIL_ENABLED=false
  export GX_ANALYTICS_ENABLED=false DBT_SEND_ANONYMOUS_USAGE_STATS=false DO_NOT_TRACK=1
}

# ---------------------------------------------------------------- setup
make_venv() {
  local uv=${UV:-$ROOT/.venv/bin/uv}
  [[ -x $uv ]] || { echo "run 'make venv' first (the trial borrows .venv's uv; or set UV=path/to/uv)"; exit 1; }
  [[ -x $V/python ]] || python3 -m venv "$T/venv"
  "$uv" pip install -q -p "$V/python" -r requirements.txt
  # the Celery provider, resolved against requirements.txt's pins (used as constraints).
  # celery<5.7: celery 5.7.0 dropped celery.backends.database.retry, which the provider
  # (3.26.0) imports, so `airflow celery worker` and the scheduler fail to import it.
  "$uv" pip install -q -p "$V/python" -c requirements.txt apache-airflow-providers-celery "celery<5.7"
  "$uv" pip install -q -p "$V/python" --no-deps -e .
  "$V/python" -c 'import importlib.metadata as m; print(*(f"{p}=={m.version(p)}" for p in ("apache-airflow","apache-airflow-providers-celery","celery","kombu","redis")))'
}

make_dbs() {
  for db in $META_DB $WH_DB; do
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  done
  redis-cli -n $REDIS_DB flushdb >/dev/null
  rm -rf "$T/landing" "$T/var" "$T/var-a" "$T/var-b" "$T/airflow/logs"
  smartprov sample --out "$T/landing" --province 32
  airflow db migrate > "$RUN/db-migrate.log" 2>&1 || { tail -n 40 "$RUN/db-migrate.log"; exit 1; }
  airflow pools set smartprov_build 1 "one dbt build at a time" > /dev/null
}

# ---------------------------------------------------------------- services
start() {  # name, command...  (own process group, so stop() ends its children too)
  local name=$1; shift
  setsid "$@" > "$RUN/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
  echo "started $name (pid $!)"
}

start_services() {
  start api-server airflow api-server --port "$PORT"
  start scheduler airflow scheduler
  start dag-processor airflow dag-processor
  # --skip-serve-logs: both workers are on one host and would fight over port 8793; the
  # api-server reads the task logs from the shared local log folder.
  # Each worker has its own var/ folder, as two hosts would: tasks may share only XCom,
  # the warehouse and the landing zone.
  TRIAL_WORKER_NAME=worker-a SMARTPROV_VAR_DIR=$T/var-a start worker-a airflow celery worker -H worker-a@%h -c 1 --skip-serve-logs
  TRIAL_WORKER_NAME=worker-b SMARTPROV_VAR_DIR=$T/var-b start worker-b airflow celery worker -H worker-b@%h -c 1 --skip-serve-logs
  log "waiting for the api-server, both workers and the parsed DAGs"
  for _ in $(seq 120); do
    if curl -sf "http://127.0.0.1:$PORT/api/v2/version" >/dev/null \
       && grep -q "ready" "$RUN/worker-a.log" && grep -q "ready" "$RUN/worker-b.log" \
       && [[ $("${PSQL[@]}" -d $META_DB -c "select count(*) from dag where dag_id like 'smartprov_%'") == 3 ]]; then
      echo "all up"; return 0
    fi
    sleep 2
  done
  echo "services did not come up; logs in $RUN"; exit 1
}

stop_services() {
  for f in "$RUN"/*.pid; do
    [[ -f $f ]] || continue
    local pid; pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then kill -TERM -- "-$pid" 2>/dev/null || true; fi
  done
  sleep 5
  for f in "$RUN"/*.pid; do
    [[ -f $f ]] || continue
    local pid; pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
    rm -f "$f"
  done
}

drop_dbs() {
  for db in $META_DB $WH_DB; do "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; done
  redis-cli -n $REDIS_DB flushdb >/dev/null || true
}

cleanup() {
  local rc=$?
  if [[ ${KEEP:-0} == 1 ]]; then echo "KEEP=1: services left running, DBs kept (bash $0 stop)"; return; fi
  log "stopping services, dropping $META_DB and $WH_DB"
  stop_services; drop_dbs
  exit $rc
}

# ---------------------------------------------------------------- runs and checks
meta() { "${PSQL[@]}" -d $META_DB -F $'\t' -c "$1"; }
wh() { "${PSQL[@]}" -d $WH_DB -F $'\t' -c "$1"; }

wait_run() {  # dag_id run_id
  for _ in $(seq 450); do
    local s; s=$(meta "select state from dag_run where dag_id='$1' and run_id='$2'")
    case $s in success|failed) echo "$1 $2: $s"; [[ $s == success ]]; return;; esac
    sleep 2
  done
  echo "$1 $2: timed out"; return 1
}

show_tasks() {  # run_id...
  local ids; ids=$(printf "'%s'," "$@"); ids=${ids%,}
  meta "select dag_id, run_id, task_id, state, hostname, try_number,
               to_char(start_date at time zone 'UTC','HH24:MI:SS.MS') as started,
               to_char(end_date at time zone 'UTC','HH24:MI:SS.MS') as ended,
               round(extract(epoch from end_date-start_date)::numeric, 1) as secs
        from task_instance where run_id in ($ids) order by start_date" | column -t -s $'\t'
}

ledger() {
  echo "ledger:   $(wh "select string_agg(status||'='||n, ' ' order by status) from (select status, count(*) n from audit.submissions group by status) s") total=$(wh "select count(*) from audit.submissions")"
  echo "raw rows: $(wh "select (select count(*) from raw.masterplan_programs)||' masterplan_programs, '||(select count(*) from raw.evaluation_realisations)||' evaluation_realisations'")"
  echo "coverage: $(wh "select count(*) from marts.province_masterplan_coverage where province_code='32'") rows in marts.province_masterplan_coverage for province 32"
}

report_counts() {  # run_id -> counts from the run report that the `report` task wrote (on either worker)
  "$V/python" - "$T" "$1" <<'PY'
import json, sys, pathlib
base, run = pathlib.Path(sys.argv[1]), sys.argv[2]
for p in base.glob("var-*/reports/*/report.json"):
    r = json.loads(p.read_text())
    if r.get("run_id") == run or p.parent.name == run.replace(":", "_"):
        print("report:", p.relative_to(base), r.get("counts")); break
else:
    print("report: none found for", run)
PY
}

trigger() { airflow dags trigger "$1" -r "$2" -o plain > /dev/null; echo "triggered $1 $2"; }

# a replay run started by the nightly run's Asset event (schedule=[smartprov_marts])
wait_asset_replays() {
  sleep 5
  for r in $(meta "select run_id from dag_run where dag_id='smartprov_replay' and run_type='asset_triggered' and state not in ('success','failed')"); do
    wait_run smartprov_replay "$r" || true
  done
}

main() {
  trap cleanup EXIT
  trial_env
  log "scratch venv $T/venv"; make_venv
  log "databases $META_DB, $WH_DB; landing zone; airflow db migrate"; make_dbs
  log "services"; start_services
  airflow dags unpause smartprov_nightly > /dev/null
  airflow dags unpause smartprov_replay > /dev/null

  log "run 1: a fresh warehouse (the scheduled run that unpausing creates, catchup=False)"
  local r1=""
  for _ in $(seq 60); do
    r1=$(meta "select run_id from dag_run where dag_id='smartprov_nightly' and run_type='scheduled' limit 1")
    [[ -n $r1 ]] && break; sleep 2
  done
  [[ -n $r1 ]] || { echo "no scheduled run appeared"; exit 1; }
  wait_run smartprov_nightly "$r1"
  wait_asset_replays
  show_tasks "$r1" $(meta "select run_id from dag_run where dag_id='smartprov_replay'")
  ledger; report_counts "$r1"

  log "run 2: the same landing zone again"
  trigger smartprov_nightly trial-2; wait_run smartprov_nightly trial-2
  wait_asset_replays
  show_tasks trial-2; ledger; report_counts trial-2

  log "runs 3 and 4 triggered together (max_active_runs=1) + a manual replay at the same time"
  trigger smartprov_nightly trial-3; trigger smartprov_nightly trial-4; trigger smartprov_replay trial-replay
  wait_run smartprov_nightly trial-3; wait_run smartprov_nightly trial-4; wait_run smartprov_replay trial-replay
  wait_asset_replays
  show_tasks trial-3 trial-4 trial-replay; ledger

  log "task instances per worker, all runs"
  meta "select hostname, count(*) from task_instance group by 1 order by 1" | column -t -s $'\t'
  echo "celery tasks received: worker-a $(grep -c 'Task execute_workload.*received' "$RUN/worker-a.log" || true), worker-b $(grep -c 'Task execute_workload.*received' "$RUN/worker-b.log" || true)"
}

case ${1:-all} in
  all) main ;;
  stop) trial_env; stop_services; drop_dbs ;;
  *) echo "usage: $0 [all|stop]"; exit 2 ;;
esac
