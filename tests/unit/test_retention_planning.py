"""What a retention run removes from one image, decided on its inventory alone: which tags
a rule names (and never one it does not), how keep-last orders them, what the holds keep,
and the order untagged manifests go in."""

from __future__ import annotations

import pytest

from cargohold.core.errors import BadRequest
from cargohold.records.retention import (
    Holds,
    ImageInventory,
    ManifestFact,
    RetentionPolicyRecord,
    RetentionRule,
    TagFact,
)
from cargohold.registry.retention.planning import DAY, applies, newest_first, plan
from cargohold.registry.retention.rules import parse_rule, parse_rules, validate_name

NOW = 1_800_000_000.0
NO_HOLDS = Holds()


def policy(*rules: RetentionRule, images: str | None = None) -> RetentionPolicyRecord:
    return RetentionPolicyRecord("p1", "cleanup", "", ("dev",), images, rules, True)


def tag(name: str, digest: str, days_ago: float) -> TagFact:
    return TagFact(name, digest, NOW - days_ago * DAY)


def manifest(
    digest: str,
    days_ago: float,
    *,
    subject: str | None = None,
    children: tuple[str, ...] = (),
    pulled_days_ago: float | None = None,
) -> ManifestFact:
    pulled = None if pulled_days_ago is None else NOW - pulled_days_ago * DAY
    return ManifestFact(digest, NOW - days_ago * DAY, subject, children, pulled)


def image(
    tags: list[TagFact], manifests: list[ManifestFact] | None = None, holds: Holds = NO_HOLDS
) -> ImageInventory:
    found = manifests
    if found is None:
        found = [manifest(d, 30) for d in sorted({t.digest for t in tags})]
    return ImageInventory("dev", "team/app", tuple(tags), tuple(found), holds)


def removed(found: ImageInventory, *policies: RetentionPolicyRecord) -> list[str]:
    return [r.tag or r.digest for r in plan(list(policies), found, NOW)]


def test_keep_last_orders_by_semantic_version_when_every_matching_tag_is_one() -> None:
    # Pushed 1.10.0 first: by push time it would be the oldest.
    tags = [tag("1.10.0", "a", 3), tag("1.9.0", "b", 2), tag("1.2.0", "c", 1)]
    assert [t.tag for t in newest_first(tags)] == ["1.10.0", "1.9.0", "1.2.0"]
    keep_one = policy(RetentionRule(tags="1.*", keep_last=1))
    assert removed(image(tags), keep_one) == ["1.2.0", "1.9.0"]


def test_keep_last_orders_by_push_time_when_a_matching_tag_is_no_version() -> None:
    tags = [tag("1.10.0", "a", 3), tag("latest", "b", 2), tag("1.9.0", "c", 1)]
    assert [t.tag for t in newest_first(tags)] == ["1.9.0", "latest", "1.10.0"]
    assert removed(image(tags), policy(RetentionRule(tags="*", keep_last=2))) == ["1.10.0"]


def test_a_keep_last_rule_never_removes_a_tag_its_pattern_does_not_match() -> None:
    tags = [tag("pr-1", "a", 5), tag("pr-2", "b", 4), tag("latest", "c", 3), tag("1.0", "d", 2)]
    assert removed(image(tags), policy(RetentionRule(tags="pr-*", keep_last=1))) == ["pr-1"]
    assert removed(image(tags), policy(RetentionRule(tags="pr-*", keep_last=0))) == [
        "pr-1",
        "pr-2",
    ]


def test_keep_last_and_older_than_together_remove_only_what_is_both() -> None:
    tags = [tag("a", "1", 40), tag("b", "2", 35), tag("c", "3", 10), tag("d", "4", 1)]
    both = policy(RetentionRule(tags="*", keep_last=1, older_than_days=30))
    assert removed(image(tags), both) == ["a", "b"]
    older = policy(RetentionRule(tags="*", older_than_days=30))
    assert removed(image(tags), older) == ["a", "b"]
    assert removed(image(tags), policy(RetentionRule(tags="*", keep_last=3))) == ["a"]


def test_holds_keep_tags_whatever_the_rules_say() -> None:
    tags = [tag("1", "a", 9), tag("2", "b", 8), tag("3", "c", 7), tag("4", "d", 6)]
    everything = policy(RetentionRule(tags="*", keep_last=0))
    assert removed(image(tags, holds=Holds(immutable=True)), everything) == []
    held = Holds(
        promoted=frozenset({"a"}),
        protected_digests=frozenset({"b"}),
        protected_tags=frozenset({"3"}),
    )
    assert removed(image(tags, holds=held), everything) == ["4"]


def test_untagged_manifests_go_after_their_days_unless_held_or_needed() -> None:
    manifests = [
        manifest("old", 10),
        manifest("young", 2),
        manifest("protected", 10),
        manifest("child", 10),
        manifest("index", 10, children=("child",)),  # tagged below
        manifest("signed", 10),
        manifest("signature", 1, subject="signed"),  # too young: keeps its subject
        manifest("tagged-image", 10),
        manifest("its-sbom", 10, subject="tagged-image"),  # belongs to a tagged image
        manifest("old-index", 10, children=("old-child",)),
        manifest("old-child", 10),
        manifest("old-sig", 10, subject="old-index"),
    ]
    tags = [tag("release", "index", 10), tag("1.0", "tagged-image", 10)]
    holds = Holds(protected_digests=frozenset({"protected"}))
    found = image(tags, manifests, holds)
    rule = policy(RetentionRule(untagged_days=7))
    # A signature before its subject, an index before its children.
    assert removed(found, rule) == ["old", "old-sig", "old-index", "old-child"]


