"""Policy rules judged on an artifact's facts, exceptions, the refusal message, and the
JSON of policies, watches and exceptions as the OpenAPI document describes it."""

from __future__ import annotations

from typing import Any

import pytest

from cargohold.api.rest.policies import exception_wire, policy_wire, watch_wire
from cargohold.core.errors import BadRequest, PolicyViolation
from cargohold.records.policy import (
    ArtifactFacts,
    ExceptionRecord,
    FindingFact,
    LicensedComponent,
    PolicyRecord,
    WatchRecord,
)
from cargohold.registry.policy.rules import (
    Actions,
    Policy,
    Rules,
    ScanState,
    judge,
    lifted,
    refusal,
    worst_first,
)
from tests.unit.test_openapi import conform, misfits

NOW = 1_795_000_000.0
DIGEST = "sha256:" + "ab" * 32
BLOCK = Actions(block_download=True)
DONE = ScanState("done", NOW - 60)
LOG4SHELL = FindingFact(
    "GHSA-jfh8-c2jp-5v3q", "CRITICAL", ("CVE-2021-44228",), "log4j-core", "2.14.1"
)
LOW = FindingFact("GHSA-low0-low0-low0", "LOW", (), "zlib", "1.2.13")
FACTS = ArtifactFacts(
    (LOW, LOG4SHELL),
    (
        LicensedComponent(
            "mysql-connector", "8.0", ("GPL-2.0-only WITH Universal-FOSS-exception-1.0",)
        ),
    ),
    (),
)


def policy(**rules: Any) -> Policy:
    return Policy("p", Rules(**rules), BLOCK)


def exception(
    advisory: str, *, policy: str | None = None, expires: float = NOW + 60
) -> ExceptionRecord:
    return ExceptionRecord("e" * 16, DIGEST, advisory, policy, "why", expires, NOW, "admin")


def test_min_severity_takes_findings_at_or_above_it() -> None:
    found = judge(policy(min_severity="HIGH"), "w", DONE, FACTS, NOW)
    assert [(v.rule, v.advisory, v.message) for v in found] == [
        (
            "minSeverity",
            LOG4SHELL.advisory_id,
            "GHSA-jfh8-c2jp-5v3q (CRITICAL) in log4j-core 2.14.1",
        )
    ]
    assert len(judge(policy(min_severity="LOW"), "w", DONE, FACTS, NOW)) == 2


def test_an_advisory_rule_matches_the_osv_id_or_any_alias() -> None:
    by_alias = judge(policy(advisories=("cve-2021-44228",)), "w", DONE, FACTS, NOW)
    assert [v.advisory for v in by_alias] == [LOG4SHELL.advisory_id]
    assert judge(policy(advisories=("CVE-1999-0001",)), "w", DONE, FACTS, NOW) == []


def test_a_denied_license_matches_an_identifier_of_an_expression() -> None:
    [found] = judge(policy(licenses=("GPL-2.0-only",)), "w", DONE, FACTS, NOW)
    assert found.message == (
        "mysql-connector 8.0 is licensed GPL-2.0-only WITH Universal-FOSS-exception-1.0, and "
        "the policy denies GPL-2.0-only"
    )
    assert judge(policy(licenses=("MIT", "with")), "w", DONE, FACTS, NOW) == []


@pytest.mark.parametrize(
    ("scan", "violates"),
    [
        (ScanState("pending", NOW - 599), False),
        (ScanState("pending", NOW - 601), True),
        (ScanState("failed", NOW - 601, ("BlobNotFound: gone",)), True),
        (ScanState(None, None), True),
        (ScanState("done", NOW - 9999), False),
        (ScanState("incomplete", NOW - 9999), False),
    ],
)
def test_max_unscanned_counts_from_the_request(scan: ScanState, violates: bool) -> None:
    found = judge(policy(max_unscanned_seconds=600), "w", scan, ArtifactFacts((), (), ()), NOW)
    assert bool(found) is violates


def test_block_incomplete_takes_only_an_incomplete_scan() -> None:
    incomplete = ScanState("incomplete", NOW, ("depth limit 8 reached", "another"))
    [found] = judge(policy(block_incomplete=True), "w", incomplete, FACTS, NOW)
    assert found.message == "its scan is incomplete: depth limit 8 reached (and 1 more reasons)"
    assert judge(policy(block_incomplete=True), "w", DONE, FACTS, NOW) == []


