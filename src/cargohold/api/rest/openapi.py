"""The OpenAPI 3.1 document of ``/api/v1``, as plain dicts (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

import functools
import importlib.metadata

from cargohold.api.rest.insight_schemas import insight_schemas
from cargohold.api.rest.policy_schemas import policy_schemas
from cargohold.api.rest.schemas import (
    STRING,
    TIMESTAMP,
    Json,
    array,
    obj,
    ref,
    schema,
    schemas,
)

DESCRIPTION = """\
Identity, access and repository administration for cargohold.

Authenticate with `Authorization: Basic` (user name and password, or user name and API token) \
or `Authorization: Bearer <API token>`; API tokens look like `chk_<16 hex id>_<secret>`. \
Errors are RFC 9457 `application/problem+json`. Lists take `limit` and `after` and answer \
`{"items": [...], "next": cursor | null}`, plus a `Link: <...>; rel="next"` header when there \
is a next page. Timestamps are RFC 3339 UTC strings.

The registry API (`/v2`) has its own token service at `/v2/token`: `GET` with Basic \
credentials (or none, for anonymous pulls) and `service`/`scope` query parameters, or `POST` \
with an OAuth2 form (`grant_type=password` or `grant_type=refresh_token`; \
`access_type=offline` also returns a refresh token, as `docker login` asks). Bearer tokens \
from it live `token_ttl` seconds (default 300), but every request is also checked against \
the current permissions, so a removed permission takes effect at the next request.\
"""

# The digest grammar of the OCI image spec: algorithm ":" encoded.
DIGEST_PATTERN = "^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"
ANONYMOUS = "Anyone, without credentials."
SIGNED_IN = "Any signed-in user."
ADMIN = "Administrators only."
OWNER = "The token's owner, or administrators; to anyone else the token is unknown (404)."
AUTHENTICATED: list[Json] = [{"basic": []}, {"bearer": []}]

# status: (name in components/responses, description, headers)
PROBLEMS: dict[str, tuple[str, str, Json]] = {
    "400": ("BadRequest", "The body or a query parameter is invalid.", {}),
    "401": (
        "Unauthorized",
        "No credentials, or wrong ones.",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "example": 'Basic realm="cargohold"'}},
    ),
    "403": ("Forbidden", "Signed in, but not allowed to do this.", {}),
    "404": ("NotFound", "No such object.", {}),
    "409": ("Conflict", "It exists already, or the change would remove the last admin.", {}),
    "413": ("PayloadTooLarge", "The request body is over the size this operation accepts.", {}),
    "429": (
        "TooManyRequests",
        "Too many failed sign-ins; try again later.",
        {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    ),
}


def _content(schema: Json, media_type: str = "application/json") -> Json:
    return {media_type: {"schema": schema}}


def _response(
    description: str, schema: str | Json | None = None, headers: Json | None = None
) -> Json:
    response: Json = {"description": description}
    if schema is not None:
        response["content"] = _content(ref(schema) if isinstance(schema, str) else schema)
    return response | ({"headers": headers} if headers else {})


def _parameter(name: str, description: str, schema: Json = STRING, where: str = "query") -> Json:
    required = where == "path"
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema,
    }


def _operation(
    operation_id: str,
    summary: str,
    who: str,
    responses: dict[str, Json],
    errors: str = "401 403 404 429",
    *,
    body: str | None = None,
    parameters: list[Json] | None = None,
    anonymous: bool = False,
) -> Json:
    """One operation; ``errors`` are its problem statuses, e.g. ``"400 401 403"``."""
    operation: Json = {"operationId": operation_id, "summary": summary, "description": who}
    if not anonymous:
        operation["security"] = AUTHENTICATED
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _content(ref(body))}
    problems = {status: ref(PROBLEMS[status][0], "responses") for status in errors.split()}
    problems["414"] = ref("UriTooLong", "responses")  # any operation, from the HTTP server
    return operation | {"responses": responses | problems}


def _list(
    operation_id: str,
    summary: str,
    who: str,
    schema: str,
    *filters: Json,
    errors: str = "400 401 403 429",
    anonymous: bool = False,
) -> Json:
    page = obj(items=array(ref(schema)), next=ref("Next"))
    ok = _response(f"A page of {schema} objects.", page, {"Link": ref("Link", "headers")})
    paging = [ref("limit", "parameters"), ref("after", "parameters")]
    return _operation(
        operation_id,
        summary,
        who,
        {"200": ok},
        errors,
        parameters=[*filters, *paging],
        anonymous=anonymous,
    )


def _get(
    operation_id: str,
    summary: str,
    who: str,
    schema: str,
    errors: str = "401 403 404 429",
    *,
    anonymous: bool = False,
) -> Json:
    found = {"200": _response("Found.", schema)}
    return _operation(operation_id, summary, who, found, errors, anonymous=anonymous)


def _create(
    operation_id: str,
    summary: str,
    who: str,
    schema: str,
    errors: str = "400 401 403 409 429",
    body: str = "",
    headers: Json | None = None,
) -> Json:
    location = {"Location": {"description": "The URL of the new object.", "schema": STRING}}
    created = _response("Created.", schema, location | (headers or {}))
    return _operation(
        operation_id, summary, who, {"201": created}, errors, body=body or f"{schema}Create"
    )


def _update(
    operation_id: str, summary: str, who: str, schema: str, errors: str = "400 401 403 404 429"
) -> Json:
    changed = _response("Changed.", schema)
    return _operation(operation_id, summary, who, {"200": changed}, errors, body=f"{schema}Update")


def _delete(operation_id: str, summary: str, who: str, errors: str = "401 403 404 429") -> Json:
    return _operation(operation_id, summary, who, {"204": _response("Deleted.")}, errors)


def _paths() -> Json:
    principal = _parameter("principal", "Only this principal, e.g. `user:reader` or `group:devs`.")
    return {
        "/health": {
            "get": _get(
                "getHealth", "Tell whether the server is up.", ANONYMOUS, "Health", anonymous=True
            )
        },
        "/openapi.json": {
            "get": _operation(
                "getOpenApi",
                "This OpenAPI document.",
                ANONYMOUS,
                {"200": _response("The OpenAPI 3.1 document.", {"type": "object"})},
                "",
                anonymous=True,
            ),
        },
        "/me": {
            "get": _operation(
                "getMe",
                "Show the caller and the API token it used.",
                SIGNED_IN,
                {"200": _response("The caller.", "Me")},
                "401 429",
            )
        },
        "/system/token-keys/rotate": {
            "post": _operation(
                "rotateTokenKey",
                "Rotate the signing key of registry bearer tokens.",
                ADMIN,
                {"200": _response("Rotated.", "KeyRotation")},
                "401 403 429",
            )
        },
        "/repositories": {
            "get": _list(
                "listRepositories",
                "List the repositories the caller may read.",
                "Anyone; anonymous callers see only repositories with anonymousRead.",
                "Repository",
                errors="400 401 429",
                anonymous=True,
            ),
            "post": _create("createRepository", "Create a repository.", ADMIN, "Repository"),
        },
        "/repositories/{key}": {
            "parameters": [_parameter("key", "The repository key.", where="path")],
            "get": _get(
                "getRepository",
                "Show a repository.",
                "Anyone who may read it; anonymous callers if it has anonymousRead.",
                "Repository",
                anonymous=True,
            ),
            "patch": _update(
                "updateRepository",
                "Change a repository's description or anonymousRead.",
                "Administrators, or users with `manage` on the repository.",
                "Repository",
            ),
            "delete": _delete("deleteRepository", "Delete a repository.", ADMIN),
        },
        "/users": {
            "get": _list("listUsers", "List users.", ADMIN, "User"),
            "post": _create("createUser", "Create a user or service account.", ADMIN, "User"),
        },
        "/users/{name}": {
            "parameters": [_parameter("name", "The user name.", where="path")],
            "get": _get("getUser", "Show a user.", "Administrators, or the user itself.", "User"),
            "patch": _update(
                "updateUser",
                "Change a user's password, email or admin flag.",
                "Administrators; a user may change its own password and email.",
                "User",
                "400 401 403 404 409 429",
            ),
            "delete": _delete(
                "deleteUser", "Delete a user, unless the last admin.", ADMIN, "401 403 404 409 429"
            ),
        },
        "/groups": {
            "get": _list("listGroups", "List groups.", ADMIN, "Group"),
            "post": _create("createGroup", "Create a group.", ADMIN, "Group"),
        },
        "/groups/{name}": {
            "parameters": [_parameter("name", "The group name.", where="path")],
            "get": _get("getGroup", "Show a group.", ADMIN, "Group"),
            "patch": _update(
                "updateGroup", "Change a group's description or members.", ADMIN, "Group"
            ),
            "delete": _delete("deleteGroup", "Delete a group.", ADMIN),
        },
        "/permissions": {
            "get": _list("listPermissions", "List permissions.", ADMIN, "Permission", principal),
            "post": _create(
                "createPermission",
                "Grant actions on repositories to a user or group.",
                ADMIN,
                "Permission",
                "400 401 403 404 429",
            ),
        },
        "/permissions/{id}": {
            "parameters": [_parameter("id", "The permission id.", where="path")],
            "get": _get("getPermission", "Show a permission.", ADMIN, "Permission"),
            "delete": _delete("deletePermission", "Revoke a permission.", ADMIN),
        },
        "/tokens": {
            "get": _list(
                "listTokens",
                "List API tokens, never their secrets.",
                "Any signed-in user, for its own tokens; administrators may pass `owner`.",
                "Token",
                _parameter("owner", "Another user's tokens (admin only)."),
            ),
            "post": _create(
                "createToken",
                "Create an API token; its secret is shown this once.",
                "Any signed-in user, for itself; administrators for anyone (e.g. a service "
                "account). Scopes beyond the owner's rights are refused with 403.",
                "NewToken",
                "400 401 403 429",
                body="TokenCreate",
                headers={"Cache-Control": {"schema": STRING, "example": "no-store"}},
            ),
        },
        "/tokens/{id}": {
            "parameters": [
                _parameter("id", "The token id: the 16 hex digits after `chk_`.", where="path")
            ],
            "get": _operation(
                "getToken",
                "Show an API token.",
                OWNER,
                {"200": _response("Found.", "Token")},
                "401 404 429",
            ),
            "delete": _delete("deleteToken", "Revoke an API token at once.", OWNER, "401 404 429"),
        },
        "/audit": {
            "get": _list(
                "listAuditEvents",
                "List audit events, newest first.",
                ADMIN,
                "AuditEvent",
                principal,
                _parameter("action", "Only this action, e.g. `manifest.push`."),
                _parameter("repository", "Only events on this repository."),
                _parameter("since", "Only events at or after this time.", TIMESTAMP),
                _parameter("until", "Only events before this time.", TIMESTAMP),
            ),
        },
        **_lifecycle_paths(),
        **_generic_paths(),
        **_event_paths(),
        **_search_and_build_paths(),
        **_vulndb_paths(),
        **_insight_paths(),
        **_policy_paths(),
    }


def _lifecycle_paths() -> Json:
    artifact = [
        _parameter("repository", "The repository key (required)."),
        _parameter("image", "An image name, e.g. team/app, with digest or tag."),
        _parameter("digest", "The manifest digest."),
        _parameter("tag", "The tag."),
        _parameter("path", "A generic file path, instead of image."),
    ]
    signed_in = "Needs `promote` on the source and `write` on the target (`delete` too to move)."
    return {
        "/docker/{key}/promote": {
            "parameters": [_parameter("key", "The source repository.", where="path")],
            "post": _operation(
                "promoteDocker",
                "Promote an image by digest (Artifactory's docker promote).",
                signed_in,
                {"200": _response("Promoted (or, with dryRun, checked).", "PromotionResult")},
                "400 401 403 404 429",
                body="DockerPromotion",
            ),
        },
        "/promotions": {
            "get": _list(
                "listPromotions",
                "The promotion history, newest first.",
                "Any signed-in user; promotions from or to repositories it may read.",
                "Promotion",
                _parameter("digest", "Only promotions of this digest."),
                _parameter("image", "Only promotions of this image name."),
                _parameter("repository", "Only promotions from or to this repository."),
            ),
        },
        "/properties": {
            "get": _operation(
                "getProperties",
                "The properties of an image digest, a tag or a file.",
                "Needs `read` on the repository.",
                {"200": _response("Found.", "Properties")},
                "400 401 403 404 429",
                parameters=artifact,
                anonymous=True,
            ),
            "put": _operation(
                "setProperties",
                "Set properties: each key given gets exactly the values given.",
                "Needs `annotate` on the repository.",
                {"200": _response("Stored.", "Properties")},
                "400 401 403 404 429",
                body="PropertiesUpdate",
                parameters=artifact,
            ),
            "delete": _operation(
                "deleteProperties",
                "Delete properties (those in `keys`, or all).",
                "Needs `annotate` on the repository.",
                {"204": {"description": "Deleted."}},
                "400 401 403 404 429",
                parameters=[*artifact, _parameter("keys", "Comma-separated keys; default all.")],
            ),
        },
    }


def _generic_paths() -> Json:
    key = _parameter("key", "The generic repository.", where="path")
    cursor = schema("string", maxLength=1024)
    page = obj(items=array(ref("GenericFile")), next=ref("Next"))
    ok = _response("A page of files, by path.", page, {"Link": ref("Link", "headers")})
    return {
        "/generic/{key}/promote": {
            "parameters": [key],
            "post": _operation(
                "promoteGeneric",
                "Promote a file, or every file of a folder, to another generic repository "
                "(metadata only).",
                "Needs `promote` on the source (`delete` too to move) and `write` on the "
                "target (`delete` too to replace a different file there).",
                {
                    "200": _response(
                        "Promoted (or, with dryRun, checked).", "GenericPromotionResult"
                    )
                },
                "400 401 403 404 409 429",
                body="GenericPromotion",
            ),
        },
        "/generic/{key}/files": {
            "parameters": [key],
            "get": _operation(
                "listGenericFiles",
                "List the files of a generic repository, by path.",
                "Needs `read` on the repository; anonymous callers if it has anonymousRead.",
                {"200": ok},
                "400 401 403 404 429",
                parameters=[
                    _parameter("prefix", "Only paths that start with this, e.g. `web/1.4/`."),
                    ref("limit", "parameters"),
                    _parameter("after", "The `next` cursor of the previous page.", cursor),
                ],
                anonymous=True,
            ),
        },
    }


def _event_paths() -> Json:
    """Background jobs and webhooks."""
    webhook = [_parameter("id", "The webhook id.", where="path")]
    return {
        "/jobs": {
            "get": _list(
                "listJobs",
                "List background jobs, newest first.",
                ADMIN,
                "Job",
                _parameter(
                    "state",
                    "Only jobs in this state.",
                    schema("string", enum=["queued", "running", "done", "failed"]),
                ),
                _parameter("kind", "Only jobs of this kind, e.g. `webhook.deliver`."),
            ),
        },
        "/jobs/{id}": {
            "parameters": [_parameter("id", "The job id.", where="path")],
            "get": _get("getJob", "Show a background job.", ADMIN, "Job"),
        },
        "/webhooks": {
            "get": _list("listWebhooks", "List webhooks (never their secrets).", ADMIN, "Webhook"),
            "post": _create(
                "createWebhook",
                "Send events of some kinds on some repositories to a URL, signed.",
                ADMIN,
                "Webhook",
                "400 401 403 429",
            ),
        },
        "/webhooks/{id}": {
            "parameters": webhook,
            "get": _get("getWebhook", "Show a webhook.", ADMIN, "Webhook"),
            "patch": _update("updateWebhook", "Change a webhook.", ADMIN, "Webhook"),
            "delete": _delete("deleteWebhook", "Delete a webhook and its log.", ADMIN),
        },
        "/webhooks/{id}/deliveries": {
            "parameters": webhook,
            "get": _list(
                "listWebhookDeliveries",
                "The delivery log of a webhook, newest event first.",
                ADMIN,
                "WebhookDelivery",
                _parameter(
                    "state",
                    "Only deliveries in this state.",
                    schema("string", enum=["pending", "delivered", "failed"]),
                ),
                errors="400 401 403 404 429",
            ),
        },
    }


def _search_and_build_paths() -> Json:
    """Search, and CI build info with its promotion."""
    # A cursor holds the key of the last item (a file path among it): longer than others'.
    after = _parameter(
        "after",
        "The `next` cursor of the previous page (opaque).",
        schema("string", maxLength=8192),
    )
    paging = [ref("limit", "parameters"), after]
    found = obj(items=array(ref("SearchItem")), next=ref("Next"))
    builds = obj(items=array(ref("Build")), next=ref("Next"))
    link = {"Link": ref("Link", "headers")}
    build = [
        _parameter("name", "The build name.", where="path"),
        _parameter("number", "The build number.", where="path"),
    ]
    read_all = (
        "Anyone who may read every repository the build's artifacts are in (a build with no "
        "artifacts: any signed-in user); to anyone else it does not exist (404)."
    )
    return {
        "/search": {
            "get": _operation(
                "search",
                "Find images (one digest of one image, with its tags) and generic files, by "
                "repository, name, digest, tag, property and time; in repository, name, digest "
                "order.",
                "Anyone; each caller finds only what is in repositories it may read.",
                {"200": _response("A page of SearchItem objects.", found, link)},
                "400 401 429",
                parameters=[
                    _parameter(
                        "repository",
                        "Only in these repositories (repeat it, or separate keys with commas).",
                        array(STRING),
                    ),
                    _parameter(
                        "name",
                        "A glob over image names (`team/app`) and file paths: `*` any run of "
                        "characters, `/` included, `?` one character; case-sensitive.",
                        schema("string", maxLength=1024, examples=["team/*", "releases/*.tgz"]),
                    ),
                    _parameter("tag", "Only images with this tag (no files)."),
                    _parameter(
                        "digest", "Only this content.", schema("string", examples=["sha256:…"])
                    ),
                    _parameter(
                        "property",
                        "`KEY=VALUE`; repeat it: every one must hold. An image holds the "
                        "properties of its digest and of its tags.",
                        array(schema("string", examples=["build.name=web"]), maxItems=20),
                    ),
                    _parameter("created_after", "Pushed (or deployed) at or after.", TIMESTAMP),
                    _parameter("created_before", "Pushed (or deployed) before.", TIMESTAMP),
                    _parameter(
                        "modified_after",
                        "Changed at or after: pushed, tagged, or a file replaced.",
                        TIMESTAMP,
                    ),
                    _parameter("modified_before", "Changed before.", TIMESTAMP),
                    _parameter(
                        "type",
                        "Only images or only files.",
                        schema("string", enum=["image", "file"]),
                    ),
                    *paging,
                ],
                anonymous=True,
            ),
        },
        "/builds": {
            "get": _operation(
                "listBuilds",
                "List builds, newest first (by start time).",
                "Anyone; each caller sees the builds it may read (see getBuild).",
                {"200": _response("A page of Build objects.", builds, link)},
                "400 401 429",
                parameters=[_parameter("name", "Only builds of this name."), *paging],
                anonymous=True,
            ),
            "put": _operation(
                "putBuild",
                "Record a CI build: its modules, their artifacts and dependencies by digest; "
                "the same name and number again replaces it (its status history stays).",
                "Needs `write` on every repository the build's artifacts are in (and on those "
                "of the build it replaces).",
                {
                    "200": _response("Replaced.", "Build"),
                    "201": _response(
                        "Recorded.",
                        "Build",
                        {"Location": {"description": "The build's URL.", "schema": STRING}},
                    ),
                },
                "400 401 403 404 429",
                body="BuildCreate",
            ),
        },
        "/builds/{name}/{number}": {
            "parameters": build,
            "get": _operation(
                "getBuild",
                "Show a build with its status history (oldest first).",
                read_all,
                {"200": _response("Found.", "BuildDetail")},
                "401 404 429",
                anonymous=True,
            ),
        },
        "/builds/{name}/{number}/promote": {
            "parameters": build,
            "post": _operation(
                "promoteBuild",
                "Promote every artifact of a build, all or nothing, and add a status to its "
                "history. Images go with their whole index, referrers, blobs and tags; files "
                "as they are. An artifact that is missing, or has changed, refuses the whole "
                "promotion (409), as does a tag or file of an immutableTags target that would "
                "change (403).",
                "Needs `promote` on every source repository (`delete` too, to move) and "
                "`write` on every target (`delete` too, to replace a file).",
                {"200": _response("Promoted (or, with dryRun, checked).", "BuildPromotionResult")},
                "400 401 403 404 409 429",
                body="BuildPromotion",
            ),
        },
    }


def _vulndb_paths() -> Json:
    """The advisory database."""
    osv = {"type": "object", "description": "OSV records (https://ossf.github.io/osv-schema/)."}
    return {
        "/vulndb": {
            "get": _operation(
                "getVulnDbStats",
                "How many advisories the database holds.",
                SIGNED_IN,
                {"200": _response("The statistics.", "VulnDbStats")},
                "401 429",
            ),
        },
        "/vulndb/import": {
            "post": _operation(
                "importAdvisories",
                "Import OSV advisories: a zip in the format of OSV.dev's per-ecosystem "
                "`all.zip` exports, a JSON array of records, or one record. Incremental and "
                "idempotent: a stored advisory is replaced only by a newer `modified`. "
                "Malformed records are skipped and listed in `problems`; at most 512 MiB.",
                ADMIN,
                {"200": _response("Imported.", "VulnDbImport")},
                "400 401 403 413 429",
            )
            | {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/zip": {"schema": {"type": "string", "format": "binary"}},
                        "application/json": {"schema": osv},
                    },
                }
            },
        },
        "/vulndb/advisories/{id}": {
            "parameters": [
                _parameter("id", "The OSV id, e.g. `GHSA-jfh8-c2jp-5v3q`.", where="path")
            ],
            "get": _get(
                "getAdvisory",
                "Show an advisory: the OSV record as imported, plus its severity.",
                SIGNED_IN,
                "Advisory",
            ),
        },
    }


def _insight_paths() -> Json:
    """Scans, SBOMs, vulnerabilities, where-used."""
    readers = "Anyone who may read a repository the artifact is in."
    digest = _parameter(
        "digest",
        "The artifact's digest: `sha256:…`.",
        schema("string", pattern=DIGEST_PATTERN, maxLength=200),
        where="path",
    )
    layers = _parameter(
        "layers",
        "`visible` (what a container sees) or `all` (also what later layers deleted).",
        schema("string", enum=["visible", "all"], default="visible"),
    )
    json_object = {"type": "object"}
    return {
        "/scan": {
            "get": _operation(
                "findScan",
                "The scan of an image (`image=REPO/NAME:TAG`) or file (`file=KEY/PATH`).",
                readers,
                {"200": _response("Found.", "Scan")},
                "400 401 403 404 429",
                parameters=[
                    _parameter("image", "`dev/team/app:1.4` or `dev/team/app@sha256:…`."),
                    _parameter("file", "`generic-local/libs/x.jar`."),
                ],
                anonymous=True,
            ),
            "post": _operation(
                "requestScan",
                "Have an artifact scanned. Pushes and deploys are scanned anyway, once per "
                "content digest; `force` scans again (layers come from the cache).",
                readers,
                {"202": _response("Queued, or already scanned.", "QueuedScan")},
                "400 401 403 404 429",
                body="ScanRequest",
                anonymous=True,
            ),
        },
        "/artifacts/{digest}/scan": {
            "parameters": [digest],
            "get": _get(
                "getScan",
                "An artifact's scan status.",
                readers,
                "Scan",
                "400 401 403 404 429",
                anonymous=True,
            ),
        },
        "/sbom/attach": {
            "post": _operation(
                "attachSbom",
                "Push an image's SBOM as an OCI referrer of it (artifactType "
                "`application/vnd.cyclonedx+json` or `application/spdx+json`), so the "
                "referrers API and `oras discover` list it.",
                "Anyone who may write to the image's repository.",
                {"201": _response("Attached.", "AttachedSbom")},
                "400 401 403 404 429",
                body="SbomAttach",
            ),
        },
        "/artifacts/{digest}/sbom": {
            "parameters": [digest],
            "get": _operation(
                "getSbom",
                "The artifact's SBOM: CycloneDX 1.6 JSON or SPDX 2.3 JSON. An incomplete "
                "scan says so, with its reasons, in the document.",
                readers,
                {
                    "200": {
                        "description": "The SBOM.",
                        "content": {
                            **_content(json_object, "application/vnd.cyclonedx+json"),
                            **_content(json_object, "application/spdx+json"),
                        },
                    }
                },
                "400 401 403 404 429",
                parameters=[
                    _parameter(
                        "format",
                        "The SBOM format.",
                        schema("string", enum=["cyclonedx", "spdx"], default="cyclonedx"),
                    ),
                    layers,
                ],
                anonymous=True,
            ),
        },
        "/artifacts/{digest}/components": {
            "parameters": [digest],
            "get": _operation(
                "listComponents",
                "The packages found in the artifact, with their evidence paths.",
                readers,
                {"200": _response("Found.", "Components")},
                "400 401 403 404 429",
                parameters=[layers],
                anonymous=True,
            ),
        },
        "/artifacts/{digest}/vulnerabilities": {
            "parameters": [digest],
            "get": _get(
                "getVulnerabilities",
                "The advisories that affect the artifact's components, worst first.",
                readers,
                "Vulnerabilities",
                "400 401 403 404 429",
                anonymous=True,
            ),
        },
        "/affected": {
            "get": _list(
                "listAffected",
                "Findings first found at `since` or later (by a scan, or by the re-match after "
                "an advisory import), oldest first, with where each artifact is.",
                readers,
                "Affected",
                _parameter("since", "The earliest time.", TIMESTAMP) | {"required": True},
                anonymous=True,
            ),
        },
        "/impact": {
            "get": _list(
                "whereUsed",
                "Where-used: every readable image, file and build that holds a package (`purl`, "
                "optionally `range`, or the exact version the purl names) or is affected by an "
                "advisory (an OSV id or alias), in digest order. A page may hold fewer than "
                "`limit` items and still have a `next`: follow it until it is null.",
                "Anyone; only artifacts in repositories the caller may read are listed.",
                "ImpactItem",
                _parameter("purl", "`pkg:maven/org.apache.logging.log4j/log4j-core`."),
                _parameter("range", "`<2.17.1`, `>=2.0.0,<2.17.1` or `vers:maven/<2.17.1`."),
                _parameter("advisory", "`CVE-2021-44228` or `GHSA-jfh8-c2jp-5v3q`."),
                errors="400 401 404 429",
                anonymous=True,
            ),
        },
    }


def _policy_paths() -> Json:
    """Policies, the watches that apply them to repositories, and exceptions to them."""
    blocked = (
        " A blocked pull answers 403 `DENIED`, a blocked promotion 403 problem JSON of type "
        "`policy-violation` with the extension members `policy`, `watch`, `rule`, "
        "`advisory`, `severity` and `component`."
    )
    name = [_parameter("name", "The policy name.", where="path")]
    watch = [_parameter("name", "The watch name.", where="path")]
    return {
        "/policies": {
            "get": _list("listPolicies", "List policies, by name.", SIGNED_IN, "Policy"),
            "post": _create(
                "createPolicy",
                "Create a policy: rules an artifact must not break, and what happens when it "
                "does (in the repositories a watch applies it to)." + blocked,
                ADMIN,
                "Policy",
            ),
        },
        "/policies/{name}": {
            "parameters": name,
            "get": _get("getPolicy", "Show a policy.", SIGNED_IN, "Policy"),
            "patch": _update("updatePolicy", "Change a policy.", ADMIN, "Policy"),
            "delete": _delete(
                "deletePolicy",
                "Delete a policy no watch applies (409 names the watches that do).",
                ADMIN,
                "401 403 404 409 429",
            ),
        },
        "/watches": {
            "get": _list("listWatches", "List watches, by name.", SIGNED_IN, "Watch"),
            "post": _create(
                "createWatch",
                "Apply policies to repository keys or patterns.",
                ADMIN,
                "Watch",
                "400 401 403 404 409 429",
            ),
        },
        "/watches/{name}": {
            "parameters": watch,
            "get": _get("getWatch", "Show a watch.", SIGNED_IN, "Watch"),
            "patch": _update("updateWatch", "Change a watch.", ADMIN, "Watch"),
            "delete": _delete("deleteWatch", "Delete a watch.", ADMIN),
        },
        "/policies/exceptions": {
            "get": _list(
                "listPolicyExceptions",
                "List policy exceptions, newest first, expired ones too (`expired: true`).",
                ADMIN,
                "PolicyException",
                _parameter("digest", "Only exceptions for this digest."),
                _parameter(
                    "expired", "Only expired, or only unexpired, exceptions.", schema("boolean")
                ),
            ),
            "post": _create(
                "grantPolicyException",
                "Let one artifact through despite one advisory (or denied license) until a "
                "time at most 90 days ahead; recorded in the audit log.",
                ADMIN,
                "PolicyException",
                "400 401 403 404 429",
            ),
        },
        "/policies/exceptions/{id}": {
            "parameters": [_parameter("id", "The exception id.", where="path")],
            "get": _get("getPolicyException", "Show a policy exception.", ADMIN, "PolicyException"),
            "delete": _delete("revokePolicyException", "Revoke a policy exception at once.", ADMIN),
        },
    }


def _webhooks() -> Json:
    """What cargohold sends to a webhook's URL."""
    signature = "`sha256=` and the hex HMAC-SHA256 of the exact body, keyed with the secret."
    return {
        "event": {
            "post": {
                "operationId": "receiveEvent",
                "summary": "One event, as a CloudEvent (structured JSON), POSTed to the URL.",
                "description": "Answer 2xx within 10 s to acknowledge it; anything else is "
                "retried with exponential backoff (2 s, 4 s, … up to 15 min), 10 attempts in "
                "all. Events of one artifact arrive in order. A retry repeats the same body, "
                "so deduplicate on the CloudEvent `id` or `X-Cargohold-Delivery`.",
                "parameters": [
                    _parameter("X-Cargohold-Signature", signature, where="header")
                    | {"required": True},
                    _parameter(
                        "X-Cargohold-Delivery", "The delivery id (as in the log).", where="header"
                    )
                    | {"required": True},
                ],
                "requestBody": {
                    "required": True,
                    "content": _content(ref("CloudEvent"), "application/cloudevents+json"),
                },
                "responses": {"2XX": {"description": "Delivered."}},
            }
        }
    }