def test_a_manifest_whose_tag_the_run_removes_is_untagged_for_the_untagged_rule() -> None:
    manifests = [manifest("a", 20), manifest("b", 20), manifest("c", 1)]
    tags = [tag("1.0", "a", 20), tag("2.0", "b", 10), tag("3.0", "c", 1)]
    both = policy(RetentionRule(tags="*", keep_last=1), RetentionRule(untagged_days=7))
    assert removed(image(tags, manifests), both) == ["1.0", "2.0", "a", "b"]
    only_tags = policy(RetentionRule(tags="*", keep_last=1))
    assert removed(image(tags, manifests), only_tags) == ["1.0", "2.0"]


def test_unused_removes_what_nobody_pulled_for_its_days_and_the_manifests_it_leaves() -> None:
    manifests = [
        manifest("pulled", 60, pulled_days_ago=2),
        manifest("idle", 60, pulled_days_ago=40),
        manifest("never", 60),  # never pulled: counts from its push
        manifest("new", 5),
        manifest("repushed", 60),  # its tag pushed again yesterday
        manifest("index", 60, children=("platform",)),  # in use through its platform's image
        manifest("platform", 60, pulled_days_ago=1),
        manifest("by-digest", 60, pulled_days_ago=1),  # untagged, pulled by digest: in use
        manifest("forgotten", 60, pulled_days_ago=50),  # untagged, nobody pulls it
    ]
    tags = [
        tag("a", "pulled", 60),
        tag("b", "idle", 60),
        tag("c", "never", 60),
        tag("d", "new", 5),
        tag("e", "repushed", 1),
        tag("multi", "index", 60),
    ]
    unused = policy(RetentionRule(tags="*", unused_days=30))
    assert removed(image(tags, manifests), unused) == ["b", "c", "forgotten", "idle", "never"]
    reasons = {r.rule for r in plan([unused], image(tags, manifests), NOW)}
    assert reasons == {"unusedDays=30 tags=*"}


def test_unused_leaves_tags_its_pattern_does_not_match_and_their_manifests() -> None:
    manifests = [manifest("old", 60), manifest("older", 90), manifest("shared", 90)]
    tags = [tag("pr-1", "old", 60), tag("1.0", "older", 90), tag("pr-2", "shared", 90)]
    tags.append(tag("latest", "shared", 90))
    unused = policy(RetentionRule(tags="pr-*", unused_days=30))
    assert removed(image(tags, manifests), unused) == ["pr-1", "pr-2", "old"]


def test_unused_with_keep_last_keeps_the_newest_whatever_their_use() -> None:
    manifests = [manifest(d, 60) for d in ("x", "y", "z")]
    tags = [tag("1.0.0", "x", 60), tag("1.1.0", "y", 60), tag("1.2.0", "z", 60)]
    both = policy(RetentionRule(tags="*", keep_last=1, unused_days=30))
    assert removed(image(tags, manifests), both) == ["1.0.0", "1.1.0", "x", "y"]
    held = Holds(protected_digests=frozenset({"x"}))
    assert removed(image(tags, manifests, held), both) == ["1.1.0", "y"]
    assert removed(image(tags, manifests, Holds(immutable=True)), both) == []


def test_an_unused_rule_reads_and_writes_as_the_api_names_it() -> None:
    rule = parse_rule({"tags": "*", "unusedDays": 30}, 0)
    assert rule == RetentionRule(tags="*", unused_days=30)
    assert rule.text == "unusedDays=30 tags=*"
    combined = RetentionRule(tags="pr-*", keep_last=2, unused_days=7)
    assert combined.text == "keepLast=2 unusedDays=7 tags=pr-*"


def test_a_policy_applies_to_its_repositories_and_images() -> None:
    scoped = RetentionPolicyRecord("p", "p", "", ("dev", "team-*"), "team/*", (), True)
    assert applies(scoped, "team-a") and applies(scoped, "dev", "team/app")
    assert not applies(scoped, "prod") and not applies(scoped, "dev", "other/app")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"keepLast": 5}, "'tags' is required"),
        ({"tags": "*"}, "needs 'keepLast'"),
        ({"tags": "*", "untaggedOlderThanDays": 3}, "stands alone"),
        ({"tags": "*", "keepLast": -1}, "from 0 to"),
        ({"tags": "*", "olderThanDays": 0}, "from 1 to"),
        ({"tags": "*", "keepLast": True}, "whole number"),
        ({"tags": "a b", "keepLast": 1}, "must be a tag or a pattern"),
        ({"untaggedOlderThanDays": 7, "keepTags": 1}, "unknown field 'keepTags'"),
        ({"unusedDays": 30}, "'tags' is required"),
        ({"untaggedOlderThanDays": 7, "unusedDays": 30}, "stands alone"),
        ({"tags": "*", "unusedDays": 0}, "'unusedDays' must be a whole number from 1 to"),
    ],
)
def test_a_malformed_rule_is_refused_with_what_to_write(
    rule: dict[str, object], message: str
) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_rule(rule, 0)


def test_a_policy_needs_rules_and_a_name_that_is_not_run() -> None:
    with pytest.raises(BadRequest, match="at least one rule"):
        parse_rules([])
    with pytest.raises(BadRequest, match="not 'run'"):
        validate_name("run")
