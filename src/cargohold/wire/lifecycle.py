"""Promotions, properties and CI build info on the wire."""

from __future__ import annotations

from typing import Annotated, Literal

from cargohold.wire.base import UNSET, Body, Meta, Timestamp, UnsetType, Wire, described
from cargohold.wire.generic import HexDigest
from cargohold.wire.search import PropertyMap

PropertyValues = Annotated[
    dict[str, str | list[str]], described("Key → values; a single string counts as one value.")
]
ArtifactType = Literal["docker", "generic"]
PromotionKind = Literal["docker", "generic", "build", "package"]


class Promotion(Wire, frozen=True):
    id: str
    time: Timestamp
    principal: str
    token_id: str | None
    kind: PromotionKind
    source_repo: str
    target_repo: str
    source: str
    target: str
    digest: str | None
    tags: tuple[str, ...]
    copy: bool
    dry_run: bool
    comment: str
    properties: dict[str, list[str]]
    status: int
    result: str
    message: str


class Message(Wire, frozen=True):
    level: str
    message: str


class DockerPromotion(Body, frozen=True):
    target_repo: str
    docker_repository: Annotated[
        str, Meta(description="The image name, e.g. team/app.", examples=["team/app"])
    ]
    target_docker_repository: Annotated[str, described("Default: the same name.")] | UnsetType = (
        UNSET
    )
    tag: Annotated[str, described("Default: every tag of the image.")] | UnsetType = UNSET
    target_tag: Annotated[str, described("Default: the same tag; needs tag.")] | UnsetType = UNSET
    copy: Annotated[bool, described("false moves the image (needs delete on the source).")] = False
    dry_run: bool = False
    properties: PropertyValues | UnsetType = UNSET
    comment: str | UnsetType = UNSET


class PromotionResult(Wire, frozen=True):
    source_repo: str
    target_repo: str
    docker_repository: str
    target_docker_repository: str
    tags: Annotated[dict[str, str], described("Target tag → digest.")]
    copy: bool
    dry_run: bool
    promotions: list[Promotion]
    messages: list[Message]


class Properties(Wire, frozen=True):
    repository: str
    subject: Annotated[
        str, Meta(examples=["image:team/app@sha256:…", "tag:team/app:1.0", "file:a/b.tgz"])
    ]
    properties: dict[str, list[str]]


class PropertiesUpdate(Body, frozen=True):
    properties: PropertyValues
    replace: Annotated[bool, described("Remove the keys not given.")] = False


class GenericPromotion(Body, frozen=True):
    target_repo: str
    path: Annotated[
        str,
        Meta(description="A file or a folder; `/` is the whole repository.", examples=["web/1.4"]),
    ]
    target_path: (
        Annotated[str, described("Where `path` lands. Default: the same path.")] | UnsetType
    ) = UNSET
    copy: Annotated[bool, described("false moves the files (needs delete on the source).")] = False
    dry_run: bool = False
    properties: PropertyValues | UnsetType = UNSET
    comment: str | UnsetType = UNSET


class GenericTransfer(Wire, frozen=True):
    path: str
    target_path: str
    sha256: HexDigest
    size: int


class GenericPromotionResult(Wire, frozen=True):
    source_repo: str
    target_repo: str
    copy: bool
    dry_run: bool
    files: list[GenericTransfer]
    promotions: list[Promotion]
    messages: list[Message]


class BuildArtifact(Body, frozen=True):
    type: ArtifactType
    repository: str
    name: Annotated[str, described("The image name (team/app) or the file path.")]
    digest: Annotated[str, Meta(examples=["sha256:…"])]
    tag: Annotated[str, described("Images only.")] | UnsetType = UNSET


class BuildDependency(Body, frozen=True):
    id: str
    digest: str


class BuildModule(Wire, frozen=True):
    id: str
    artifacts: list[BuildArtifact]
    dependencies: list[BuildDependency]


class Build(Wire, frozen=True):
    name: str
    number: str
    started: Timestamp
    url: str
    properties: PropertyMap
    modules: list[BuildModule]
    created: Timestamp
    created_by: str


class BuildStatus(Wire, frozen=True):
    time: Timestamp
    status: str
    comment: str
    repository: str
    principal: str


class BuildDetail(Build, frozen=True):
    """A build with its status history, oldest first."""

    statuses: list[BuildStatus]


class BuildModuleCreate(Body, frozen=True):
    id: str
    artifacts: list[BuildArtifact] | UnsetType = UNSET
    dependencies: list[BuildDependency] | UnsetType = UNSET


class BuildCreate(Body, frozen=True):
    name: Annotated[str, Meta(pattern="^[A-Za-z0-9][A-Za-z0-9._+:@ -]{0,254}$")]
    number: Annotated[str, Meta(pattern="^[A-Za-z0-9][A-Za-z0-9._+:-]{0,63}$")]
    started: Timestamp
    url: Annotated[str, Meta(max_length=2000, description="The CI job's URL.")] | UnsetType = UNSET
    properties: PropertyValues | UnsetType = UNSET
    modules: Annotated[list[BuildModuleCreate], Meta(max_length=1000)] | UnsetType = UNSET


class BuildTargets(Body, frozen=True):
    docker: Annotated[str, described("Where the images go; default targetRepo.")] | UnsetType = (
        UNSET
    )
    generic: Annotated[str, described("Where the files go; default targetRepo.")] | UnsetType = (
        UNSET
    )


class BuildPromotion(Body, frozen=True):
    target_repo: str
    target_repos: BuildTargets | UnsetType = UNSET
    status: Annotated[str, described("Appended to the build's history.")] = "promoted"
    comment: str | UnsetType = UNSET
    copy: Annotated[bool, described("false moves the artifacts (needs delete on the sources).")] = (
        False
    )
    dry_run: Annotated[bool, described("Check everything, change nothing.")] = False
    properties: PropertyValues | UnsetType = UNSET


class PromotedArtifact(Wire, frozen=True):
    type: ArtifactType
    repository: str
    name: str
    digest: str
    tags: tuple[str, ...]


class BuildPromotionResult(Wire, frozen=True):
    name: str
    number: str
    status: str
    target_repo: str
    copy: bool
    dry_run: bool
    artifacts: list[PromotedArtifact]


__all__ = [
    "ArtifactType",
    "Build",
    "BuildArtifact",
    "BuildCreate",
    "BuildDependency",
    "BuildDetail",
    "BuildModule",
    "BuildModuleCreate",
    "BuildPromotion",
    "BuildPromotionResult",
    "BuildStatus",
    "BuildTargets",
    "DockerPromotion",
    "GenericPromotion",
    "GenericPromotionResult",
    "GenericTransfer",
    "Message",
    "PromotedArtifact",
    "Promotion",
    "PromotionKind",
    "PromotionResult",
    "Properties",
    "PropertiesUpdate",
]
