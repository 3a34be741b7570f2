"""What a policy says, and how one artifact is judged against it.

A policy has rules (``minSeverity``, ``advisories``, ``licenses``, ``maxUnscannedSeconds``,
``blockIncomplete``) and actions (``blockDownload``, ``blockPromotion``, ``notify``). Judging
an artifact gives one ``Violation`` per finding, denied license or scan state that breaks a
rule, each naming what an exception has to name to lift it. Pure values and functions: the
facts come from ``Policies``, which reads and caches them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cargohold.core.errors import BadRequest, PolicyViolation
from cargohold.records.policy import ArtifactFacts, ExceptionRecord
from cargohold.registry.insight.reports import severity_rank

SEVERITY_LEVELS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
RULE_FIELDS = ("minSeverity", "advisories", "licenses", "maxUnscannedSeconds", "blockIncomplete")
ACTION_FIELDS = ("blockDownload", "blockPromotion", "notify")
MAX_UNSCANNED = 366 * 86400
MAX_ENTRIES = 500
MAX_ID = 128
LICENSE_PREFIX = "license:"
UNSCANNED = ("pending", "failed")
_ID = re.compile(r"^[^\s\x00-\x1f\x7f]{1,128}$")
_OPERATORS = {"and", "or", "with"}


@dataclass(frozen=True, slots=True)
class Rules:
    min_severity: str | None = None
    advisories: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    max_unscanned_seconds: int | None = None
    block_incomplete: bool = False

    @classmethod
    def parse(cls, doc: object) -> Rules:
        fields = _fields(doc, "rules", RULE_FIELDS)
        severity = fields.get("minSeverity")
        if severity is not None:
            if not isinstance(severity, str) or severity.upper() not in SEVERITY_LEVELS:
                raise BadRequest(f"rules.minSeverity must be one of: {', '.join(SEVERITY_LEVELS)}")
            severity = severity.upper()
        unscanned = fields.get("maxUnscannedSeconds")
        if unscanned is not None and (
            isinstance(unscanned, bool)
            or not isinstance(unscanned, int)
            or not 1 <= unscanned <= MAX_UNSCANNED
        ):
            raise BadRequest(
                f"rules.maxUnscannedSeconds must be a whole number of seconds, 1-{MAX_UNSCANNED}"
            )
        incomplete = fields.get("blockIncomplete", False)
        if not isinstance(incomplete, bool):
            raise BadRequest("rules.blockIncomplete must be true or false")
        rules = cls(
            min_severity=severity,
            advisories=_ids(fields.get("advisories"), "rules.advisories", "an OSV id or alias"),
            licenses=_ids(
                fields.get("licenses"), "rules.licenses", "a license, e.g. AGPL-3.0-only"
            ),
            max_unscanned_seconds=unscanned,
            block_incomplete=incomplete,
        )
        if rules == cls():
            raise BadRequest(
                "a policy needs at least one rule: minSeverity, advisories, licenses, "
                "maxUnscannedSeconds or blockIncomplete"
            )
        return rules

    def json(self) -> dict[str, Any]:
        """The rules that are set, as the REST API writes them."""
        out: dict[str, Any] = {}
        if self.min_severity is not None:
            out["minSeverity"] = self.min_severity
        if self.advisories:
            out["advisories"] = list(self.advisories)
        if self.licenses:
            out["licenses"] = list(self.licenses)
        if self.max_unscanned_seconds is not None:
            out["maxUnscannedSeconds"] = self.max_unscanned_seconds
        if self.block_incomplete:
            out["blockIncomplete"] = True
        return out


@dataclass(frozen=True, slots=True)
class Actions:
    block_download: bool = False
    block_promotion: bool = False
    notify: bool = False

    @classmethod
    def parse(cls, doc: object) -> Actions:
        fields = _fields(doc, "actions", ACTION_FIELDS)
        for name, value in fields.items():
            if not isinstance(value, bool):
                raise BadRequest(f"actions.{name} must be true or false")
        actions = cls(
            block_download=fields.get("blockDownload", False),
            block_promotion=fields.get("blockPromotion", False),
            notify=fields.get("notify", False),
        )
        if actions == cls():
            raise BadRequest(
                "a policy needs at least one action: blockDownload, blockPromotion or notify"
            )
        return actions

    def json(self) -> dict[str, bool]:
        return {
            "blockDownload": self.block_download,
            "blockPromotion": self.block_promotion,
            "notify": self.notify,
        }


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    rules: Rules
    actions: Actions


@dataclass(frozen=True, slots=True)
class ScanState:
    """What the scan of the artifact says: ``status`` is None when none was ever asked for."""

    status: str | None
    requested_at: float | None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Violation:
    policy: str
    watch: str
    rule: str  # the rule broken, by its field name
    message: str  # what breaks it, e.g. "GHSA-… (HIGH) in urllib3 1.26.5"
    actions: Actions
    advisory: str | None = None
    severity: str | None = None
    component: str | None = None
    keys: frozenset[str] = frozenset()  # what an exception may name (casefolded) to lift it

    def json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "watch": self.watch,
            "rule": self.rule,
            "message": self.message,
            "advisory": self.advisory,
            "severity": self.severity,
            "component": self.component,
        }


def judge(
    policy: Policy, watch: str, scan: ScanState, facts: ArtifactFacts, now: float
) -> list[Violation]:
    """Every way the artifact breaks ``policy``, exceptions not yet considered."""
    rules, found = policy.rules, []

    def violation(rule: str, message: str, **extra: Any) -> Violation:
        return Violation(policy.name, watch, rule, message, policy.actions, **extra)

    listed = {a.casefold() for a in rules.advisories}
    floor = severity_rank(rules.min_severity) if rules.min_severity else None
    seen: set[tuple[str, str, str]] = set()
    for fact in facts.findings:
        names = {fact.advisory_id.casefold(), *(a.casefold() for a in fact.aliases)}
        if names & listed:
            rule = "advisories"
        elif floor is not None and severity_rank(fact.severity) >= floor:
            rule = "minSeverity"
        else:
            continue
        if (fact.advisory_id, fact.component, fact.version) in seen:
            continue
        seen.add((fact.advisory_id, fact.component, fact.version))
        component = f"{fact.component} {fact.version}"
        found.append(
            violation(
                rule,
                f"{fact.advisory_id} ({fact.severity}) in {component}",
                advisory=fact.advisory_id,
                severity=fact.severity,
                component=component,
                keys=frozenset(names),
            )
        )
    denied = {name.casefold(): name for name in rules.licenses}
    for licensed in facts.licensed if denied else ():
        hits = [denied[n] for n in _license_names(licensed.licenses) if n in denied]
        if hits:
            component = f"{licensed.name} {licensed.version}"
            found.append(
                violation(
                    "licenses",
                    f"{component} is licensed {' / '.join(licensed.licenses)}, and the policy "
                    f"denies {', '.join(dict.fromkeys(hits))}",
                    component=component,
                    keys=frozenset((LICENSE_PREFIX + hit).casefold() for hit in hits),
                )
            )
    limit = rules.max_unscanned_seconds
    if limit is not None and scan.status in (None, *UNSCANNED):
        age = None if scan.requested_at is None else now - scan.requested_at
        if age is None or age > limit:
            found.append(violation("maxUnscannedSeconds", _unscanned(scan, age, limit)))
    if rules.block_incomplete and scan.status == "incomplete":
        more = len(scan.reasons) - 1
        why = scan.reasons[0] if scan.reasons else "a limit was hit"
        extra = f" (and {more} more reasons)" if more > 0 else ""
        found.append(violation("blockIncomplete", f"its scan is incomplete: {why}{extra}"))
    return found


def lifted(violation: Violation, exceptions: Iterable[ExceptionRecord], now: float) -> bool:
    """Whether an unexpired exception names this violation's advisory (or license)."""
    return any(
        e.expires_at > now
        and (e.policy is None or e.policy == violation.policy)
        and e.advisory.casefold() in violation.keys
        for e in exceptions
    )


