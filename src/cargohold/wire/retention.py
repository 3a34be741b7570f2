"""Retention policies and their runs, on the wire."""

from __future__ import annotations

from typing import Annotated, ClassVar

from cargohold.wire.base import UNSET, Body, Meta, Timestamp, UnsetType, Wire, described

RetentionName = Annotated[
    str, Meta(pattern="^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", examples=["dev-cleanup"])
]
Days = Annotated[int, Meta(ge=1, le=36500)]


class RetentionRule(Body, frozen=True):
    """One rule. A tag rule (`tags` with `keepLast`, `olderThanDays` and/or `unusedDays`)
    removes only tags its pattern matches: those past the newest `keepLast` (by semantic
    version when every matching tag is one, else by push time), pushed more than
    `olderThanDays` ago, unused for `unusedDays` (several: only tags that are all). An
    untagged rule (`untaggedOlderThanDays` alone) removes manifests no tag points to that
    were pushed more than that many days ago.

    `unusedDays` is the rule of a cache (a remote repository), for any repository: a
    manifest is used when it is pulled (by tag or by digest, GET or HEAD; recorded to within
    an hour), pushed or first cached from its upstream, and when a manifest it lists (a
    platform's image in a multi-platform index) is; a tag, when its manifest is and when it
    was last pushed. The rule also removes the manifests no remaining tag points to that are
    unused for as long (those the tags it removes leave untagged, and those only ever pulled
    by digest); a tag its pattern does not match keeps its manifest."""

    schema_extra: ClassVar = {"minProperties": 1}

    tags: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=128,
                description="Pattern of the tags the rule may remove (`*`, `pr-*`, `1.?.*`); "
                "`*` to mean every tag.",
            ),
        ]
        | UnsetType
    ) = UNSET
    keep_last: (
        Annotated[int, Meta(ge=0, le=100_000, description="Keep the newest N matching tags.")]
        | UnsetType
    ) = UNSET
    older_than_days: (
        Annotated[Days, described("Remove matching tags pushed more than D days ago.")] | UnsetType
    ) = UNSET
    untagged_older_than_days: (
        Annotated[Days, described("Remove untagged manifests pushed more than D days ago.")]
        | UnsetType
    ) = UNSET
    unused_days: (
        Annotated[
            Days,
            described(
                "Remove matching tags whose manifest nobody pulled for D days (never pulled: "
                "since it was pushed or cached), then the manifests no tag points to that "
                "nobody pulled for D days."
            ),
        ]
        | UnsetType
    ) = UNSET


class RetentionPolicy(Wire, frozen=True):
    id: str
    name: str
    description: str
    repositories: tuple[str, ...]
    images: str | None
    rules: tuple[RetentionRule, ...]
    enabled: bool
    created: Timestamp
    updated: Timestamp
    created_by: str


class RetentionPolicyCreate(Body, frozen=True):
    name: RetentionName
    repositories: Annotated[
        tuple[str, ...],
        Meta(min_length=1, description="Docker repository keys or patterns, e.g. `dev`, `team-*`."),
    ]
    rules: Annotated[tuple[RetentionRule, ...], Meta(min_length=1, max_length=20)]
    images: (
        Annotated[
            str | None,
            described("Pattern of the image names it applies to (`team/*`); omitted: every image."),
        ]
        | UnsetType
    ) = UNSET
    description: Annotated[str, Meta(max_length=1000)] = ""
    enabled: Annotated[bool, described("Run by the schedule (a run by name runs it anyway).")] = (
        True
    )


class RetentionRunRequest(Body, frozen=True):
    dry_run: Annotated[bool, described("true: list what would go and change nothing.")]
    policy: (
        Annotated[
            RetentionName,
            described("Run only this policy (enabled or not); omitted: every enabled policy."),
        ]
        | UnsetType
    ) = UNSET


class RetentionRemoval(Wire, frozen=True):
    """A tag (`tag` set) or an untagged manifest that goes, and the rule that named it."""

    repository: str
    image: str
    tag: str | None
    digest: str
    policy: str
    rule: str


class RetentionRunResult(Wire, frozen=True):
    dry_run: bool
    policies: tuple[str, ...]
    tags: Annotated[int, described("Tags removed (or that would be).")]
    manifests: Annotated[int, described("Untagged manifests removed (or that would be).")]
    seconds: float
    removed: tuple[RetentionRemoval, ...]


__all__ = [
    "RetentionPolicy",
    "RetentionPolicyCreate",
    "RetentionRemoval",
    "RetentionRule",
    "RetentionRunRequest",
    "RetentionRunResult",
]
