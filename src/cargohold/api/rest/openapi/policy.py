"""The operations of policies, the watches that apply them and exceptions to them."""

from __future__ import annotations

from cargohold.api.rest.openapi.operations import (
    ADMIN,
    SIGNED_IN,
    Json,
    create,
    delete,
    get,
    listing,
    parameter,
    schema,
    update,
)
from cargohold.wire.policy import (
    Policy,
    PolicyCreate,
    PolicyException,
    PolicyExceptionCreate,
    PolicyUpdate,
    Watch,
    WatchCreate,
    WatchUpdate,
)

BLOCKED = (
    " A blocked pull answers 403 `DENIED`, a blocked promotion 403 problem JSON of type "
    "`policy-violation` with the extension members `policy`, `watch`, `rule`, "
    "`advisory`, `severity` and `component`."
)


def policy_paths() -> Json:
    name = [parameter("name", "The policy name.", where="path")]
    watch = [parameter("name", "The watch name.", where="path")]
    return {
        "/policies": {
            "get": listing("listPolicies", "List policies, by name.", SIGNED_IN, Policy),
            "post": create(
                "createPolicy",
                "Create a policy: rules an artifact must not break, and what happens when it "
                "does (in the repositories a watch applies it to)." + BLOCKED,
                ADMIN,
                Policy,
                PolicyCreate,
            ),
        },
        "/policies/{name}": {
            "parameters": name,
            "get": get("getPolicy", "Show a policy.", SIGNED_IN, Policy),
            "patch": update("updatePolicy", "Change a policy.", ADMIN, Policy, PolicyUpdate),
            "delete": delete(
                "deletePolicy",
                "Delete a policy no watch applies (409 names the watches that do).",
                ADMIN,
                "401 403 404 409 429",
            ),
        },
        "/watches": {
            "get": listing("listWatches", "List watches, by name.", SIGNED_IN, Watch),
            "post": create(
                "createWatch",
                "Apply policies to repository keys or patterns.",
                ADMIN,
                Watch,
                WatchCreate,
                "400 401 403 404 409 429",
            ),
        },
        "/watches/{name}": {
            "parameters": watch,
            "get": get("getWatch", "Show a watch.", SIGNED_IN, Watch),
            "patch": update("updateWatch", "Change a watch.", ADMIN, Watch, WatchUpdate),
            "delete": delete("deleteWatch", "Delete a watch.", ADMIN),
        },
        "/policies/exceptions": {
            "get": listing(
                "listPolicyExceptions",
                "List policy exceptions, newest first, expired ones too (`expired: true`).",
                ADMIN,
                PolicyException,
                parameter("digest", "Only exceptions for this digest."),
                parameter(
                    "expired", "Only expired, or only unexpired, exceptions.", schema("boolean")
                ),
            ),
            "post": create(
                "grantPolicyException",
                "Let one artifact through despite one advisory (or denied license) until a "
                "time at most 90 days ahead; recorded in the audit log.",
                ADMIN,
                PolicyException,
                PolicyExceptionCreate,
                "400 401 403 404 429",
            ),
        },
        "/policies/exceptions/{id}": {
            "parameters": [parameter("id", "The exception id.", where="path")],
            "get": get("getPolicyException", "Show a policy exception.", ADMIN, PolicyException),
            "delete": delete("revokePolicyException", "Revoke a policy exception at once.", ADMIN),
        },
    }


__all__ = ["policy_paths"]