def worst_first(violations: Iterable[Violation]) -> list[Violation]:
    """Advisories from the most severe down, then the other rules; by policy within each."""
    return sorted(
        violations,
        key=lambda v: (
            -severity_rank(v.severity) if v.severity else 1,
            v.policy,
            v.watch,
            v.advisory or "",
            v.component or "",
            v.rule,
        ),
    )


def refusal(digest: str, violations: Sequence[Violation], prefix: str = "") -> PolicyViolation:
    """The error that blocks a download or promotion of ``digest``: it names the policy, its
    watch and the worst violation, and what the caller can do about it."""
    worst = violations[0]
    others = len(violations) - 1
    more = f" (and {others} more)" if others > 0 else ""
    message = (
        f'{prefix}blocked by policy "{worst.policy}" (watch "{worst.watch}"): '
        f"{worst.message}{more}; {_hint(worst)}"
    )
    detail = {
        "policy": worst.policy,
        "watch": worst.watch,
        "rule": worst.rule,
        "advisory": worst.advisory,
        "severity": worst.severity,
        "component": worst.component,
        "digest": digest,
    }
    return PolicyViolation(message, detail)


def _hint(violation: Violation) -> str:
    if violation.rule == "licenses":
        names = sorted(k.removeprefix(LICENSE_PREFIX) for k in violation.keys)
        return f'ask an admin for an exception for "{LICENSE_PREFIX}{names[0]}"'
    if violation.rule == "maxUnscannedSeconds":
        return "it passes once its scan is done (POST /api/v1/scan asks for one)"
    if violation.rule == "blockIncomplete":
        return "an admin may change the policy"
    return "ask an admin for an exception"