def test_exceptions_lift_by_advisory_alias_and_policy_until_they_expire() -> None:
    [found] = judge(policy(min_severity="CRITICAL"), "w", DONE, FACTS, NOW)
    assert lifted(found, [exception("CVE-2021-44228")], NOW)
    assert lifted(found, [exception(LOG4SHELL.advisory_id, policy="p")], NOW)
    assert not lifted(found, [exception(LOG4SHELL.advisory_id, policy="other")], NOW)
    assert not lifted(found, [exception("CVE-2021-44228", expires=NOW)], NOW)
    assert not lifted(found, [exception("GHSA-low0-low0-low0")], NOW)
    [licensed] = judge(policy(licenses=("gpl-2.0-only",)), "w", DONE, FACTS, NOW)
    assert lifted(licensed, [exception("license:GPL-2.0-only")], NOW)


def test_the_refusal_names_the_policy_the_watch_and_the_worst_advisory() -> None:
    found = judge(Policy("no-low", Rules(min_severity="LOW"), BLOCK), "prod", DONE, FACTS, NOW)
    error = refusal(DIGEST, worst_first(found), "prod/app:1 cannot be promoted to 'x': ")
    assert isinstance(error, PolicyViolation) and error.status == 403 and error.code == "DENIED"
    assert error.message == (
        'prod/app:1 cannot be promoted to \'x\': blocked by policy "no-low" (watch "prod"): '
        "GHSA-jfh8-c2jp-5v3q (CRITICAL) in log4j-core 2.14.1 (and 1 more); ask an admin for "
        "an exception"
    )
    assert error.detail == {
        "policy": "no-low",
        "watch": "prod",
        "rule": "minSeverity",
        "advisory": "GHSA-jfh8-c2jp-5v3q",
        "severity": "CRITICAL",
        "component": "log4j-core 2.14.1",
        "digest": DIGEST,
    }


@pytest.mark.parametrize(
    ("rules", "actions"),
    [
        ({}, {"notify": True}),
        ({"minSeverity": "SEVERE"}, {"notify": True}),
        ({"maxUnscannedSeconds": 0}, {"notify": True}),
        ({"maxUnscannedSeconds": True}, {"notify": True}),
        ({"advisories": ["CVE 2021"]}, {"notify": True}),
        ({"licenses": "MIT"}, {"notify": True}),
        ({"blockIncomplete": True}, {}),
        ({"blockIncomplete": True}, {"notify": "yes"}),
        ({"blockIncomplete": True}, {"alert": True}),
    ],
)
def test_rules_and_actions_that_say_nothing_or_nonsense_are_refused(
    rules: dict[str, Any], actions: dict[str, Any]
) -> None:
    with pytest.raises(BadRequest):
        Rules.parse(rules)
        Actions.parse(actions)


def test_rules_are_stored_as_given_in_canonical_form() -> None:
    rules = Rules.parse({"minSeverity": "high", "advisories": ["CVE-1", "CVE-1"], "licenses": None})
    assert rules.json() == {"minSeverity": "HIGH", "advisories": ["CVE-1"]}
    assert Actions.parse({"notify": True}).json() == {
        "blockDownload": False,
        "blockPromotion": False,
        "notify": True,
    }


def test_policies_watches_and_exceptions_fit_the_schemas() -> None:
    record = PolicyRecord(
        "no-critical",
        "",
        {"minSeverity": "CRITICAL", "licenses": ["AGPL-3.0-only"], "maxUnscannedSeconds": 600},
        Actions(block_download=True).json(),
        NOW,
        NOW,
        "admin",
    )
    conform(policy_wire(record).to_json(), "Policy")
    watch = WatchRecord("prod", "", ("prod", "team-*"), ("no-critical",), NOW, NOW, "admin")
    conform(watch_wire(watch).to_json(), "Watch")
    conform(exception_wire(exception("CVE-2021-44228"), False).to_json(), "PolicyException")
    found = exception_wire(exception("license:MIT", policy="p"), True).to_json()
    conform(found, "PolicyException")
    conform(
        {
            "name": "no-critical",
            "rules": {"minSeverity": "CRITICAL", "advisories": ["CVE-2021-44228"]},
            "actions": {"blockDownload": True, "blockPromotion": True},
        },
        "PolicyCreate",
    )
    conform({"name": "prod", "repositories": ["prod"], "policies": ["no-critical"]}, "WatchCreate")
    grant = {"digest": DIGEST, "advisory": "CVE-2021-44228", "reason": "fix tomorrow"}
    conform(grant | {"expiresIn": 86400}, "PolicyExceptionCreate")
    conform(grant | {"expires": "2026-12-01T00:00:00Z"}, "PolicyExceptionCreate")
    assert misfits(grant, "PolicyExceptionCreate") != []
    assert misfits(grant | {"expiresIn": 91 * 86400}, "PolicyExceptionCreate") != []
    assert misfits({"name": "p", "rules": {}, "actions": {"notify": True}}, "PolicyCreate") != []
    assert (
        misfits(
            {"name": "p", "rules": {"minSeverity": "SEVERE"}, "actions": {"notify": True}},
            "PolicyCreate",
        )
        != []
    )
