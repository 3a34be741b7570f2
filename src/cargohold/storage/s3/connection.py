"""One S3 client per store; its blocking calls run on worker threads, a bounded number at once.

boto3's client is thread-safe and keeps a pool of HTTP connections: one client per store,
with ``CONNECTIONS`` pooled connections, and an anyio capacity limiter that lets at most
``THREADS`` S3 calls wait on the network at a time (a crowd of uploads queues there instead of
taking every worker thread of the process). Errors are translated here, once: a missing key,
a failed precondition and an unsatisfiable range are answers the store acts on; anything
else (no connection, refused credentials, a server error after botocore's retries) is
``StorageUnavailable``, a 503 the client may retry.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import boto3
from anyio import CapacityLimiter, to_thread
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cargohold.core.errors import StorageUnavailable
from cargohold.storage.s3.location import S3Location

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")
log = logging.getLogger("cargohold.storage")

THREADS = 16
CONNECTIONS = 64
_MISSING = frozenset({"NoSuchKey", "NoSuchUpload", "NotFound", "404"})
_PRECONDITION = frozenset({"PreconditionFailed", "412"})
_RANGE = frozenset({"InvalidRange", "416"})


class ObjectMissing(Exception):
    """The key (or the multipart upload) does not exist."""


class ConditionFailed(Exception):
    """An If-Match / If-None-Match condition did not hold."""


class RangeNotSatisfiable(Exception):
    """The range starts at or past the end of the object."""


@functools.cache
def _session() -> boto3.session.Session:
    """One per process: it loads S3's service model once for every client made from it.
    Credentials are the client's own (given, or the environment's)."""
    return boto3.session.Session()


class S3Connection:
    def __init__(self, location: S3Location, credentials: tuple[str, str] | None = None) -> None:
        self.location = location
        self.bucket = location.bucket
        self.client: S3Client = _session().client(
            "s3",
            region_name=location.region,
            endpoint_url=location.endpoint,
            aws_access_key_id=credentials[0] if credentials else None,
            aws_secret_access_key=credentials[1] if credentials else None,
            config=Config(
                signature_version="s3v4",
                # Servers other than AWS's are addressed by path: their buckets have no DNS names.
                s3={"addressing_style": "path" if location.endpoint else "auto"},
                max_pool_connections=CONNECTIONS,
                retries={"max_attempts": 4, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
            ),
        )
        self._limiter = CapacityLimiter(THREADS)

    async def run(self, call: Callable[[S3Client], T]) -> T:
        """``call(client)`` on a worker thread, its S3 errors translated."""
        return await to_thread.run_sync(self.blocking, call, limiter=self._limiter)

    def blocking(self, call: Callable[[S3Client], T]) -> T:
        """``call(client)`` on this thread, its S3 errors translated."""
        try:
            return call(self.client)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise ObjectMissing(code) from exc
            if code in _PRECONDITION:
                raise ConditionFailed(code) from exc
            if code in _RANGE:
                raise RangeNotSatisfiable(code) from exc
            raise self.unavailable(exc) from exc
        except BotoCoreError as exc:
            raise self.unavailable(exc) from exc

    def unavailable(self, exc: Exception) -> StorageUnavailable:
        # Where the object store is and what it said is for the operator's log, not the client.
        log.warning("object store %s failed: %s", self.location, exc)
        return StorageUnavailable(
            "the registry's object store failed; retry later (an interrupted upload can be "
            "resumed). The server's log says why"
        )


__all__ = [
    "CONNECTIONS",
    "THREADS",
    "ConditionFailed",
    "ObjectMissing",
    "RangeNotSatisfiable",
    "S3Connection",
]
