"""The operations of retention: policies and their runs."""

from __future__ import annotations

from cargohold.api.rest.openapi.operations import (
    ADMIN,
    Json,
    create,
    delete,
    get,
    listing,
    operation,
    parameter,
    response,
)
from cargohold.wire.retention import (
    RetentionPolicy,
    RetentionPolicyCreate,
    RetentionRunRequest,
    RetentionRunResult,
)

NEVER = (
    " Whatever a policy says, nothing goes from a repository with immutable tags, nor the "
    "target of a recent promotion (setting `retention_protect_promoted_days`), nor what the "
    "property `retention.protect=true` marks (on `image:NAME@DIGEST` or `tag:NAME:TAG`), nor a "
    "manifest that one which stays lists (an index's children) or refers to (a signature's "
    "subject), nor the signatures and SBOMs of one that stays."
)


def retention_paths() -> Json:
    policy = [parameter("policy", "The policy's id or name.", where="path")]
    return {
        "/retention": {
            "get": listing(
                "listRetentionPolicies", "List retention policies, by name.", ADMIN, RetentionPolicy
            ),
            "post": create(
                "createRetentionPolicy",
                "Create a retention policy: which tags and untagged manifests of the docker "
                "repositories it covers go (local, or the caches of remote repositories). A "
                "rule removes only what it names: tags past the newest `keepLast`, pushed "
                "over `olderThanDays` ago, or that nobody pulled for `unusedDays` (with the "
                "manifests they leave untagged); untagged manifests pushed over "
                "`untaggedOlderThanDays` ago." + NEVER,
                ADMIN,
                RetentionPolicy,
                RetentionPolicyCreate,
            ),
        },
        "/retention/{policy}": {
            "parameters": policy,
            "get": get("getRetentionPolicy", "Show a retention policy.", ADMIN, RetentionPolicy),
            "delete": delete("deleteRetentionPolicy", "Delete a retention policy.", ADMIN),
        },
        "/retention/run": {
            "post": operation(
                "runRetention",
                "Run every enabled retention policy (or the one named): a dry run lists what "
                "would go and changes nothing; a real run removes exactly that (tags and "
                "manifests, as metadata: garbage collection reclaims the bytes), sends a "
                "`delete` event for each, and records one `retention.run` audit entry." + NEVER,
                ADMIN,
                {
                    "200": response(
                        "What went (or would go), and which rule named it.", RetentionRunResult
                    )
                },
                "400 401 403 404 429",
                body=RetentionRunRequest,
            ),
        },
    }


__all__ = ["retention_paths"]