def _components() -> Json:
    limit = schema("integer", minimum=1, maximum=1000, default=100)
    link = 'The next page: `</api/v1/users?limit=100&after=CURSOR>; rel="next"`. Not on the last.'
    return {
        "schemas": schemas() | policy_schemas() | insight_schemas(),
        "responses": {
            name: {
                "description": description,
                "content": _content(ref("Problem"), "application/problem+json"),
            }
            | ({"headers": headers} if headers else {})
            for name, description, headers in PROBLEMS.values()
        }
        | {
            "UriTooLong": {
                "description": "The request target (path and query) is over 64 KiB.",
                "content": _content(STRING, "text/plain"),
            }
        },
        "parameters": {
            "limit": _parameter("limit", "Page size.", limit),
            "after": _parameter(
                "after",
                "The `next` cursor of the previous page (opaque).",
                schema("string", maxLength=256),
            ),
        },
        "headers": {"Link": {"description": link, "schema": STRING}},
        "securitySchemes": {
            "basic": {
                "type": "http",
                "scheme": "basic",
                "description": "User and password, or user and API token.",
            },
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token, `chk_<16 hex id>_<secret>`.",
            },
        },
    }


@functools.cache
def document() -> Json:
    """The whole document; built once and shared, so callers must not change it."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cargohold",
            "version": importlib.metadata.version("cargohold"),
            "description": DESCRIPTION,
        },
        "servers": [{"url": "/api/v1"}],
        "security": [*AUTHENTICATED, {}],
        "paths": _paths(),
        "webhooks": _webhooks(),
        "components": _components(),
    }


__all__ = ["document"]
