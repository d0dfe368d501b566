#!/usr/bin/env bash
# `make compose-check`: the compose stack, run for real on this machine, as a site would:
#   1. a Docker engine and Compose v2 (installed and started when missing: compose-check/engine.sh);
#   2. stand-ins for the images no registry gives us here (PostgreSQL, nginx, the S3 server, the
#      mail catcher, Airflow's slim base), built from Debian's and PyPI's packages
#      (compose-check/base.sh, compose-check/standins.Dockerfile) and chosen through the check's
#      own .env and compose-check/override.yml: docker-compose.yml itself is what sites get;
#   3. in a copy of this working tree (its own .env, site.env and secrets/, so the operator's are
#      never touched): `config` for every profile, `build` (the image once), `up -d --wait`,
#      `make smoke` (doctor, upload, nightly through the REST API, report through `reports`,
#      digest at the catcher), `down` + `up` with the data kept, a pg_dump/pg_restore drill
#      inside the stack, `down -v`.
# Prints a summary (build time, time to healthy, smoke result) and keeps it in
# $CHECK_STATE/summary.txt. Needs root or sudo (apt, dockerd, debootstrap) on Debian 12.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export CHECK_STATE="${CHECK_STATE:-/var/tmp/smartprov-compose-check}"
mkdir -p "$CHECK_STATE"
summary="$CHECK_STATE/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
now() { date +%s; }
started=$(now)

# -- 1. engine and compose --------------------------------------------------------------------
export DOCKER_CONFIG="${DOCKER_CONFIG:-$CHECK_STATE/docker-config}"
had_pid=""; [ -s "$CHECK_STATE/dockerd.pid" ] && had_pid="$(cat "$CHECK_STATE/dockerd.pid")"
host_line="$(bash "$repo/docker/compose-check/engine.sh" | tail -n 1)"
[ -n "${host_line#DOCKER_HOST=}" ] && export DOCKER_HOST="${host_line#DOCKER_HOST=}"
our_pid=""
if [ -s "$CHECK_STATE/dockerd.pid" ] && [ "$(cat "$CHECK_STATE/dockerd.pid")" != "$had_pid" ]; then
  our_pid="$(cat "$CHECK_STATE/dockerd.pid")"  # started by this run: stopped at the end
fi
note "engine: $(docker version --format 'server {{.Server.Version}}'), $(docker compose version --short | sed 's/^/compose /')"

# -- 2. stand-in images -----------------------------------------------------------------------
t=$(now)
bash "$repo/docker/compose-check/base.sh"
ctx="$CHECK_STATE/standins-context"
rm -rf "$ctx" && mkdir -p "$ctx"
cp "$repo"/docker/compose-check/* "$ctx/"
cp "${CHECK_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/ca-certificates.crt"
tag=smartprov-check
for target in airflow-base postgres nginx tools; do
  docker buildx build --quiet --network host --target "$target" -t "$tag/$target:1" \
    -f "$ctx/standins.Dockerfile" "$ctx" >/dev/null
done
note "stand-in images: $(( $(now) - t )) s"

# -- 3. a copy of the working tree with the check's own settings -------------------------------
src="$CHECK_STATE/src"
rm -rf "$src" && mkdir -p "$src"
tar -C "$repo" --exclude=./.git --exclude=./.venv --exclude=./var --exclude=./secrets \
  --exclude=./.env --exclude=./site.env --exclude='./dbt/target*' --exclude=./dbt/logs \
  --exclude='*/__pycache__' --exclude=./bench/work -cf - . | tar -C "$src" -xf -
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cp "$src/.env.example" "$src/.env"
cat >> "$src/.env" <<ENV
# -- compose-check: stand-in images, free loopback ports, the bundled S3 and catcher
AIRFLOW_IMAGE=$tag/airflow-base:1
SMARTPROV_IMAGE=$tag/smartprov-airflow:check
POSTGRES_IMAGE=$tag/postgres:1
NGINX_IMAGE=$tag/nginx:1
MINIO_IMAGE=$tag/tools:1
MC_IMAGE=$tag/tools:1
MAILPIT_IMAGE=$tag/tools:1
LANDING_ENDPOINT_URL=http://minio:9000
REPORTS_BASE_URL=http://reports:8080
AIRFLOW_HOST_PORT=$(free_port)
WAREHOUSE_HOST_PORT=$(free_port)
REPORTS_HOST_PORT=$(free_port)
MINIO_HOST_PORT=$(free_port)
MINIO_CONSOLE_HOST_PORT=$(free_port)
MAILPIT_UI_HOST_PORT=$(free_port)
MAILPIT_SMTP_HOST_PORT=$(free_port)
MARQUEZ_WEB_PORT=$(free_port)
SMARTPROV_PROVINCE=32
ENV
cat > "$src/site.env" <<'ENV'
AIRFLOW_CONN_SMTP_DEFAULT={"conn_type": "smtp", "host": "mailpit", "port": 1025, "extra": {"from_email": "smartprov@example.invalid", "disable_tls": true, "disable_ssl": true}}
SMARTPROV_ALERTS_FROM=smartprov@example.invalid
SMARTPROV_ALERTS_DIGEST_TO=datin@example.invalid
SMARTPROV_ALERTS_FAILURE_TO=oncall@example.invalid
SMARTPROV_PUBLIC_BASE_URL=http://reports:8080
ENV
# A site sets its own masterplan due date (the shipped one is a placeholder `doctor` refuses).
sed -i 's/^MASTERPLAN: {date: [0-9-]*}/MASTERPLAN: {date: 2026-06-30}/' "$src/config/deadlines.yml"
(cd "$src" && sh docker/make-secrets.sh >/dev/null)
grep -q '^LANDING_SECRET_KEY=.' "$src/.env" || { echo "make-secrets.sh left LANDING_SECRET_KEY empty" >&2; exit 1; }

