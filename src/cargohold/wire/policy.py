"""Policies, the watches that apply them, and exceptions to them, on the wire."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from cargohold.wire.base import UNSET, Body, Meta, Timestamp, UnsetType, Wire, described

SEVERITY_LEVELS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
MAX_UNSCANNED = 366 * 86400
MAX_EXCEPTION_SECONDS = 90 * 86400

PolicyName = Annotated[
    str, Meta(pattern="^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", examples=["no-critical"])
]
Ids = Annotated[
    tuple[Annotated[str, Meta(min_length=1, max_length=128)], ...], Meta(max_length=500)
]
Patterns = Annotated[
    tuple[str, ...],
    Meta(min_length=1, description="Repository keys or patterns, e.g. `prod`, `team-*`."),
]
Description = Annotated[str, Meta(max_length=1000)]


class PolicyRules(Body, frozen=True):
    """What an artifact must not break; the rules that are set."""

    schema_extra: ClassVar = {"minProperties": 1}

    min_severity: (
        Annotated[
            Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"],
            described("Findings of this severity or worse violate the policy."),
        ]
        | UnsetType
    ) = UNSET
    advisories: (
        Annotated[Ids, described("These advisories (OSV ids or aliases, e.g. CVE-2021-44228).")]
        | UnsetType
    ) = UNSET
    licenses: (
        Annotated[
            Ids,
            described(
                "Denied licenses: a component whose license (or any license of its "
                "expression) is one of these violates the policy; case-insensitive."
            ),
        ]
        | UnsetType
    ) = UNSET
    max_unscanned_seconds: (
        Annotated[
            int,
            Meta(
                ge=1,
                le=MAX_UNSCANNED,
                description="An artifact whose scan is still pending or failed (or was never "
                "asked for) this long after it was requested violates the policy.",
            ),
        ]
        | UnsetType
    ) = UNSET
    block_incomplete: (
        Annotated[bool, described("An incomplete scan violates the policy.")] | UnsetType
    ) = UNSET


class PolicyActions(Body, frozen=True):
    """What happens to an artifact that breaks the rules, in the watched repositories."""

    schema_extra: ClassVar = {"minProperties": 1}

    block_download: Annotated[
        bool, described("Refuse pulls (OCI DENIED) and file downloads (403).")
    ] = False
    block_promotion: Annotated[
        bool, described("Refuse promotions into the watched repositories (403).")
    ] = False
    notify: Annotated[bool, described("Emit a `violation` event (webhooks).")] = False


class Policy(Wire, frozen=True):
    name: str
    description: str
    rules: PolicyRules
    actions: PolicyActions
    created: Timestamp
    updated: Timestamp
    created_by: str


class PolicyCreate(Body, frozen=True):
    name: PolicyName
    rules: PolicyRules
    actions: PolicyActions
    description: Description = ""


class PolicyUpdate(Body, frozen=True):
    description: Description | UnsetType = UNSET
    rules: Annotated[PolicyRules, described("Replaces all rules.")] | UnsetType = UNSET
    actions: Annotated[PolicyActions, described("Replaces all actions.")] | UnsetType = UNSET


class Watch(Wire, frozen=True):
    name: str
    description: str
    repositories: tuple[str, ...]
    policies: tuple[str, ...]
    created: Timestamp
    updated: Timestamp
    created_by: str


class WatchCreate(Body, frozen=True):
    name: PolicyName
    repositories: Patterns
    policies: Annotated[
        tuple[PolicyName, ...], Meta(min_length=1, description="Names of existing policies.")
    ]
    description: Description = ""


class WatchUpdate(Body, frozen=True):
    description: Description | UnsetType = UNSET
    repositories: Patterns | UnsetType = UNSET
    policies: Annotated[tuple[PolicyName, ...], Meta(min_length=1)] | UnsetType = UNSET


class PolicyException(Wire, frozen=True):
    id: str
    digest: Annotated[str, Meta(examples=["sha256:…"])]
    advisory: Annotated[str, Meta(examples=["CVE-2021-44228", "license:GPL-3.0-only"])]
    policy: Annotated[str | None, described("null: under every policy.")]
    reason: str
    expires: Timestamp
    expired: Annotated[bool, described("An expired exception no longer applies.")]
    created: Timestamp
    created_by: str


class PolicyExceptionCreate(Body, frozen=True):
    """Time-limited: give `expires` or `expiresIn` (at most 90 days)."""

    schema_extra: ClassVar = {"oneOf": [{"required": ["expires"]}, {"required": ["expiresIn"]}]}

    digest: Annotated[
        str,
        Meta(
            description="An image, index or file digest; an index's exception covers the "
            "manifests it lists.",
            examples=["sha256:…"],
        ),
    ]
    advisory: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=140,
            description="An OSV id or alias; `license:NAME` for a denied license.",
        ),
    ]
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    policy: (
        Annotated[str, described("Only under this policy; omitted: under every policy.")]
        | UnsetType
    ) = UNSET
    expires: Timestamp | UnsetType = UNSET
    expires_in: (
        Annotated[int, Meta(ge=1, le=MAX_EXCEPTION_SECONDS, description="Seconds.")] | UnsetType
    ) = UNSET


__all__ = [
    "MAX_EXCEPTION_SECONDS",
    "MAX_UNSCANNED",
    "SEVERITY_LEVELS",
    "Policy",
    "PolicyActions",
    "PolicyCreate",
    "PolicyException",
    "PolicyExceptionCreate",
    "PolicyRules",
    "PolicyUpdate",
    "Watch",
    "WatchCreate",
    "WatchUpdate",
]
