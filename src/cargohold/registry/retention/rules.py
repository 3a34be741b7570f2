"""A retention policy as an administrator writes it, checked: its name, the repositories
and images it applies to, and its rules. A rule names what it removes; nothing else is
touched (a keep-last rule leaves the tags its pattern does not match alone)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cargohold.core.errors import BadRequest
from cargohold.records.retention import RetentionRule
from cargohold.registry.identity.permissions import validate_pattern

MAX_RULES = 20
MAX_DAYS = 36500
MAX_KEEP = 100_000
MAX_DESCRIPTION = 1000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_TAG_PATTERN = re.compile(r"^[A-Za-z0-9_.*?\[\]!-]{1,128}$")
_IMAGE_PATTERN = re.compile(r"^[a-z0-9*?\[][a-z0-9._/*?\[\]!-]{0,254}$")
_RULE_KEYS = ("tags", "keepLast", "olderThanDays", "unusedDays", "untaggedOlderThanDays")
RUN = "run"  # /retention/run is the run, not a policy


@dataclass(frozen=True, slots=True)
class NewRetentionPolicy:
    """What an administrator asks for in creating a policy (rules as sent)."""

    name: str
    repositories: list[str]
    rules: list[dict[str, Any]]
    images: str | None = None
    description: str = ""
    enabled: bool = True


def validate_name(value: object) -> str:
    if not isinstance(value, str) or not _NAME.match(value) or value == RUN:
        raise BadRequest(
            f"retention policy name {str(value)[:60]!r} must be 1-128 letters, digits, '.', "
            "'_' or '-', starting with a letter or digit (and not 'run')"
        )
    return value


def repository_patterns(values: list[str]) -> tuple[str, ...]:
    patterns = tuple(dict.fromkeys(validate_pattern(v) for v in values))
    if not patterns:
        raise BadRequest("'repositories' needs at least one key or pattern, e.g. ['dev']")
    return patterns


def image_pattern(value: str | None) -> str | None:
    if value is None:
        return None
    if not _IMAGE_PATTERN.match(value):
        raise BadRequest(
            f"'images' {value[:80]!r} must be an image name or a pattern of one: lowercase "
            "letters, digits, '.', '_', '-', '/', with '*', '?' and [...] as wildcards, at "
            "most 255 characters"
        )
    return value


def description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise BadRequest(f"'description' must be at most {MAX_DESCRIPTION} characters")
    return value


def parse_rules(values: list[dict[str, Any]]) -> tuple[RetentionRule, ...]:
    if not values:
        raise BadRequest(
            '\'rules\' needs at least one rule, e.g. [{"tags": "*", "keepLast": 10}] or '
            '[{"untaggedOlderThanDays": 7}] or [{"tags": "*", "unusedDays": 30}]'
        )
    if len(values) > MAX_RULES:
        raise BadRequest(f"a retention policy has at most {MAX_RULES} rules")
    return tuple(parse_rule(value, i) for i, value in enumerate(values))


def parse_rule(value: Mapping[str, Any], index: int) -> RetentionRule:
    where = f"rules[{index}]"
    unknown = sorted(set(value) - set(_RULE_KEYS))
    if unknown:
        raise BadRequest(
            f"{where}: unknown field {unknown[0]!r}; a rule has {', '.join(_RULE_KEYS)}"
        )
    untagged = _whole(value, "untaggedOlderThanDays", where, 1, MAX_DAYS)
    keep_last = _whole(value, "keepLast", where, 0, MAX_KEEP)
    older = _whole(value, "olderThanDays", where, 1, MAX_DAYS)
    unused = _whole(value, "unusedDays", where, 1, MAX_DAYS)
    tags = value.get("tags")
    if untagged is not None:
        if tags is not None or keep_last is not None or older is not None or unused is not None:
            raise BadRequest(
                f"{where}: 'untaggedOlderThanDays' stands alone (untagged manifests have no "
                "tags); put tag conditions in a rule of their own"
            )
        return RetentionRule(untagged_days=untagged)
    if keep_last is None and older is None and unused is None:
        raise BadRequest(
            f"{where}: a rule needs 'keepLast', 'olderThanDays' and/or 'unusedDays' (with "
            "'tags'), or 'untaggedOlderThanDays'"
        )
    if tags is None:
        raise BadRequest(
            f"{where}: 'tags' is required: the pattern of the tags the rule may remove "
            "(e.g. 'pr-*'); a rule removes only tags it names, so say '*' to mean every tag"
        )
    if not isinstance(tags, str) or not _TAG_PATTERN.match(tags):
        raise BadRequest(
            f"{where}: 'tags' {str(tags)[:80]!r} must be a tag or a pattern of one: letters, "
            "digits, '_', '.', '-', with '*', '?' and [...] as wildcards, at most 128 characters"
        )
    return RetentionRule(tags=tags, keep_last=keep_last, older_than_days=older, unused_days=unused)


def _whole(value: Mapping[str, Any], key: str, where: str, least: int, most: int) -> int | None:
    found = value.get(key)
    if found is None:
        return None
    if isinstance(found, bool) or not isinstance(found, int) or not least <= found <= most:
        raise BadRequest(f"{where}: {key!r} must be a whole number from {least} to {most}")
    return found


__all__ = [
    "MAX_RULES",
    "RUN",
    "NewRetentionPolicy",
    "description",
    "image_pattern",
    "parse_rule",
    "parse_rules",
    "repository_patterns",
    "validate_name",
]