compose=(docker compose -p smartprov-check --project-directory "$src" -f "$src/docker-compose.yml"
         -f "$src/docker/compose-check/override.yml" --profile minio --profile dev)
cleanup() {
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  if [ -n "$our_pid" ] && [ -z "${CHECK_KEEP_ENGINE:-}" ]; then
    kill "$our_pid" 2>/dev/null || sudo kill "$our_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

for profiles in "" "--profile minio" "--profile dev" "--profile cli" "--profile lineage" \
                "--profile celery --profile minio" \
                "--profile minio --profile dev --profile cli --profile lineage --profile celery"; do
  # shellcheck disable=SC2086
  docker compose -p smartprov-check --project-directory "$src" -f "$src/docker-compose.yml" $profiles config -q \
    || { note "config: FAILED with profiles '${profiles:-default}'"; exit 1; }
done
note "config: every profile validates (default, minio, dev, cli, lineage, celery + minio, all)"

# -- 4. build, up, smoke -----------------------------------------------------------------------
t=$(now)
"${compose[@]}" build >"$CHECK_STATE/build.log" 2>&1 || { tail -n 40 "$CHECK_STATE/build.log"; note "build: FAILED"; exit 1; }
builds="$(grep -c 'naming to .*smartprov-airflow' "$CHECK_STATE/build.log" || true)"
note "image build: $(( $(now) - t )) s (smartprov image tagged $builds time(s))"

t=$(now)
"${compose[@]}" up -d --wait >"$CHECK_STATE/up.log" 2>&1 || {
  tail -n 30 "$CHECK_STATE/up.log"; "${compose[@]}" ps -a; note "up: FAILED"; exit 1; }
note "up -d --wait: healthy after $(( $(now) - t )) s ($("${compose[@]}" ps --format '{{.Service}}' | wc -l) services running)"

t=$(now)
smoke_env=(SMARTPROV_SMOKE_MAIL_API=http://mailpit:8025 SMARTPROV_SMOKE_TIMEOUT="${CHECK_SMOKE_TIMEOUT:-1500}")
if env "${smoke_env[@]}" make -s -C "$src" smoke COMPOSE="${compose[*]}" >"$CHECK_STATE/smoke.log" 2>&1; then
  note "smoke: PASSED in $(( $(now) - t )) s"
  grep -v -e '^ Container ' -e '^   … ' "$CHECK_STATE/smoke.log" | sed 's/^/  | /' | tee -a "$summary"
else
  grep -v -e '^ Container ' "$CHECK_STATE/smoke.log" | sed 's/^/  | /' | tee -a "$summary"
  note "smoke: FAILED"; exit 1
fi

psql_wh() { "${compose[@]}" exec -T warehouse psql -U postgres -d "$1" -tAc "$2"; }
submissions="$(psql_wh smartprov 'SELECT count(*) FROM audit.submissions')"

# -- 5. down and up again: the data stays --------------------------------------------------------
t=$(now)
"${compose[@]}" down >/dev/null 2>&1
"${compose[@]}" up -d --wait >>"$CHECK_STATE/up.log" 2>&1 || { note "second up: FAILED"; exit 1; }
again="$(psql_wh smartprov 'SELECT count(*) FROM audit.submissions')"
[ "$again" = "$submissions" ] && [ "$again" -gt 0 ] || { note "down/up: submissions $submissions -> $again"; exit 1; }
note "down + up: healthy again after $(( $(now) - t )) s, $again submission(s) kept"

# -- 6. backup and restore drill inside the stack (docs/operations.md) ---------------------------
"${compose[@]}" exec -T warehouse pg_dump -U postgres -Fc smartprov > "$CHECK_STATE/smartprov.dump"
psql_wh postgres 'DROP DATABASE IF EXISTS smartprov_restored' >/dev/null
"${compose[@]}" exec -T warehouse createdb -U postgres smartprov_restored
"${compose[@]}" exec -T warehouse pg_restore -U postgres --exit-on-error --single-transaction \
  -d smartprov_restored < "$CHECK_STATE/smartprov.dump"
restored="$(psql_wh smartprov_restored 'SELECT count(*) FROM audit.submissions')"
marts="$(psql_wh smartprov_restored "SELECT count(*) FROM information_schema.tables WHERE table_schema LIKE '%marts'")"
[ "$restored" = "$again" ] && [ "$marts" -gt 0 ] || { note "restore drill: $restored of $again submissions, $marts marts"; exit 1; }
psql_wh postgres 'DROP DATABASE smartprov_restored' >/dev/null
note "restore drill: pg_dump $(du -k "$CHECK_STATE/smartprov.dump" | cut -f1) kB, restored $restored submission(s) and $marts mart table(s)"

# -- 7. down -v ---------------------------------------------------------------------------------
"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1
left="$(docker volume ls -q --filter label=com.docker.compose.project=smartprov-check | wc -l)"
[ "$left" = 0 ] || { note "down -v left $left volume(s)"; exit 1; }
note "down -v: no volume left; compose-check PASSED in $(( $(now) - started )) s"
