#!/usr/bin/env bash
# One-shot warehouse setup (service warehouse-init), at every `up`. Idempotent.
# Reads the superuser's and the loader's passwords from the compose secrets and runs
# smartprov.warehouse.pg_roles (roles, schemas, privileges; the loader's password set to the
# secret's, so rotating it is: new secret file, `docker compose up -d`).
set -euo pipefail
PGPASSWORD="$(cat /run/secrets/warehouse_admin_password)"
SMARTPROV_LOADER_PASSWORD="$(cat /run/secrets/warehouse_loader_password)"
export PGPASSWORD SMARTPROV_LOADER_PASSWORD
exec python -m smartprov.warehouse.pg_roles "$@"
