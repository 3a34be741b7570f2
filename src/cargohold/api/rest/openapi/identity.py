"""The operations of health, the caller, repositories, users, groups, permissions, API tokens
and the audit log."""

from __future__ import annotations

from cargohold.api.rest.openapi.operations import (
    ADMIN,
    ANONYMOUS,
    OWNER,
    SIGNED_IN,
    STRING,
    TIMESTAMP,
    Json,
    create,
    delete,
    get,
    listing,
    operation,
    parameter,
    response,
    update,
)
from cargohold.wire.identity import (
    AuditEvent,
    Group,
    GroupCreate,
    GroupUpdate,
    Me,
    NewToken,
    Permission,
    PermissionCreate,
    Token,
    TokenCreate,
    User,
    UserCreate,
    UserUpdate,
)
from cargohold.wire.repositories import (
    Repository,
    RepositoryCreate,
    RepositoryDeletion,
    RepositoryUpdate,
)
from cargohold.wire.system import Health, KeyRotation

BOOLEAN: Json = {"type": "boolean", "default": False}


def identity_paths() -> Json:
    principal = parameter("principal", "Only this principal, e.g. `user:reader` or `group:devs`.")
    return {
        "/health": {
            "get": get(
                "getHealth", "Tell whether the server is up.", ANONYMOUS, Health, anonymous=True
            )
        },
        "/openapi.json": {
            "get": operation(
                "getOpenApi",
                "This OpenAPI document.",
                ANONYMOUS,
                {"200": response("The OpenAPI 3.1 document.", {"type": "object"})},
                "",
                anonymous=True,
            ),
        },
        "/me": {
            "get": operation(
                "getMe",
                "Show the caller and the API token it used.",
                SIGNED_IN,
                {"200": response("The caller.", Me)},
                "401 429",
            )
        },
        "/system/token-keys/rotate": {
            "post": operation(
                "rotateTokenKey",
                "Rotate the signing key of registry bearer tokens.",
                ADMIN,
                {"200": response("Rotated.", KeyRotation)},
                "401 403 429",
            )
        },
        "/repositories": {
            "get": listing(
                "listRepositories",
                "List the repositories the caller may read.",
                "Anyone; anonymous callers see only repositories with anonymousRead.",
                Repository,
                errors="400 401 429",
                anonymous=True,
            ),
            "post": create(
                "createRepository",
                "Create a repository: local, remote (a pull-through cache of `upstream`) or "
                "virtual (names resolved in `members`, in order). Settings of one kind given "
                "to another, a bad upstream URL or an unknown member: 400.",
                ADMIN,
                Repository,
                RepositoryCreate,
            ),
        },
        "/repositories/{key}": {
            "parameters": [parameter("key", "The repository key.", where="path")],
            "get": get(
                "getRepository",
                "Show a repository.",
                "Anyone who may read it; anonymous callers if it has anonymousRead.",
                Repository,
                anonymous=True,
            ),
            "patch": update(
                "updateRepository",
                "Change a repository's description, anonymousRead, immutableTags or quotaBytes; "
                "a remote one's upstream settings; a virtual one's members and "
                "defaultDeployRepo. The kind does not change.",
                "Administrators, or users with `manage` on the repository; quotaBytes, a "
                "remote's upstream, username, password and verifyTls, and a virtual's members "
                "and defaultDeployRepo: administrators only (403).",
                Repository,
                RepositoryUpdate,
            ),
            "delete": operation(
                "deleteRepository",
                "Delete a repository. One that holds tags, manifests or files is refused "
                "(409) unless `force=true`; one with immutable tags also needs its key as "
                "`confirm`. A member of a virtual repository is refused (409) until it is "
                "taken out of the members. The audit log records what went.",
                ADMIN,
                {"200": response("Deleted; counts what went with it.", RepositoryDeletion)},
                "400 401 403 404 409 429",
                parameters=[
                    parameter("force", "true: delete it with everything it holds.", BOOLEAN),
                    parameter("confirm", "The key typed back, for immutable tags."),
                ],
            ),
        },
        "/users": {
            "get": listing("listUsers", "List users.", ADMIN, User),
            "post": create(
                "createUser", "Create a user or service account.", ADMIN, User, UserCreate
            ),
        },
        "/users/{name}": {
            "parameters": [parameter("name", "The user name.", where="path")],
            "get": get("getUser", "Show a user.", "Administrators, or the user itself.", User),
            "patch": update(
                "updateUser",
                "Change a user's password, email or admin flag.",
                "Administrators; a user may change its own password and email.",
                User,
                UserUpdate,
                "400 401 403 404 409 429",
            ),
            "delete": delete(
                "deleteUser", "Delete a user, unless the last admin.", ADMIN, "401 403 404 409 429"
            ),
        },
        "/groups": {
            "get": listing("listGroups", "List groups.", ADMIN, Group),
            "post": create("createGroup", "Create a group.", ADMIN, Group, GroupCreate),
        },
        "/groups/{name}": {
            "parameters": [parameter("name", "The group name.", where="path")],
            "get": get("getGroup", "Show a group.", ADMIN, Group),
            "patch": update(
                "updateGroup",
                "Change a group's description or members.",
                ADMIN,
                Group,
                GroupUpdate,
            ),
            "delete": delete("deleteGroup", "Delete a group.", ADMIN),
        },
        "/permissions": {
            "get": listing("listPermissions", "List permissions.", ADMIN, Permission, principal),
            "post": create(
                "createPermission",
                "Grant actions on repositories to a user or group.",
                ADMIN,
                Permission,
                PermissionCreate,
                "400 401 403 404 429",
            ),
        },
        "/permissions/{id}": {
            "parameters": [parameter("id", "The permission id.", where="path")],
            "get": get("getPermission", "Show a permission.", ADMIN, Permission),
            "delete": delete("deletePermission", "Revoke a permission.", ADMIN),
        },
        "/tokens": {
            "get": listing(
                "listTokens",
                "List API tokens, never their secrets.",
                "Any signed-in user, for its own tokens; administrators may pass `owner`.",
                Token,
                parameter("owner", "Another user's tokens (admin only)."),
            ),
            "post": create(
                "createToken",
                "Create an API token; its secret is shown this once.",
                "Any signed-in user, for itself; administrators for anyone (e.g. a service "
                "account). Scopes beyond the owner's rights are refused with 403.",
                NewToken,
                TokenCreate,
                "400 401 403 429",
                headers={"Cache-Control": {"schema": STRING, "example": "no-store"}},
            ),
        },
        "/tokens/{id}": {
            "parameters": [
                parameter("id", "The token id: the 16 hex digits after `chk_`.", where="path")
            ],
            "get": operation(
                "getToken",
                "Show an API token.",
                OWNER,
                {"200": response("Found.", Token)},
                "401 404 429",
            ),
            "delete": delete("deleteToken", "Revoke an API token at once.", OWNER, "401 404 429"),
        },
        "/audit": {
            "get": listing(
                "listAuditEvents",
                "List audit events, newest first.",
                ADMIN,
                AuditEvent,
                principal,
                parameter("action", "Only this action, e.g. `manifest.push`."),
                parameter("repository", "Only events on this repository."),
                parameter("since", "Only events at or after this time.", TIMESTAMP),
                parameter("until", "Only events before this time.", TIMESTAMP),
            ),
        },
    }


__all__ = ["identity_paths"]
