"""The operations of promotion, properties, generic files, search and CI build info."""

from __future__ import annotations

from cargohold.api.rest.openapi.operations import (
    STRING,
    TIMESTAMP,
    Json,
    array,
    cursor,
    operation,
    page,
    parameter,
    ref,
    response,
    schema,
)
from cargohold.api.rest.pages import LONG_CURSOR
from cargohold.wire.generic import GenericFile
from cargohold.wire.lifecycle import (
    Build,
    BuildCreate,
    BuildDetail,
    BuildPromotion,
    BuildPromotionResult,
    DockerPromotion,
    GenericPromotion,
    GenericPromotionResult,
    Promotion,
    PromotionResult,
    Properties,
    PropertiesUpdate,
)
from cargohold.wire.search import SearchItem

READ_ALL = (
    "Anyone who may read every repository the build's artifacts are in (a build with no "
    "artifacts: any signed-in user); to anyone else it does not exist (404)."
)


def lifecycle_paths() -> Json:
    return promotion_paths() | generic_paths() | search_paths() | build_paths()


def promotion_paths() -> Json:
    artifact = [
        parameter("repository", "The repository key (required)."),
        parameter("image", "An image name, e.g. team/app, with digest or tag."),
        parameter("digest", "The manifest digest."),
        parameter("tag", "The tag."),
        parameter("path", "A generic file path, instead of image."),
        parameter("package", "A package name (PyPI, npm), with version, instead of image."),
        parameter("version", "The package version."),
    ]
    signed_in = "Needs `promote` on the source and `write` on the target (`delete` too to move)."
    paging = [ref("limit", "parameters"), ref("after", "parameters")]
    return {
        "/docker/{key}/promote": {
            "parameters": [parameter("key", "The source repository.", where="path")],
            "post": operation(
                "promoteDocker",
                "Promote an image by digest (Artifactory's docker promote).",
                signed_in,
                {"200": response("Promoted (or, with dryRun, checked).", PromotionResult)},
                "400 401 403 404 429",
                body=DockerPromotion,
            ),
        },
        "/promotions": {
            "get": operation(
                "listPromotions",
                "The promotion history, newest first.",
                "Any signed-in user; promotions from or to repositories it may read.",
                {"200": page(Promotion)},
                "400 401 403 429",
                parameters=[
                    parameter("digest", "Only promotions of this digest."),
                    parameter("image", "Only promotions of this image name."),
                    parameter("repository", "Only promotions from or to this repository."),
                    *paging,
                ],
            ),
        },
        "/properties": {
            "get": operation(
                "getProperties",
                "The properties of an image digest, a tag or a file.",
                "Needs `read` on the repository.",
                {"200": response("Found.", Properties)},
                "400 401 403 404 429",
                parameters=artifact,
                anonymous=True,
            ),
            "put": operation(
                "setProperties",
                "Set properties: each key given gets exactly the values given.",
                "Needs `annotate` on the repository.",
                {"200": response("Stored.", Properties)},
                "400 401 403 404 429",
                body=PropertiesUpdate,
                parameters=artifact,
            ),
            "delete": operation(
                "deleteProperties",
                "Delete properties (those in `keys`, or all).",
                "Needs `annotate` on the repository.",
                {"204": {"description": "Deleted."}},
                "400 401 403 404 429",
                parameters=[*artifact, parameter("keys", "Comma-separated keys; default all.")],
            ),
        },
    }


def generic_paths() -> Json:
    key = parameter("key", "The generic repository.", where="path")
    return {
        "/generic/{key}/promote": {
            "parameters": [key],
            "post": operation(
                "promoteGeneric",
                "Promote a file, or every file of a folder, to another generic repository "
                "(metadata only).",
                "Needs `promote` on the source (`delete` too to move) and `write` on the "
                "target (`delete` too to replace a different file there).",
                {"200": response("Promoted (or, with dryRun, checked).", GenericPromotionResult)},
                "400 401 403 404 409 429",
                body=GenericPromotion,
            ),
        },
        "/generic/{key}/files": {
            "parameters": [key],
            "get": operation(
                "listGenericFiles",
                "List the files of a generic repository, by path.",
                "Needs `read` on the repository; anonymous callers if it has anonymousRead.",
                {"200": page(GenericFile, "A page of files, by path.")},
                "400 401 403 404 429",
                parameters=[
                    parameter("prefix", "Only paths that start with this, e.g. `web/1.4/`."),
                    ref("limit", "parameters"),
                    cursor(LONG_CURSOR),
                ],
                anonymous=True,
            ),
        },
    }


