"""Repositories on the wire."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from cargohold.wire.base import UNSET, Body, Meta, UnsetType, Wire, described

Kind = Annotated[
    Literal["local", "remote", "virtual"],
    described(
        "local: holds what is pushed to it; remote: a pull-through cache of an upstream; "
        "virtual: resolves names in its members, in order."
    ),
]
MAX_UPSTREAM_LENGTH = 2048
MAX_REVALIDATE_SECONDS = 10 * 365 * 86400
Upstream = Annotated[
    str,
    described(
        "Remote repositories: the upstream's base URL (http or https, no credentials).",
        examples=["https://registry-1.docker.io"],
        maxLength=MAX_UPSTREAM_LENGTH,
    ),
]
Username = Annotated[str, described("Remote repositories: the user to sign in upstream as.")]
Password = Annotated[
    str,
    described(
        "Remote repositories: the upstream password (or token) of `username`. Write-only: "
        "never shown back.",
        writeOnly=True,
    ),
]
VerifyTls = Annotated[
    bool,
    described(
        "Remote repositories: verify the upstream's TLS certificate (off only when said so)."
    ),
]
RevalidateSeconds = Annotated[
    int,
    Meta(ge=0, le=MAX_REVALIDATE_SECONDS),
    described(
        "Remote repositories: how long a cached tag is served before the upstream is asked "
        "whether it moved (0: every pull)."
    ),
]
TimeoutSeconds = Annotated[
    float,
    Meta(gt=0, le=3600),
    described("Remote repositories: how long to wait for the upstream, per request."),
]
Offline = Annotated[
    bool,
    described("Remote repositories: serve only what is cached; never ask the upstream."),
]
Members = Annotated[
    list[str],
    Meta(min_length=1, max_length=1000),
    described(
        "Virtual repositories: the local and remote repositories of its format that names "
        "are resolved in, in order.",
        examples=[["dev", "hub"]],
    ),
]
DefaultDeployRepo = Annotated[
    str | None,
    described(
        "Virtual repositories: the local member pushes to it go to; null: pushes are refused."
    ),
]
REMOTE_FIELDS = (
    "upstream",
    "username",
    "password",
    "verifyTls",
    "revalidateSeconds",
    "timeoutSeconds",
    "offline",
)
TrustRemoteNames = Annotated[
    bool,
    described(
        "Virtual PyPI and npm repositories: let a remote member serve a package name that a "
        "local member holds too (off: such a name is read from the local members only, the "
        "guard against dependency confusion). Administrators only."
    ),
]
AllowOverwrite = Annotated[
    bool,
    described(
        "Local PyPI and npm repositories: accept a file (PyPI) or a version (npm) that exists "
        "already, replacing it. Administrators only."
    ),
]
AllowUnpublish = Annotated[
    bool,
    described(
        "Local PyPI and npm repositories: let a version be deleted (npm unpublish, "
        "`DELETE /packages/{key}/{name}/{version}`). Administrators only."
    ),
]
VIRTUAL_FIELDS = ("members", "defaultDeployRepo", "trustRemoteNames")
PACKAGE_FIELDS = ("allowOverwrite", "allowUnpublish")


def _only_for(kind: str, required: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """A body of kind ``kind`` needs ``required``; one of another kind has none of
    ``fields``."""
    return {
        "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
        "then": {"required": [required]},
        "else": {"not": {"anyOf": [{"required": [name]} for name in fields]}},
    }


def _only_local(fields: tuple[str, ...]) -> dict[str, Any]:
    """A body of kind remote or virtual has none of ``fields``."""
    return {
        "if": {"properties": {"kind": {"enum": ["remote", "virtual"]}}, "required": ["kind"]},
        "then": {"not": {"anyOf": [{"required": [name]} for name in fields]}},
    }


class Repository(Wire, frozen=True):
    """A repository; the settings of its kind only on a remote or virtual one, what it
    allows only on a local PyPI or npm one."""

    key: str
    format: str
    kind: Kind
    anonymous_read: bool
    immutable_tags: Annotated[
        bool, described("An existing tag can be neither overwritten nor deleted.")
    ]
    description: str
    quota_bytes: Annotated[
        int | None,
        described(
            "The bytes of distinct blobs the repository may hold; a push that would exceed "
            "it is refused. null: no quota."
        ),
    ] = None
    used_bytes: Annotated[
        int, described("The bytes of the distinct blobs the repository holds.")
    ] = 0
    upstream: Upstream | UnsetType = UNSET
    username: Annotated[str | None, described("Remote repositories: null: none.")] | UnsetType = (
        UNSET
    )
    has_password: (
        Annotated[bool, described("Remote repositories: whether a password is stored.")] | UnsetType
    ) = UNSET
    verify_tls: VerifyTls | UnsetType = UNSET
    revalidate_seconds: RevalidateSeconds | UnsetType = UNSET
    timeout_seconds: TimeoutSeconds | UnsetType = UNSET
    offline: Offline | UnsetType = UNSET
    members: Members | UnsetType = UNSET
    default_deploy_repo: DefaultDeployRepo | UnsetType = UNSET
    trust_remote_names: TrustRemoteNames | UnsetType = UNSET
    allow_overwrite: AllowOverwrite | UnsetType = UNSET
    allow_unpublish: AllowUnpublish | UnsetType = UNSET


QuotaBytes = Annotated[int, Meta(ge=0, examples=[10 * 1024**3])] | None


class RepositoryCreate(Body, frozen=True):
    """A remote repository (kind remote) needs `upstream`, a virtual one `members`; the
    settings of one kind are refused for another, and those of PyPI and npm repositories
    (`allowOverwrite`, `allowUnpublish`, `trustRemoteNames`) for another format."""

    schema_extra: ClassVar = {
        "allOf": [
            _only_for("remote", "upstream", REMOTE_FIELDS),
            _only_for("virtual", "members", VIRTUAL_FIELDS),
            _only_local(PACKAGE_FIELDS),
        ]
    }

    key: Annotated[str, Meta(examples=["team-app"])]
    format: str = "docker"
    kind: Kind = "local"
    description: str = ""
    anonymous_read: bool = False
    immutable_tags: bool = False
    quota_bytes: QuotaBytes = None
    upstream: Upstream | UnsetType = UNSET
    username: Username | UnsetType = UNSET
    password: Password | UnsetType = UNSET
    verify_tls: VerifyTls | UnsetType = UNSET
    revalidate_seconds: RevalidateSeconds | UnsetType = UNSET
    timeout_seconds: TimeoutSeconds | UnsetType = UNSET
    offline: Offline | UnsetType = UNSET
    members: Members | UnsetType = UNSET
    default_deploy_repo: DefaultDeployRepo | UnsetType = UNSET
    trust_remote_names: TrustRemoteNames | UnsetType = UNSET
    allow_overwrite: AllowOverwrite | UnsetType = UNSET
    allow_unpublish: AllowUnpublish | UnsetType = UNSET


class RepositoryUpdate(Body, frozen=True):
    """Only the settings given change. Those of a remote or virtual repository fit only a
    repository of that kind, those of PyPI and npm repositories only a repository of those
    formats. The upstream, its credentials, `verifyTls`, `members`, `defaultDeployRepo`,
    `trustRemoteNames`, `allowOverwrite` and `allowUnpublish`: administrators only;
    `offline`, `revalidateSeconds` and `timeoutSeconds`: whoever may manage the repository.
    Without `password` the stored one is kept while `upstream` and `username` stay the
    same; changing either needs `password` again, and `username` or `password` null removes
    the credentials."""

    anonymous_read: bool | UnsetType = UNSET
    immutable_tags: bool | UnsetType = UNSET
    description: str | UnsetType = UNSET
    quota_bytes: Annotated[
        QuotaBytes | UnsetType, described("Only an administrator may set it; null removes it.")
    ] = UNSET
    upstream: Upstream | UnsetType = UNSET
    username: Username | UnsetType | None = UNSET
    password: Password | UnsetType | None = UNSET
    verify_tls: VerifyTls | UnsetType = UNSET
    revalidate_seconds: RevalidateSeconds | UnsetType = UNSET
    timeout_seconds: TimeoutSeconds | UnsetType = UNSET
    offline: Offline | UnsetType = UNSET
    members: Members | UnsetType = UNSET
    default_deploy_repo: DefaultDeployRepo | UnsetType = UNSET
    trust_remote_names: TrustRemoteNames | UnsetType = UNSET
    allow_overwrite: AllowOverwrite | UnsetType = UNSET
    allow_unpublish: AllowUnpublish | UnsetType = UNSET


class RepositoryDeletion(Wire, frozen=True):
    """What deleting a repository removed with it."""

    key: str
    tags: int
    manifests: int
    files: int


class ImageDeletion(Wire, frozen=True):
    """What deleting a tag or a manifest of a docker repository removed, and what stays."""

    name: Annotated[str, described("The image, as repository/path.")]
    digest: Annotated[str, described("The manifest the deleted tag pointed to, or deleted.")]
    tags_removed: Annotated[list[str], described("The tags deleted.")]
    manifest_removed: Annotated[bool, described("Whether the manifest itself was deleted.")]
    remaining_tags: Annotated[
        list[str],
        described("The tags that still point to the manifest (it stays while any do)."),
    ]


__all__ = [
    "MAX_REVALIDATE_SECONDS",
    "MAX_UPSTREAM_LENGTH",
    "PACKAGE_FIELDS",
    "REMOTE_FIELDS",
    "VIRTUAL_FIELDS",
    "ImageDeletion",
    "Repository",
    "RepositoryCreate",
    "RepositoryDeletion",
    "RepositoryUpdate",
]
