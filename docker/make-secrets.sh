#!/usr/bin/env sh
# Writes one random secret per file under secrets/ (or $SECRETS_DIR) for docker compose's
# `secrets:`, keeping any file that already exists (so re-running never rotates by accident).
# Rotation is a runbook step (docs/operations.md): some secrets need ALTER ROLE first.
set -eu
dir="${SECRETS_DIR:-$(dirname "$0")/../secrets}"
mkdir -p "$dir"
# The folder is private on the host (0700). Compose (without swarm) bind-mounts each file into
# the containers with its host mode, and the containers run as other users (AIRFLOW_UID,
# postgres): the files themselves must be readable (0644) for them.
chmod 0700 "$dir"
umask 022
token() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
for name in airflow_db_password airflow_jwt_secret airflow_api_secret_key airflow_admin_password \
            warehouse_admin_password warehouse_loader_password minio_root_password \
            marquez_db_password portal_secret; do
  [ -s "$dir/$name" ] || { token > "$dir/$name"; echo "wrote $dir/$name"; }
done
# Fernet keys are 32 url-safe base64-encoded bytes.
[ -s "$dir/airflow_fernet_key" ] || {
  python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())' > "$dir/airflow_fernet_key"
  echo "wrote $dir/airflow_fernet_key"
}
# The landing zone's pipeline key lives in .env (compose builds it into the Connection's JSON,
# which no secret file can feed). An empty one is filled here, so `docker compose config` never
# stops on it: with `--profile minio`, minio-init creates that user with this key; on AWS S3 or
# another store, replace it with the key of the pipeline's read-only user there.
env_file="${ENV_FILE:-$(dirname "$0")/../.env}"
if [ -f "$env_file" ] && grep -qx 'LANDING_SECRET_KEY=' "$env_file"; then
  key="$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')"
  sed -i "s|^LANDING_SECRET_KEY=\$|LANDING_SECRET_KEY=$key|" "$env_file"
  echo "wrote LANDING_SECRET_KEY in $env_file (MinIO: minio-init creates the user; AWS: put the IAM user's key)"
fi
echo "UI login: user \${AIRFLOW_ADMIN_USER:-admin}, password in $dir/airflow_admin_password"
