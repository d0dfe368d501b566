#!/bin/sh
# One-shot MinIO setup (service minio-init). Idempotent: safe at every `docker compose up`.
#   - the landing bucket, with versioning (an overwritten upload keeps its earlier version);
#   - policies: smartprov-pipeline (list + read the bucket), smartprov-regency (each user
#     uploads to and reads its own folder, named by its access key = the region code);
#   - the pipeline's user (LANDING_ACCESS_KEY / LANDING_SECRET_KEY) with smartprov-pipeline;
#   - the shared bucket (SHARED_BUCKET: quarantine, run reports and Data Docs when
#     SMARTPROV_SHARED_URL points there, docs/scale-out.md), which only the pipeline's user
#     may read and write (policy smartprov-shared); regency users never see it.
# Regency users are added by an operator (docs/production.md), not here.
set -eu
bucket="${LANDING_BUCKET:-landing}"
shared="${SHARED_BUCKET:-smartprov-shared}"

MINIO_ROOT_PASSWORD="$(cat /run/secrets/minio_root_password)"
mc alias set smartprov "http://minio:9000" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "smartprov/$bucket"
mc version enable "smartprov/$bucket"
mc anonymous set none "smartprov/$bucket"
mc mb --ignore-existing "smartprov/$shared"
mc anonymous set none "smartprov/$shared"

# The policies name the bucket "landing"; another LANDING_BUCKET is written into a copy.
for policy in pipeline regency; do
  sed "s/arn:aws:s3:::landing/arn:aws:s3:::$bucket/g" "/policies/$policy-policy.json" > "/tmp/$policy-policy.json"
  mc admin policy create smartprov "smartprov-$policy" "/tmp/$policy-policy.json"
done
sed "s/arn:aws:s3:::smartprov-shared/arn:aws:s3:::$shared/g" /policies/shared-policy.json > /tmp/shared-policy.json
mc admin policy create smartprov smartprov-shared /tmp/shared-policy.json

mc admin user add smartprov "$LANDING_ACCESS_KEY" "$LANDING_SECRET_KEY"
mc admin policy attach smartprov smartprov-pipeline --user "$LANDING_ACCESS_KEY" 2>/dev/null \
  || echo "policy smartprov-pipeline already attached to $LANDING_ACCESS_KEY"
mc admin policy attach smartprov smartprov-shared --user "$LANDING_ACCESS_KEY" 2>/dev/null \
  || echo "policy smartprov-shared already attached to $LANDING_ACCESS_KEY"
echo "minio-init: buckets $bucket and $shared ready"
