"""Images of docker repositories through the REST API: delete a tag or a manifest."""

from __future__ import annotations

from cargohold.client.lifecycle import Artifact
from cargohold.client.session import RestSession, segment
from cargohold.wire.repositories import ImageDeletion


class Images:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def delete(self, image: Artifact) -> ImageDeletion:
        """Delete ``image``'s tag (its manifest stays) or, by digest, its manifest with
        every tag that points to it."""
        if image.digest is not None:
            what = f"manifests/{segment(image.digest)}"
        elif image.tag is not None:
            what = f"tags/{segment(image.tag)}"
        else:
            raise ValueError("name a tag (REPO/IMAGE:TAG) or a digest (REPO/IMAGE@DIGEST)")
        name = "/".join(segment(part) for part in image.image.split("/"))
        path = f"/docker/{segment(image.repository)}/images/{name}/{what}"
        return self._session.call_object("DELETE", path, ImageDeletion)


__all__ = ["ImageDeletion", "Images"]
