"""The component schemas of policies, watches and policy exceptions in the OpenAPI document."""

from __future__ import annotations

from cargohold.api.rest.schemas import (
    STRING,
    TIMESTAMP,
    Json,
    array,
    body,
    nullable,
    obj,
    ref,
    schema,
)
from cargohold.registry.policy.exceptions import MAX_EXCEPTION_SECONDS
from cargohold.registry.policy.rules import MAX_UNSCANNED, SEVERITY_LEVELS

NAME = schema("string", pattern="^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", examples=["no-critical"])
IDS = array(schema("string", minLength=1, maxLength=128), maxItems=500)


def policy_schemas() -> Json:
    rules = body(
        [],
        minSeverity=schema(
            "string",
            "Findings of this severity or worse violate the policy.",
            enum=list(SEVERITY_LEVELS),
        ),
        advisories=IDS
        | {"description": "These advisories (OSV ids or aliases, e.g. CVE-2021-44228)."},
        licenses=IDS
        | {
            "description": "Denied licenses: a component whose license (or any license of "
            "its expression) is one of these violates the policy; case-insensitive."
        },
        maxUnscannedSeconds=schema(
            "integer",
            "An artifact whose scan is still pending or failed (or was never asked for) this "
            "long after it was requested violates the policy.",
            minimum=1,
            maximum=MAX_UNSCANNED,
        ),
        blockIncomplete=schema("boolean", "An incomplete scan violates the policy."),
    ) | {"minProperties": 1}
    actions = body(
        [],
        blockDownload=schema(
            "boolean", "Refuse pulls (OCI DENIED) and file downloads (403).", default=False
        ),
        blockPromotion=schema(
            "boolean", "Refuse promotions into the watched repositories (403).", default=False
        ),
        notify=schema("boolean", "Emit a `violation` event (webhooks).", default=False),
    ) | {"minProperties": 1}
    patterns = array(STRING, "Repository keys or patterns, e.g. `prod`, `team-*`.", minItems=1)
    return {
        "PolicyRules": rules,
        "PolicyActions": actions,
        "Policy": obj(
            name=STRING,
            description=STRING,
            rules=ref("PolicyRules"),
            actions=ref("PolicyActions"),
            created=TIMESTAMP,
            updated=TIMESTAMP,
            createdBy=STRING,
        ),
        "PolicyCreate": body(
            ["name", "rules", "actions"],
            name=NAME,
            description=schema("string", default="", maxLength=1000),
            rules=ref("PolicyRules"),
            actions=ref("PolicyActions"),
        ),
        "PolicyUpdate": body(
            [],
            description=schema("string", maxLength=1000),
            rules=ref("PolicyRules") | {"description": "Replaces all rules."},
            actions=ref("PolicyActions") | {"description": "Replaces all actions."},
        ),
        "Watch": obj(
            name=STRING,
            description=STRING,
            repositories=array(STRING),
            policies=array(STRING),
            created=TIMESTAMP,
            updated=TIMESTAMP,
            createdBy=STRING,
        ),
        "WatchCreate": body(
            ["name", "repositories", "policies"],
            name=NAME,
            description=schema("string", default="", maxLength=1000),
            repositories=patterns,
            policies=array(NAME, "Names of existing policies.", minItems=1),
        ),
        "WatchUpdate": body(
            [],
            description=schema("string", maxLength=1000),
            repositories=patterns,
            policies=array(NAME, minItems=1),
        ),
        "PolicyException": obj(
            id=STRING,
            digest=schema("string", examples=["sha256:…"]),
            advisory=schema("string", examples=["CVE-2021-44228", "license:GPL-3.0-only"]),
            policy=nullable(STRING, "null: under every policy."),
            reason=STRING,
            expires=TIMESTAMP,
            expired=schema("boolean", "An expired exception no longer applies."),
            created=TIMESTAMP,
            createdBy=STRING,
        ),
        "PolicyExceptionCreate": body(
            ["digest", "advisory", "reason"],
            digest=schema(
                "string",
                "An image, index or file digest; an index's exception covers the manifests "
                "it lists.",
                examples=["sha256:…"],
            ),
            advisory=schema(
                "string",
                "An OSV id or alias; `license:NAME` for a denied license.",
                minLength=1,
                maxLength=140,
            ),
            policy=schema("string", "Only under this policy; omitted: under every policy."),
            expires=TIMESTAMP,
            expiresIn=schema("integer", "Seconds.", minimum=1, maximum=MAX_EXCEPTION_SECONDS),
            reason=schema("string", minLength=1, maxLength=2000),
        )
        | {
            "description": "Time-limited: give `expires` or `expiresIn` (at most 90 days).",
            "oneOf": [{"required": ["expires"]}, {"required": ["expiresIn"]}],
        },
    }


__all__ = ["policy_schemas"]
