"""The upload sessions an object store holds, as housekeeping sees them: every id under
``<prefix>uploads/`` with objects or open multipart uploads, whether or not its state object
is still there (a start or a discard that broke off leaves pieces without one), with the
bytes its objects hold and the time the newest of them, or of its multipart uploads, was
written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargohold.storage.base import UploadSession, is_upload_id

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def list_sessions(client: S3Client, bucket: str, base: str) -> list[UploadSession]:
    """The sessions under ``base`` (``<prefix>uploads/``); blocking, for a worker thread."""
    sizes: dict[str, int] = {}
    modified: dict[str, float] = {}

    def seen(key: str, size: int, when: float) -> None:
        upload_id = key[len(base) :].partition("/")[0]
        if not is_upload_id(upload_id):
            return
        sizes[upload_id] = sizes.get(upload_id, 0) + size
        modified[upload_id] = max(modified.get(upload_id, 0.0), when)

    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base):
        for item in page.get("Contents", []):
            seen(item["Key"], item["Size"], item["LastModified"].timestamp())
    multipart = client.get_paginator("list_multipart_uploads")
    for listing in multipart.paginate(Bucket=bucket, Prefix=base):
        for upload in listing.get("Uploads", []):
            seen(upload["Key"], 0, upload["Initiated"].timestamp())
    return [UploadSession(i, sizes[i], modified[i]) for i in sorted(sizes)]


__all__ = ["list_sessions"]
