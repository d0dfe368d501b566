#!/bin/sh
# Regency users in bulk (profile `minio`): one MinIO user per region code read from stdin (one
# a line, e.g. 32.01), named by the code, with the policy smartprov-regency (its own folder
# `<code>/` only). Prints a CSV to hand out: region_code,access_key,secret_key,bucket,folder.
# Existing users are left alone (listed with an empty secret): re-running never rotates.
#
#   awk -F, '$2 == "32" {print $1}' dbt/seeds/ref_regencies.csv \
#     | docker compose --profile minio run --rm -T --entrypoint /bin/sh minio-init \
#         /policies/add-regency-users.sh > regency-credentials.csv
#
# Folder names are Kemendagri codes with their dot (32.01), as the pipeline reads them: a
# code written 3201 would make every upload UNKNOWN_REGION, so it is refused here.
set -eu
bucket="${LANDING_BUCKET:-landing}"
codes=$(tr -d '\r' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' -e '/^#/d')
bad=$(printf '%s\n' "$codes" | grep -Ev '^[0-9]{2}\.[0-9]{2}$' || true)
if [ -n "$bad" ]; then
  echo "not a region code (write it as 32.01, with the dot): $(echo $bad)" >&2
  exit 2
fi
[ -n "$codes" ] || { echo "no region codes on stdin" >&2; exit 2; }

MINIO_ROOT_PASSWORD="$(cat /run/secrets/minio_root_password)"
mc alias set smartprov "http://minio:9000" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
echo "region_code,access_key,secret_key,bucket,folder"
for code in $codes; do
  if mc admin user info smartprov "$code" >/dev/null 2>&1; then
    echo "$code,$code,,$bucket,$code/"
    continue
  fi
  secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mc admin user add smartprov "$code" "$secret" >/dev/null
  mc admin policy attach smartprov smartprov-regency --user "$code" >/dev/null
  echo "$code,$code,$secret,$bucket,$code/"
done
