"""An image's SBOM attached to it as an OCI referrer (image-spec 1.1): an artifact manifest
whose ``subject`` is the image, so ``oras discover`` and the referrers API list it next to
signatures and attestations. Attaching one needs ``write`` on the image's repository, and
commits its audit record and its "push" event with the referrer."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cargohold.core import mediatypes as mt
from cargohold.core.digest import Digest
from cargohold.core.names import ImageName, Reference
from cargohold.core.times import rfc3339
from cargohold.registry.consequences import Consequences
from cargohold.registry.events.emitter import Happened
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action
from cargohold.registry.insight.reports import SBOM_FORMATS, Insight, split_reference
from cargohold.registry.oci.blobs import Blobs
from cargohold.registry.oci.manifests import Manifests
from cargohold.registry.repositories import Repositories

EMPTY_CONFIG = b"{}"
FILE_NAMES = {"cyclonedx": "sbom.cdx.json", "spdx": "sbom.spdx.json"}


@dataclass(frozen=True, slots=True)
class Attached:
    digest: str  # of the referrer manifest
    subject: str  # the image's digest
    artifact_type: str
    image: str  # REPO/NAME it was pushed to


class SbomReferrers:
    def __init__(
        self,
        insight: Insight,
        manifests: Manifests,
        blobs: Blobs,
        repositories: Repositories,
        access: AccessControl,
        consequences: Consequences,
    ) -> None:
        self._insight = insight
        self._manifests = manifests
        self._blobs = blobs
        self._repositories = repositories
        self._access = access
        self._then = consequences

    async def attach(self, actor: Actor, image: str, fmt: str) -> Attached:
        """Push the SBOM of ``image`` (a reference) as a referrer of it, in its repository."""
        principal = actor.principal
        text, _ = split_reference(image)
        name = ImageName.parse(text)
        repository = await self._repositories.get(name.repository)
        self._access.check(principal, repository, Action.WRITE, name.image)
        target = await self._insight.locate(principal, image=image)
        subject = await self._manifests.resolve(name, Reference(digest=Digest.parse(target.digest)))
        media_type, document = await self._insight.sbom(principal, target.digest, fmt)
        data = document.encode()
        sbom_digest = Digest.of(data)
        config_digest = Digest.of(EMPTY_CONFIG)
        await self._blobs.put_small(name, config_digest, EMPTY_CONFIG)
        await self._blobs.put_small(name, sbom_digest, data)
        scan = await self._insight.scan(principal, target.digest)
        manifest = {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "artifactType": media_type,
            "config": {
                "mediaType": mt.OCI_EMPTY,
                "digest": str(config_digest),
                "size": len(EMPTY_CONFIG),
            },
            "layers": [
                {
                    "mediaType": media_type,
                    "digest": str(sbom_digest),
                    "size": len(data),
                    "annotations": {"org.opencontainers.image.title": FILE_NAMES[fmt]},
                }
            ],
            "subject": {
                "mediaType": subject.media_type,
                "digest": subject.digest,
                "size": subject.size,
            },
            "annotations": {
                "org.opencontainers.image.created": rfc3339(scan.scanned_at or 0, "seconds"),
                "dev.cargohold.sbom.format": fmt,
            },
        }
        body = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
        digest = Digest.of(body)
        pushed = Happened(
            "push",
            name.repository,
            name.image,
            {
                "repository": name.repository,
                "image": name.image,
                "name": str(name),
                "digest": str(digest),
                "tag": None,
                "mediaType": mt.OCI_MANIFEST,
                "artifactType": media_type,
                "subject": subject.digest,
            },
            actor=actor.name,
        )
        recorded = self._then.audit.entry(actor, "sbom.attach", "sbom/attach", status=201)
        effects = recorded + await self._then.events.effects([pushed])
        await self._manifests.store(
            name, repository, Reference(digest=digest), body, digest, mt.OCI_MANIFEST, effects
        )
        return Attached(str(digest), subject.digest, media_type, str(name))


__all__ = ["FILE_NAMES", "SBOM_FORMATS", "Attached", "SbomReferrers"]
