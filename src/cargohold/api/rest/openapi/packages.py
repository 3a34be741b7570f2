"""The operations on package versions (PyPI, npm): listing, yanking, deleting, promoting."""

from __future__ import annotations

from cargohold.api.rest.openapi.operations import (
    Json,
    cursor,
    operation,
    page,
    parameter,
    ref,
    response,
)
from cargohold.api.rest.pages import SHORT_CURSOR
from cargohold.wire.packages import (
    PackagePromotion,
    PackagePromotionResult,
    PackagesDeleted,
    PackageSummary,
    PackageVersions,
    Yank,
    Yanked,
)
from cargohold.wire.signing import SigningKeyRotation, SigningKeys


def package_paths() -> Json:
    key = parameter("key", "The PyPI or npm repository.", where="path")
    name = parameter(
        "name",
        "The package name (`requests`, `@team/ui`); PyPI names are normalised (`Six` is `six`).",
        where="path",
    )
    version = parameter("version", "The version.", where="path")
    read = "Needs `read` on the repository; anonymous callers if it has anonymousRead."
    yank_ops = {
        "parameters": [key, name, version],
        "post": operation(
            "yankPackageVersion",
            "Yank a version (PyPI, PEP 592: installers skip it unless it is pinned) or "
            "deprecate it (npm: installs warn with the reason).",
            "Needs `write` on the repository.",
            {"200": response("Yanked.", Yanked)},
            "400 401 403 404 429",
            body=Yank,
        ),
        "delete": operation(
            "unyankPackageVersion",
            "Undo a yank or deprecation.",
            "Needs `write` on the repository.",
            {"200": response("No longer yanked.", Yanked)},
            "400 401 403 404 429",
        ),
    }
    return {
        "/packages/{key}": {
            "parameters": [key],
            "get": operation(
                "listPackages",
                "List the packages of a PyPI or npm repository, by name.",
                read,
                {"200": page(PackageSummary, "A page of packages, by name.")},
                "400 401 403 404 429",
                parameters=[ref("limit", "parameters"), cursor(SHORT_CURSOR)],
                anonymous=True,
            ),
        },
        "/packages/{key}/promote": {
            "parameters": [parameter("key", "The source repository.", where="path")],
            "post": operation(
                "promotePackage",
                "Promote a package version (all its files, its properties and the dist-tags "
                "pointing at it) to another repository of the same format, by digest "
                "(metadata only).",
                "Needs `promote` on the source (to move: `delete` too, and a source that allows "
                "unpublishing) and `write` on the target, a local repository; policies "
                "watching the target may refuse a file (403). A target that holds the version "
                "with the same files already is left as it is (the promotion is recorded); "
                "with other files, 409.",
                {"200": response("Promoted (or, with dryRun, checked).", PackagePromotionResult)},
                "400 401 403 404 409 429",
                body=PackagePromotion,
            ),
        },
        "/packages/{key}/{name}/versions": {
            "parameters": [key, name],
            "get": operation(
                "listPackageVersions",
                "The versions of a package, oldest first, with their files, dist-tags, yank "
                "state and properties.",
                read,
                {"200": response("The versions.", PackageVersions)},
                "400 401 403 404 429",
                anonymous=True,
            ),
        },
        "/packages/{key}/{name}/{version}/yank": yank_ops,
        "/packages/{key}/{name}/{version}": {
            "parameters": [key, name, version],
            "delete": operation(
                "deletePackageVersion",
                "Delete a version with its files, dist-tags and properties (the bytes go at "
                "the next garbage collection if nothing else holds them).",
                "Needs `delete` on the repository, and the repository must allow it "
                "(allowUnpublish).",
                {"200": response("Deleted.", PackagesDeleted)},
                "400 401 403 404 429",
            ),
        },
        "/repositories/{key}/signing-keys": {
            "parameters": [parameter("key", "The Debian repository.", where="path")],
            "get": operation(
                "listSigningKeys",
                "List the OpenPGP keys the repository signs its indexes with, newest first "
                "(one made on first use); during a rotation's grace period, the old ones too.",
                read,
                {"200": response("The keys.", SigningKeys)},
                "400 401 403 404 429",
            ),
            "post": operation(
                "rotateSigningKey",
                "Make a new signing key; the current ones keep signing beside it for "
                "`graceDays` (default 30), then stop and are no longer published. Every "
                "distribution's indexes are signed again at once.",
                "Needs `manage` on the repository.",
                {"200": response("The keys after the rotation.", SigningKeys)},
                "400 401 403 404 429",
                body=SigningKeyRotation,
            ),
        },
    }


__all__ = ["package_paths"]
