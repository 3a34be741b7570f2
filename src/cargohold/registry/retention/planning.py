"""What a run removes from one image: pure decisions over its inventory, so a dry run and
a real run choose the same things by construction.

Every rule of every policy that applies is evaluated on the image as it is, and the run
removes every tag some rule names (credited to the first rule that names it). A keep-last
rule orders the tags its pattern matches by semantic version when every one of them parses
as one (1.10.0 after 1.9.0), else by when each was pushed, and names those past the newest
N; it never names a tag its pattern does not match. An unused rule names the tags its
pattern matches whose manifest nobody used for its days (``last_used``: pulled, pushed or
cached, or a manifest it lists used; a tag also counts from its own last push). Then
untagged rules name the manifests no remaining tag points to that were pushed more than
their days ago, and unused rules those unused for their days.

Whatever the rules name, these stay (``HOLDS``): everything in a repository with immutable
tags, what a recent promotion brought, what ``retention.protect=true`` marks; and every
manifest that one which stays needs (the children of an index, the subject of a signature
or an SBOM) or that belongs to it (its signatures, SBOMs and attestations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any

from cargohold.analysis.vulndb.versions import UnparsableVersion, parse
from cargohold.records.retention import (
    Holds,
    ImageInventory,
    ManifestFact,
    Removal,
    RetentionPolicyRecord,
    RetentionRule,
    TagFact,
)

DAY = 86400.0

# What keeps a manifest (by digest) whatever a policy says, by name; a new kind of hold (a
# bundle's, once bundles exist) is one more entry here and one more field of ``Holds``.
HOLDS: tuple[tuple[str, Callable[[Holds, str], bool]], ...] = (
    ("promoted recently", lambda holds, digest: digest in holds.promoted),
    ("retention.protect", lambda holds, digest: digest in holds.protected_digests),
)


def held(holds: Holds, digest: str) -> bool:
    return any(check(holds, digest) for _, check in HOLDS)


def applies(policy: RetentionPolicyRecord, repository: str, name: str | None = None) -> bool:
    """Whether ``policy`` covers the repository (and the image, when named)."""
    if not any(fnmatchcase(repository, p) for p in policy.repositories):
        return False
    return name is None or policy.images is None or fnmatchcase(name, policy.images)


def plan(
    policies: Sequence[RetentionPolicyRecord], image: ImageInventory, now: float
) -> list[Removal]:
    """The tags, then the untagged manifests (each before the manifests it needs), that
    ``policies`` remove from ``image`` at ``now``."""
    holds = image.holds
    if holds.immutable or not policies:
        return []
    removals: dict[str, Removal] = {}
    used = last_used(image.manifests)
    for policy in policies:
        for rule in policy.rules:
            if rule.tags is None:
                continue
            for fact in _named_tags(rule, image.tags, used, now):
                if fact.tag in removals or fact.tag in holds.protected_tags:
                    continue
                if held(holds, fact.digest):
                    continue
                removals[fact.tag] = _removal(image, fact.digest, fact.tag, policy, rule)
    tags = sorted(removals.values(), key=lambda r: r.tag or "")
    tagged = {t.digest for t in image.tags if t.tag not in removals}
    return tags + _untagged(policies, image, tagged, used, now)


def last_used(manifests: Sequence[ManifestFact]) -> dict[str, float]:
    """When each manifest was last used: pulled, else pushed (or cached from its upstream),
    or, later, when a manifest it lists was (an index is in use while a platform's image is
    pulled by digest)."""
    by_digest = {m.digest: m for m in manifests}
    used: dict[str, float] = {}

    def of(digest: str, seen: frozenset[str]) -> float:
        if digest in used:
            return used[digest]
        fact = by_digest[digest]
        when = max(fact.created_at, fact.pulled_at or 0.0)
        for child in fact.children:
            if child in by_digest and child not in seen:
                when = max(when, of(child, seen | {digest}))
        used[digest] = when
        return when

    for fact in manifests:
        of(fact.digest, frozenset())
    return used


def _named_tags(
    rule: RetentionRule, tags: Iterable[TagFact], used: dict[str, float], now: float
) -> list[TagFact]:
    pattern = rule.tags or ""
    matching = [t for t in tags if fnmatchcase(t.tag, pattern)]
    named = matching
    if rule.keep_last is not None:
        named = newest_first(matching)[rule.keep_last :]
    if rule.older_than_days is not None:
        cutoff = now - rule.older_than_days * DAY
        named = [t for t in named if t.updated_at < cutoff]
    if rule.unused_days is not None:
        cutoff = now - rule.unused_days * DAY
        named = [t for t in named if max(t.updated_at, used.get(t.digest, 0.0)) < cutoff]
    return named


def newest_first(tags: Sequence[TagFact]) -> list[TagFact]:
    """By semantic version when every tag parses as one (ties: the later push first), else
    by push time."""
    versions: dict[str, Any] = {}
    try:
        for fact in tags:
            versions[fact.tag] = parse("semver", fact.tag)
    except UnparsableVersion:
        return sorted(tags, key=lambda t: (t.updated_at, t.tag), reverse=True)
    by_push = sorted(tags, key=lambda t: (t.updated_at, t.tag), reverse=True)
    # A stable sort by version keeps equal versions (1.2 and 1.2.0) in push order.
    return sorted(by_push, key=lambda t: versions[t.tag], reverse=True)


def _untagged(
    policies: Sequence[RetentionPolicyRecord],
    image: ImageInventory,
    tagged: set[str],
    used: dict[str, float],
    now: float,
) -> list[Removal]:
    rules = [
        (p, r)
        for p in policies
        for r in p.rules
        if r.untagged_days is not None or r.unused_days is not None
    ]
    if not rules:
        return []
    named: dict[str, Removal] = {}
    for fact in image.manifests:
        if fact.digest in tagged or held(image.holds, fact.digest):
            continue
        for policy, rule in rules:
            if rule.untagged_days is not None:
                gone = fact.created_at < now - rule.untagged_days * DAY
            else:
                gone = used[fact.digest] < now - (rule.unused_days or 0) * DAY
            if gone:
                named[fact.digest] = _removal(image, fact.digest, None, policy, rule)
                break
    by_digest = {m.digest: m for m in image.manifests}
    referrers: dict[str, list[str]] = {}
    for m in image.manifests:
        if m.subject is not None:
            referrers.setdefault(m.subject, []).append(m.digest)
    # What stays keeps, transitively, what it needs (an index its children, a signature or
    # an SBOM its subject) and what belongs to it (its signatures, SBOMs, attestations).
    staying = [m.digest for m in image.manifests if m.digest not in named]
    while staying:
        kept = {
            d
            for digest in staying
            for d in (*_needs(by_digest[digest]), *referrers.get(digest, ()))
            if d in named
        }
        for digest in kept:
            del named[digest]
        staying = sorted(kept)
    return [named[d] for d in _dependents_first(named, by_digest)]


def _needs(manifest: ManifestFact) -> tuple[str, ...]:
    return (*manifest.children, *((manifest.subject,) if manifest.subject else ()))


def _dependents_first(named: dict[str, Removal], by_digest: dict[str, ManifestFact]) -> list[str]:
    """The digests of ``named`` with each before every manifest it needs (an index before
    its children), else in digest order."""
    needed_by: dict[str, int] = dict.fromkeys(named, 0)
    for digest in named:
        for need in _needs(by_digest[digest]):
            if need in needed_by:
                needed_by[need] += 1
    ready = sorted(d for d, n in needed_by.items() if n == 0)
    ordered: list[str] = []
    while ready:
        digest = ready.pop(0)
        ordered.append(digest)
        for need in _needs(by_digest[digest]):
            if need in needed_by:
                needed_by[need] -= 1
                if needed_by[need] == 0:
                    ready.append(need)
        ready.sort()
    return ordered


def _removal(
    image: ImageInventory,
    digest: str,
    tag: str | None,
    policy: RetentionPolicyRecord,
    rule: RetentionRule,
) -> Removal:
    return Removal(image.repository, image.name, digest, tag, policy.name, rule.text)


__all__ = ["DAY", "HOLDS", "applies", "held", "last_used", "newest_first", "plan"]
