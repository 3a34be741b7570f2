"""Debian repositories: upload a package (``PUT /deb/REPO/pool/...`` with the matrix
parameters saying where it is listed), and the repository's signing keys."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from cargohold.client.session import RestSession, segment
from cargohold.wire.deb import DebUploaded
from cargohold.wire.signing import SigningKeys

PIECE = 1024 * 1024


def pool_path(filename: str, component: str) -> str:
    """Where Debian's own archive puts a package: ``pool/main/h/hello/hello_2.10_amd64.deb``
    (``lib`` packages under ``libX``)."""
    name = filename.split("_", 1)[0]
    letter = name[:4] if name.startswith("lib") and len(name) > 3 else name[:1]
    return f"pool/{component}/{letter}/{name}/{filename}"


class DebRepositories:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def upload(
        self,
        repository: str,
        file: Path,
        distributions: Sequence[str],
        components: Sequence[str],
        architecture: str | None = None,
        path: str | None = None,
    ) -> DebUploaded:
        """Upload ``file`` (a .deb) and list it in ``distributions`` x ``components``; at
        ``path`` in the repository, by default where Debian's archive would put it."""
        where = path or pool_path(file.name, components[0] if components else "main")
        parameters = f";deb.distribution={','.join(quote(d) for d in distributions)}"
        parameters += f";deb.component={','.join(quote(c) for c in components)}"
        if architecture:
            parameters += f";deb.architecture={quote(architecture)}"
        target = f"/deb/{segment(repository)}/{quote(where)}{parameters}"
        headers = {
            "Content-Type": "application/vnd.debian.binary-package",
            "Content-Length": str(file.stat().st_size),
        }
        return self._session.send_file(
            "PUT", target, DebUploaded, _pieces(file), headers, timeout=600
        )

    def keys(self, repository: str) -> SigningKeys:
        path = f"/repositories/{segment(repository)}/signing-keys"
        return self._session.call_object("GET", path, SigningKeys)

    def rotate_key(self, repository: str, grace_days: float) -> SigningKeys:
        path = f"/repositories/{segment(repository)}/signing-keys"
        return self._session.call_object("POST", path, SigningKeys, body={"graceDays": grace_days})


def _pieces(file: Path) -> Iterator[bytes]:
    with file.open("rb") as handle:
        while piece := handle.read(PIECE):
            yield piece


__all__ = ["DebRepositories", "pool_path"]
