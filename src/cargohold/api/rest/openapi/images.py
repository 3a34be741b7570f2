"""The operations that delete images of docker repositories: a tag, or a manifest."""

from __future__ import annotations

from cargohold.api.rest.openapi.operations import Json, operation, parameter, response
from cargohold.wire.repositories import ImageDeletion

DELETE_RIGHT = "Needs `delete` on the repository, as the registry API's DELETE."


def image_paths() -> Json:
    image = [
        parameter("key", "The docker repository.", where="path"),
        parameter("name", "The image inside it, e.g. team/app.", where="path"),
    ]
    return {
        "/docker/{key}/images/{name}/tags/{tag}": {
            "parameters": [*image, parameter("tag", "The tag.", where="path")],
            "delete": operation(
                "deleteImageTag",
                "Delete a tag; the manifest it points to stays (untagged when no other tag "
                "points to it).",
                DELETE_RIGHT + " Refused (403) in a repository with immutable tags.",
                {"200": response("Deleted; says which manifest stays.", ImageDeletion)},
                "400 401 403 404 429",
            ),
        },
        "/docker/{key}/images/{name}/manifests/{digest}": {
            "parameters": [*image, parameter("digest", "The manifest digest.", where="path")],
            "delete": operation(
                "deleteImageManifest",
                "Delete a manifest with every tag that points to it.",
                DELETE_RIGHT + " Refused (403) for a tagged manifest where tags are immutable.",
                {"200": response("Deleted; lists the tags that went with it.", ImageDeletion)},
                "400 401 403 404 429",
            ),
        },
    }


__all__ = ["image_paths"]