def search_paths() -> Json:
    paging = [ref("limit", "parameters"), cursor(LONG_CURSOR)]
    return {
        "/search": {
            "get": operation(
                "search",
                "Find images (one digest of one image, with its tags) and generic files, by "
                "repository, name, digest, tag, property and time; in repository, name, digest "
                "order.",
                "Anyone; each caller finds only what is in repositories it may read.",
                {"200": page(SearchItem)},
                "400 401 429",
                parameters=[
                    parameter(
                        "repository",
                        "Only in these repositories (repeat it, or separate keys with commas).",
                        array(STRING),
                    ),
                    parameter(
                        "name",
                        "A glob over image names (`team/app`) and file paths: `*` any run of "
                        "characters, `/` included, `?` one character; case-sensitive.",
                        schema("string", maxLength=1024, examples=["team/*", "releases/*.tgz"]),
                    ),
                    parameter("tag", "Only images with this tag (no files)."),
                    parameter(
                        "digest", "Only this content.", schema("string", examples=["sha256:…"])
                    ),
                    parameter(
                        "property",
                        "`KEY=VALUE`; repeat it: every one must hold. An image holds the "
                        "properties of its digest and of its tags.",
                        array(schema("string", examples=["build.name=web"]), maxItems=20),
                    ),
                    parameter("created_after", "Pushed (or deployed) at or after.", TIMESTAMP),
                    parameter("created_before", "Pushed (or deployed) before.", TIMESTAMP),
                    parameter(
                        "modified_after",
                        "Changed at or after: pushed, tagged, or a file replaced.",
                        TIMESTAMP,
                    ),
                    parameter("modified_before", "Changed before.", TIMESTAMP),
                    parameter(
                        "type",
                        "Only images or only files.",
                        schema("string", enum=["image", "file"]),
                    ),
                    *paging,
                ],
                anonymous=True,
            ),
        },
    }


def build_paths() -> Json:
    paging = [ref("limit", "parameters"), cursor(LONG_CURSOR)]
    build = [
        parameter("name", "The build name.", where="path"),
        parameter("number", "The build number.", where="path"),
    ]
    return {
        "/builds": {
            "get": operation(
                "listBuilds",
                "List builds, newest first (by start time).",
                "Anyone; each caller sees the builds it may read (see getBuild).",
                {"200": page(Build)},
                "400 401 429",
                parameters=[parameter("name", "Only builds of this name."), *paging],
                anonymous=True,
            ),
            "put": operation(
                "putBuild",
                "Record a CI build: its modules, their artifacts and dependencies by digest; "
                "the same name and number again replaces it (its status history stays).",
                "Needs `write` on every repository the build's artifacts are in (and on those "
                "of the build it replaces).",
                {
                    "200": response("Replaced.", Build),
                    "201": response(
                        "Recorded.",
                        Build,
                        {"Location": {"description": "The build's URL.", "schema": STRING}},
                    ),
                },
                "400 401 403 404 429",
                body=BuildCreate,
            ),
        },
        "/builds/{name}/{number}": {
            "parameters": build,
            "get": operation(
                "getBuild",
                "Show a build with its status history (oldest first).",
                READ_ALL,
                {"200": response("Found.", BuildDetail)},
                "401 404 429",
                anonymous=True,
            ),
        },
        "/builds/{name}/{number}/promote": {
            "parameters": build,
            "post": operation(
                "promoteBuild",
                "Promote every artifact of a build, all or nothing, and add a status to its "
                "history. Images go with their whole index, referrers, blobs and tags; files "
                "as they are. An artifact that is missing, or has changed, refuses the whole "
                "promotion (409), as does a tag or file of an immutableTags target that would "
                "change (403).",
                "Needs `promote` on every source repository (`delete` too, to move) and "
                "`write` on every target (`delete` too, to replace a file).",
                {"200": response("Promoted (or, with dryRun, checked).", BuildPromotionResult)},
                "400 401 403 404 409 429",
                body=BuildPromotion,
            ),
        },
    }


__all__ = ["lifecycle_paths"]
