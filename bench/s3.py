"""An S3 landing zone for the benchmark: a moto server on loopback, a bucket, an upload.

The pipeline reaches it exactly as production reaches S3: `s3://bucket/prefix` and the
`smartprov_landing` Airflow connection (an `AIRFLOW_CONN_SMARTPROV_LANDING` variable with
the server's endpoint), nothing mocked in-process.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ACCESS_KEY, SECRET_KEY = "bench-access", "bench-secret"


class S3Landing:
    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        import boto3

        self.client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )

    def env(self) -> dict[str, str]:
        """What a child process needs to reach this server as the `smartprov_landing` connection."""
        conn = {
            "conn_type": "aws",
            "login": ACCESS_KEY,
            "password": SECRET_KEY,
            "extra": {"endpoint_url": self.endpoint, "region_name": "us-east-1"},
        }
        return {"AIRFLOW_CONN_SMARTPROV_LANDING": json.dumps(conn)}

    def upload(self, folder: Path, bucket: str, prefix: str = "landing") -> str:
        """Every file under `folder` as `prefix/<relative path>`; returns the landing URL."""
        self.client.create_bucket(Bucket=bucket)
        files = [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]

        def put(p: Path) -> None:
            key = f"{prefix}/{p.relative_to(folder).as_posix()}"
            self.client.put_object(Bucket=bucket, Key=key, Body=p.read_bytes())

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, files))
        return f"s3://{bucket}/{prefix}"

    def stop(self) -> None:
        self.server.stop()


def strip_aws_env(env: dict[str, str]) -> dict[str, str]:
    """Only the connection may point at the server: no ambient AWS settings."""
    return {k: v for k, v in env.items() if not k.startswith("AWS_")}