def _unscanned(scan: ScanState, age: float | None, limit: int) -> str:
    allowed = f"the policy allows {limit} s"
    if scan.status is None or age is None:
        return f"it has never been scanned ({allowed} without a scan)"
    if scan.status == "failed":
        why = f" ({scan.reasons[0]})" if scan.reasons else ""
        return f"its scan failed{why}, {int(age)} s after it was asked for; {allowed}"
    return f"its scan is still pending {int(age)} s after it was asked for; {allowed}"


def _license_names(licenses: Iterable[str]) -> set[str]:
    """Every license a component names, whole and as the identifiers of its expressions."""
    names: set[str] = set()
    for text in licenses:
        names.add(text.strip().casefold())
        names.update(
            part.casefold()
            for part in re.split(r"[\s()]+", text)
            if part and part.casefold() not in _OPERATORS
        )
    return names


def _fields(doc: object, what: str, allowed: Sequence[str]) -> dict[str, Any]:
    if not isinstance(doc, Mapping):
        raise BadRequest(f"{what!r} must be an object with some of: {', '.join(allowed)}")
    unknown = sorted(str(k) for k in doc if k not in allowed)
    if unknown:
        raise BadRequest(f"unknown field {what}.{unknown[0][:60]}; allowed: {', '.join(allowed)}")
    return {str(k): v for k, v in doc.items() if v is not None}


def _ids(value: object, what: str, example: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise BadRequest(f"{what} must be a list of at most {MAX_ENTRIES} strings")
    for item in value:
        if not isinstance(item, str) or not _ID.match(item):
            raise BadRequest(
                f"{what}: {str(item)[:60]!r} is not {example} (1-{MAX_ID} characters, no spaces)"
            )
    return tuple(dict.fromkeys(value))


__all__ = [
    "ACTION_FIELDS",
    "LICENSE_PREFIX",
    "RULE_FIELDS",
    "SEVERITY_LEVELS",
    "Actions",
    "Policy",
    "Rules",
    "ScanState",
    "Violation",
    "judge",
    "lifted",
    "refusal",
    "worst_first",
]
