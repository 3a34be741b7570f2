"""How docker's remote repositories address their upstream: an image's name there (Docker
Hub's ``library/`` prefix for single-segment names, as docker adds it), the ``/v2`` path of
a manifest or a blob, and each request through the format-agnostic upstream door with the
``Accept`` header and the token scope docker's own requests carry."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from urllib.parse import urlsplit

from cargohold.core import mediatypes as mt
from cargohold.core.errors import ManifestUnknown
from cargohold.core.names import ImageName
from cargohold.records.repositories import Remote, RepositoryRecord
from cargohold.registry.remote.upstream import Reply, Upstream

DOCKER_HUB = frozenset(
    {"registry-1.docker.io", "index.docker.io", "docker.io", "registry.hub.docker.com"}
)
ACCEPT = ", ".join(sorted(mt.MANIFESTS))


def upstream_image(remote: Remote, image: str) -> str:
    """The image's name at the upstream: Docker Hub's official images live under
    ``library/``, which docker adds to single-segment names."""
    if "/" not in image and urlsplit(remote.upstream).hostname in DOCKER_HUB:
        return f"library/{image}"
    return image


def remote_of(repository: RepositoryRecord) -> Remote:
    if repository.remote is None:
        raise ManifestUnknown(f"repository {repository.key!r} is not a remote repository")
    return repository.remote


def offline(repository: RepositoryRecord, what: str) -> str:
    """What a client is told of content an offline remote repository does not hold."""
    return (
        f"{what} is not cached in remote repository {repository.key!r}, which is offline: "
        f"only cached content is served (`cargohold repo update {repository.key} --online`)"
    )


class DockerUpstream:
    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream

    def path(self, remote: Remote, name: ImageName, kind: str, reference: str) -> str:
        """``/v2/<name at the upstream>/<kind>/<reference>``."""
        return f"/v2/{upstream_image(remote, name.image)}/{kind}/{reference}"

    def open(
        self,
        repository: RepositoryRecord,
        name: ImageName,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
    ) -> AbstractAsyncContextManager[Reply]:
        remote = remote_of(repository)
        return self._upstream.open(
            repository.key,
            remote,
            method,
            path,
            headers={"Accept": ACCEPT, **(headers or {})},
            scope=f"repository:{upstream_image(remote, name.image)}:pull",
        )


def content_range_total(value: str | None) -> int | None:
    """The total of ``Content-Range: bytes 100-199/1000``."""
    if value is None or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


__all__ = [
    "ACCEPT",
    "DOCKER_HUB",
    "DockerUpstream",
    "content_range_total",
    "offline",
    "remote_of",
    "upstream_image",
]
