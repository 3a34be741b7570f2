"""Container images a user deployed as a plain tar file: an OCI image layout (``oci-layout`` and
``index.json`` at the top, blobs under ``blobs/<algorithm>/<hex>``: ``skopeo copy …
oci-archive:``, ``buildx --output type=oci``, ``docker save`` since Docker 25) or a
``docker save`` archive (``manifest.json`` listing each image's ``Config``, ``RepoTags`` and
``Layers``). A tar with both is read as the OCI layout, which names manifest digests.

The tar is opened once and read in place: each layer's ``open()`` streams its blob out of the
tar, so nothing is copied. Layers share the tar's file handle: read them one at a time (as
``apply_layers`` does), and only while the archive is open. Close it with ``close()`` or use
it as a context manager::

    with open_image_archive(path, budget) as archive:  # after checking it is not None
        for image in archive.images:
            with apply_layers(image.layers, tmp_dir, budget) as view:
                inventory = walk(view.files(), CATALOGERS, limits, tmp_dir=tmp_dir, budget=budget)

What is read, and its bounds:

- OCI layouts: index.json's manifests, through nested indexes (``MAX_INDEX_DEPTH``), in
  order. Only image manifests count: an image config and tar layers; artifacts (signatures,
  SBOMs, build attestations) are skipped. A manifest the layout does not hold is skipped: an
  index often lists every platform of an image while the archive holds one. The name is the
  ``io.containerd.image.name`` annotation (the full reference Docker writes), else
  ``org.opencontainers.image.ref.name``, inherited by the manifests of a named index.
- docker-archives: each manifest.json entry, named by its first RepoTag. A layer stored as
  ``blobs/sha256/<hex>`` is known by that digest; any other layer path (``<id>/layer.tar``)
  by the sha256 of its content, computed by streaming it once when the archive is opened.
- At most ``MAX_IMAGES`` images of at most ``MAX_LAYERS`` layers, ``MAX_MANIFESTS`` manifests
  visited and ``MAX_MEMBERS`` tar members; json files of at most ``MAX_JSON_BYTES``. Images
  past a limit are left out with the reason in the budget (an image is never cut short: a
  missing upper layer would bring back files it deleted).
- Every path the archive names stays inside it (``paths.inside``); symlinks and hard links
  inside the tar are followed to a regular member, never out of it.
- Compressed tarballs are not read here (layers could not be read in place): walk them as
  archives.

``open_image_archive`` returns None for a tar that is not an image archive, and raises
ImageArchiveError for one that is (its marker files are there) but cannot be read: a
missing or inconsistent blob, bad json, a path escaping the tar. Blob digests are taken
from the manifests and checked against sizes, not re-hashed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast

from cargohold.analysis.unpack.compression import MAGIC_BYTES, compression_of
from cargohold.analysis.unpack.layers import Layer
from cargohold.analysis.unpack.limits import Budget
from cargohold.analysis.unpack.paths import inside
from cargohold.core.digest import Digest
from cargohold.core.errors import DigestInvalid
from cargohold.core.mediatypes import IMAGE_MANIFESTS, INDEXES, NON_DISTRIBUTABLE_LAYERS

MAX_MEMBERS = 100_000
MAX_IMAGES = 64
MAX_LAYERS = 256
MAX_MANIFESTS = 1024
MAX_INDEX_DEPTH = 4
MAX_JSON_BYTES = 4 << 20
_MAX_LINK_HOPS = 8
_CHUNK = 1 << 20

ImageArchiveKind = Literal["oci-layout", "docker-archive"]

IMAGE_CONFIGS = frozenset(
    {"application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"}
)
TAR_LAYERS = NON_DISTRIBUTABLE_LAYERS | {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
}
NAME_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")

_BLOB_PATH = re.compile(r"^blobs/(sha256)/([0-9a-f]{64})$")


class ImageArchiveError(ValueError):
    """A tar that is an image archive (its marker files are there) but cannot be read as one."""


@dataclass(frozen=True, slots=True)
class ArchivedImage:
    """One image in an archive: its layers lowest first, readable while the archive is open."""

    name: str | None  # "docker.io/library/alpine:3.19", "3.19", or None when unnamed
    digest: str | None  # the manifest digest (OCI layouts); None for docker-archives
    platform: str | None  # "linux/arm64/v8" when the index or the config says
    layers: tuple[Layer, ...]


class ImageArchive:
    """An open image archive tar and the images in it. Close it when done with the layers."""

    def __init__(
        self, kind: ImageArchiveKind, images: tuple[ArchivedImage, ...], tar: tarfile.TarFile
    ) -> None:
        self.kind = kind
        self.images = images
        self._tar = tar

    def close(self) -> None:
        """Close the tar; the layers are unreadable afterwards."""
        self._tar.close()

    def __enter__(self) -> ImageArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_image_archive(
    path: Path, budget: Budget, *, evidence: str | None = None
) -> ImageArchive | None:
    """The images in the tar file at ``path``, or None when it is not an image archive (or
    is compressed). Limits hit are reasons in ``budget``, named by ``evidence`` (the path by
    default). Raises ImageArchiveError for a damaged image archive."""
    where = evidence or str(path)
    with path.open("rb") as head:
        if compression_of(head.read(MAGIC_BYTES)):
            return None
    with contextlib.ExitStack() as cleanup:
        try:
            tar = cleanup.enter_context(tarfile.open(path, mode="r:"))
        except (tarfile.TarError, OSError, EOFError):
            return None
        found = _Reader(tar, where, budget).read()
        if found is None:
            return None
        cleanup.pop_all()  # from here the archive owns the tar
    kind, images = found
    return ImageArchive(kind, images, tar)


def _fail(where: str, problem: str) -> ImageArchiveError:
    return ImageArchiveError(f"{where}: {problem}")


def _platform(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    parts = [value.get("os"), value.get("architecture"), value.get("variant")]
    named = [part for part in parts if isinstance(part, str) and part]
    return "/".join(named) if len(named) >= 2 else None


class _Reader:
    def __init__(self, tar: tarfile.TarFile, where: str, budget: Budget) -> None:
        self.tar = tar
        self.where = where
        self.budget = budget
        self.members: dict[str, tarfile.TarInfo] = {}
        self.images: list[ArchivedImage] = []
        self.manifests = 0
        self.stopped = False  # a limit was reached (and noted): the rest is not read

    # --- the tar ----------------------------------------------------------------------------

    def read(self) -> tuple[ImageArchiveKind, tuple[ArchivedImage, ...]] | None:
        if not self._list():
            return None
        if "oci-layout" in self.members and "index.json" in self.members:
            self._oci()
            return "oci-layout", tuple(self.images)
        if "manifest.json" in self.members and self._docker():
            return "docker-archive", tuple(self.images)
        return None

    def _marked(self) -> bool:
        """An oci-layout file marks an image archive (many tars hold some manifest.json)."""
        return "oci-layout" in self.members

    def _list(self) -> bool:
        """Index the members by their safe names; False when this is no image archive."""
        try:
            for count, member in enumerate(self.tar, 1):
                if count > MAX_MEMBERS:
                    if self._marked():
                        raise _fail(self.where, f"more than {MAX_MEMBERS} tar members")
                    return False
                name = inside(member.name)
                if name:
                    self.members[name] = member  # a later member replaces an earlier one
        except (tarfile.TarError, OSError, EOFError) as exc:
            if self._marked():
                raise _fail(self.where, f"not a readable tar ({exc})") from exc
            return False
        return True

    def member(self, name: str) -> tarfile.TarInfo:
        """The regular member at ``name``, through links that stay inside the tar."""
        original = name
        for _ in range(_MAX_LINK_HOPS):
            member = self.members.get(name)
            if member is None:
                raise _fail(self.where, f"{original!r} is not in the archive")
            if member.isreg():
                return member
            if member.issym():
                target = inside(posixpath.join(posixpath.dirname(name), member.linkname))
            elif member.islnk():
                target = inside(member.linkname)
            else:
                raise _fail(self.where, f"{original!r} is not a file")
            if not target:
                raise _fail(self.where, f"{original!r} links out of the archive")
            name = target
        raise _fail(self.where, f"{original!r}: too many links")

    def path(self, name: Any) -> str:
        safe = inside(name) if isinstance(name, str) else None
        if not safe:
            raise _fail(self.where, f"path {str(name)[:200]!r} is not inside the archive")
        return safe

    def json(self, name: str) -> Any:
        return self._json(self.member(name), name)

    def _json(self, member: tarfile.TarInfo, name: str) -> Any:
        if member.size > MAX_JSON_BYTES:
            raise _fail(self.where, f"{name} is {member.size} bytes, over {MAX_JSON_BYTES}")
        try:
            return json.loads(self._open(member)().read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise _fail(self.where, f"{name} is not valid json ({exc})") from exc
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise _fail(self.where, f"{name} cannot be read ({exc})") from exc

    def _open(self, member: tarfile.TarInfo) -> Callable[[], BinaryIO]:
        tar = self.tar

        def open_member() -> BinaryIO:
            stream = tar.extractfile(member)
            if stream is None:  # only for members that are not files, never chosen here
                raise OSError(f"{member.name} is not a file")
            return cast(BinaryIO, stream)

        return open_member

    def _fits(self, label: str, layers: int) -> bool:
        """Whether one more image of ``layers`` layers is within the limits (else a reason:
        an image is never cut short, a missing upper layer would bring back what it deleted)."""
        if len(self.images) >= MAX_IMAGES:
            self.stopped = True
            self.budget.note(
                f"{self.where}: image limit {MAX_IMAGES} reached at {label}: the rest not searched"
            )
            return False
        if layers > MAX_LAYERS:
            self.budget.note(
                f"{self.where}: {label} has {layers} layers, over the limit of {MAX_LAYERS}: "
                "not searched"
            )
            return False
        return True

    # --- OCI image layouts ------------------------------------------------------------------

    def _oci(self) -> None:
        layout = self.json("oci-layout")
        version = layout.get("imageLayoutVersion") if isinstance(layout, dict) else None
        if not isinstance(version, str) or not version.startswith("1."):
            raise _fail(self.where, f"unsupported oci-layout version {str(version)[:40]!r}")
        self._index(self.json("index.json"), "index.json", None, None, (), 0)

    def _descriptor(self, value: Any, where: str) -> tuple[str, Digest, int]:
        if not isinstance(value, dict):
            raise _fail(self.where, f"{where}: a descriptor is not an object")
        media_type, digest, size = value.get("mediaType"), value.get("digest"), value.get("size")
        if not isinstance(media_type, str) or not isinstance(digest, str):
            raise _fail(self.where, f"{where}: a descriptor has no mediaType or digest")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _fail(self.where, f"{where}: descriptor {digest[:80]} has no valid size")
        try:
            parsed = Digest.parse(digest)
        except DigestInvalid as exc:
            raise _fail(self.where, f"{where}: {exc}") from exc
        return media_type, parsed, size

    def _blob(self, digest: Digest, size: int) -> tarfile.TarInfo | None:
        """The member holding a blob, None when the layout does not hold it."""
        name = f"blobs/{digest.algorithm}/{digest.hex}"
        if name not in self.members:
            return None
        member = self.member(name)
        if member.size != size:
            raise _fail(self.where, f"blob {digest} is {member.size} bytes, not {size}")
        return member

    def _index(
        self,
        index: Any,
        where: str,
        name: str | None,
        platform: str | None,
        chain: tuple[Digest, ...],
        depth: int,
    ) -> None:
        manifests = index.get("manifests") if isinstance(index, dict) else None
        if not isinstance(manifests, list):
            raise _fail(self.where, f"{where} has no manifests list")
        for value in manifests:
            if self.stopped:
                return
            media_type, digest, size = self._descriptor(value, where)
            annotations = value.get("annotations")
            named = name
            if isinstance(annotations, dict):
                for key in NAME_ANNOTATIONS:
                    if isinstance(annotations.get(key), str) and annotations[key]:
                        named = annotations[key]
                        break
            at = _platform(value.get("platform")) or platform
            if media_type not in INDEXES and media_type not in IMAGE_MANIFESTS:
                continue  # an artifact manifest, or a type no image is
            self.manifests += 1
            if self.manifests > MAX_MANIFESTS:
                self.stopped = True
                self.budget.note(
                    f"{self.where}: manifest limit {MAX_MANIFESTS} reached at {digest}: "
                    "the rest not searched"
                )
                return
            member = self._blob(digest, size)
            if member is None:
                continue  # listed but not held: another platform, not in this archive
            if media_type in INDEXES:
                if digest in chain:
                    raise _fail(self.where, f"index {digest} contains itself")
                if depth + 1 > MAX_INDEX_DEPTH:
                    raise _fail(self.where, f"indexes nested deeper than {MAX_INDEX_DEPTH}")
                blob = self._json(member, f"index {digest}")
                self._index(blob, f"index {digest}", named, at, (*chain, digest), depth + 1)
            else:
                self._manifest(self._json(member, f"manifest {digest}"), digest, named, at)

    def _manifest(
        self, manifest: Any, digest: Digest, name: str | None, platform: str | None
    ) -> None:
        if not isinstance(manifest, dict):
            raise _fail(self.where, f"manifest {digest} is not an object")
        config, layers = manifest.get("config"), manifest.get("layers")
        if not isinstance(layers, list):
            raise _fail(self.where, f"manifest {digest} has no layers list")
        config_type, config_digest, config_size = self._descriptor(
            config, f"manifest {digest} config"
        )
        described = [self._descriptor(layer, f"manifest {digest}") for layer in layers]
        if (
            manifest.get("artifactType") is not None
            or config_type not in IMAGE_CONFIGS
            or any(media_type not in TAR_LAYERS for media_type, _, _ in described)
        ):
            return  # an artifact (signature, SBOM, attestation) that has no file system
        if not self._fits(name or str(digest), len(described)):
            return
        config_member = self._blob(config_digest, config_size)
        if config_member is None:
            raise _fail(self.where, f"config {config_digest} of {digest} is not in the archive")
        config_json = self._json(config_member, f"config {config_digest}")
        platform = platform or _platform(config_json)
        found: list[Layer] = []
        for _, layer_digest, size in described:
            member = self._blob(layer_digest, size)
            if member is None:
                raise _fail(self.where, f"layer {layer_digest} of {digest} is not in the archive")
            found.append(Layer(str(layer_digest), size, self._open(member)))
        self.images.append(ArchivedImage(name, str(digest), platform, tuple(found)))

    # --- docker save archives ---------------------------------------------------------------

    def _docker(self) -> bool:
        """Read manifest.json's images; False when it is not a docker-archive manifest."""
        try:
            entries = self.json("manifest.json")
        except ImageArchiveError:
            return False  # some other tar's manifest.json
        if not isinstance(entries, list) or not all(
            isinstance(e, dict)
            and isinstance(e.get("Config"), str)
            and isinstance(e.get("Layers"), list)
            for e in entries
        ):
            return False
        for entry in entries:
            tags = entry.get("RepoTags")
            name = tags[0] if isinstance(tags, list) and tags and isinstance(tags[0], str) else None
            layers = entry["Layers"]
            if not self._fits(name or f"image {entry['Config'][:80]}", len(layers)):
                if self.stopped:
                    break
                continue
            platform = _platform(self.json(self.path(entry["Config"])))
            found = [self._docker_layer(self.path(layer)) for layer in layers]
            self.images.append(ArchivedImage(name, None, platform, tuple(found)))
        return True

    def _docker_layer(self, name: str) -> Layer:
        member = self.member(name)
        opener = self._open(member)
        known = _BLOB_PATH.match(name)
        if known:
            return Layer(f"{known[1]}:{known[2]}", member.size, opener)
        hasher = hashlib.sha256()
        try:
            with opener() as stream:
                while chunk := stream.read(_CHUNK):
                    hasher.update(chunk)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise _fail(self.where, f"layer {name} cannot be read ({exc})") from exc
        return Layer(f"sha256:{hasher.hexdigest()}", member.size, opener)


__all__ = [
    "MAX_IMAGES",
    "MAX_JSON_BYTES",
    "MAX_LAYERS",
    "ArchivedImage",
    "ImageArchive",
    "ImageArchiveError",
    "ImageArchiveKind",
    "open_image_archive",
]
