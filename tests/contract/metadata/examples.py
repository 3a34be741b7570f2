"""Records the contracts store: small, valid, and named after what they stand for."""

from __future__ import annotations

import hashlib

from cargohold.meta.effects import Effects, ScanRequest
from cargohold.meta.store import MetadataStore
from cargohold.records.events import EventRecord, NewDelivery
from cargohold.records.generic import GenericFileRecord
from cargohold.records.identity import AuditRecord
from cargohold.records.jobs import NewJob
from cargohold.records.oci import ManifestRecord, NewManifest
from cargohold.records.repositories import RepositoryRecord

IMAGE_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
SBOM = "application/vnd.cyclonedx+json"
SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json"


def digest(content: str) -> str:
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()


def repository(
    meta: MetadataStore, key: str, *, immutable_tags: bool = False, format: str = "docker"
) -> RepositoryRecord:
    record = RepositoryRecord(key, format, "local", False, immutable_tags=immutable_tags)
    assert meta.repositories.create(record)
    return record


def manifest(
    content: str,
    *,
    artifact_type: str | None = None,
    subject: str | None = None,
    annotations: dict[str, str] | None = None,
) -> ManifestRecord:
    return ManifestRecord(
        digest(content),
        IMAGE_MANIFEST,
        len(content),
        artifact_type,
        subject,
        annotations or {},
    )


def new_manifest(
    repository: str,
    name: str,
    record: ManifestRecord,
    tag: str | None = None,
    *,
    children: tuple[str, ...] = (),
    immutable_tags: bool = False,
) -> NewManifest:
    return NewManifest(repository, name, record, children, tag, immutable_tags)


def audit(
    action: str,
    target: str,
    *,
    repository: str | None = "dev",
    time: float = 100.0,
    principal: str = "alice",
) -> AuditRecord:
    return AuditRecord(time, principal, None, action, target, repository, 201, "ok", "127.0.0.1")


def event(
    event_id: str,
    subject: str,
    *,
    repository: str | None = "dev",
    kind: str = "push",
    time: float = 100.0,
    data: dict[str, object] | None = None,
) -> EventRecord:
    return EventRecord(
        0,
        event_id,
        f"dev.cargohold.artifact.{kind}",
        f"/repositories/{repository}",
        subject,
        repository,
        time,
        dict(data or {"tag": "1.0"}),
    )


def delivery(delivery_id: str, webhook_id: str, subject: str) -> NewDelivery:
    """A delivery with its job, keyed per webhook and subject as the emitter keys it."""
    job = NewJob("webhook.deliver", {"webhook": webhook_id}, key=f"deliver:{webhook_id}:{subject}")
    return NewDelivery(delivery_id, webhook_id, job)


def everything(tag: str = "push", *, time: float = 100.0, webhook: str | None = None) -> Effects:
    """Effects of every kind: an audit record, an event (with a delivery to ``webhook``), a
    scan request and a job, each named after ``tag``."""
    deliveries = () if webhook is None else (delivery(f"d-{tag}", webhook, f"team/{tag}"),)
    return Effects(
        time,
        audit=(audit(f"{tag}.audit", f"dev/team/{tag}", time=time),),
        events=((event(f"event-{tag}", f"team/{tag}", time=time), deliveries),),
        scans=(
            ScanRequest(
                digest(f"scanned-{tag}"),
                "image",
                f"dev/team/{tag}",
                "cache-1",
                NewJob("scan", {"digest": digest(f"scanned-{tag}")}, key=f"scan:{tag}"),
            ),
        ),
        jobs=(NewJob("gc", {"why": tag}),),
    )


def file(
    repository: str,
    path: str,
    content: str = "x",
    *,
    at: float = 100.0,
    by: str = "alice",
) -> GenericFileRecord:
    return GenericFileRecord(
        repository,
        path,
        digest(content),
        len(content),
        hashlib.sha1(content.encode()).hexdigest(),
        hashlib.md5(content.encode()).hexdigest(),
        at,
        at,
        by,
    )


__all__ = [
    "IMAGE_MANIFEST",
    "SBOM",
    "SIGNATURE",
    "audit",
    "delivery",
    "digest",
    "event",
    "everything",
    "file",
    "manifest",
    "new_manifest",
    "repository",
]
