"""compose-check's stand-in for minio-init: the landing bucket, versioned, and the shared
bucket (SMARTPROV_SHARED_URL with the celery profile), on the moto server.

moto does not enforce IAM, so the users and policies of docker/minio/minio-init.sh are not
made here; what the pipeline needs from the service (the bucket) is."""

import os
import time

import boto3

bucket = os.environ.get("LANDING_BUCKET") or "landing"
shared = os.environ.get("SHARED_BUCKET") or "smartprov-shared"
s3 = boto3.client(
    "s3",
    endpoint_url="http://minio:9000",
    region_name="us-east-1",
    aws_access_key_id=os.environ["MINIO_ROOT_USER"],
    aws_secret_access_key=open("/run/secrets/minio_root_password").read().strip(),
)
for _ in range(30):
    try:
        s3.list_buckets()
        break
    except Exception:  # noqa: BLE001 - the server is still starting
        time.sleep(1)
if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
    s3.create_bucket(Bucket=bucket)
s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
if shared not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
    s3.create_bucket(Bucket=shared)
print(f"s3-init: buckets {bucket} and {shared} ready")
