"""The one error tree of cargohold.

Storage raises only ``StorageError``s; the registry use cases translate them into the
``RegistryError`` that fits; each protocol under ``api/`` renders ``RegistryError``s in its
own format. The code and HTTP status live on the class.
"""

from __future__ import annotations

from typing import ClassVar


class CargoholdError(Exception):
    """Root of every error cargohold raises on purpose."""


# --- storage -------------------------------------------------------------------------------


class StorageError(CargoholdError):
    """A blob store could not do what was asked."""


class BlobNotFound(StorageError):
    """No blob with that digest is stored."""


class UploadNotFound(StorageError):
    """No upload session with that id exists (never started, committed or cancelled)."""


class UploadOffsetMismatch(StorageError):
    """A chunk did not start where the upload currently ends."""

    def __init__(self, expected: int, got: int) -> None:
        super().__init__(f"upload is at offset {expected}, chunk starts at {got}")
        self.expected = expected
        self.got = got


class DigestMismatch(StorageError):
    """The bytes of an upload do not hash to the digest the client claimed."""

    def __init__(self, claimed: str, actual: str) -> None:
        super().__init__(f"content hashes to {actual}, not {claimed}")
        self.claimed = claimed
        self.actual = actual


class SizeMismatch(StorageError):
    """An upload does not have the size the client claimed."""


# --- protocol-level errors (rendered by api/) ------------------------------------------------


class RegistryError(CargoholdError):
    """An error a client sees; ``code`` follows the OCI distribution-spec error codes."""

    code: ClassVar[str] = "UNKNOWN"
    status: ClassVar[int] = 500

    def __init__(self, message: str, detail: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BlobUnknown(RegistryError):
    code, status = "BLOB_UNKNOWN", 404


class BlobUploadInvalid(RegistryError):
    code, status = "BLOB_UPLOAD_INVALID", 400


class ChunkOutOfOrder(BlobUploadInvalid):
    """A PATCH whose Content-Range does not continue the upload (spec: 416)."""

    status = 416


class BlobUploadUnknown(RegistryError):
    code, status = "BLOB_UPLOAD_UNKNOWN", 404


class DigestInvalid(RegistryError):
    code, status = "DIGEST_INVALID", 400


class ManifestBlobUnknown(RegistryError):
    code, status = "MANIFEST_BLOB_UNKNOWN", 400


class ManifestInvalid(RegistryError):
    code, status = "MANIFEST_INVALID", 400


class ManifestTooLarge(ManifestInvalid):
    status = 413


class ManifestUnknown(RegistryError):
    code, status = "MANIFEST_UNKNOWN", 404


class NameInvalid(RegistryError):
    code, status = "NAME_INVALID", 400


class ManifestNotAccepted(ManifestUnknown):
    """The manifest a tag names is of a media type the client's Accept header leaves out: to
    the client, as the spec says, unknown; to a virtual repository, found (the next member
    is not asked)."""


class NameUnknown(RegistryError):
    code, status = "NAME_UNKNOWN", 404


class SizeInvalid(RegistryError):
    code, status = "SIZE_INVALID", 400


class PaginationInvalid(RegistryError):
    code, status = "PAGINATION_NUMBER_INVALID", 400


class RangeNotSatisfiable(RegistryError):
    code, status = "RANGE_INVALID", 416


class Unauthorized(RegistryError):
    code, status = "UNAUTHORIZED", 401


class InvalidToken(Unauthorized):
    """A bearer token that is expired, revoked, malformed or signed by an unknown key."""


class InsufficientScope(Unauthorized):
    """A valid bearer token that does not grant this action: ask the token service for one
    that does. ``detail`` holds the scope the request needs."""


class Denied(RegistryError):
    code, status = "DENIED", 403


class TooManyRequests(RegistryError):
    """Too many failed logins; ``detail["retry_after"]`` says how many seconds to wait."""

    code, status = "TOOMANYREQUESTS", 429


class Unsupported(RegistryError):
    code, status = "UNSUPPORTED", 405


class NotAcceptable(RegistryError):
    """None of the representations the client accepts (``Accept``) is served."""

    code, status = "NOT_ACCEPTABLE", 406


class TagImmutable(Denied):
    """An existing tag of a repository with immutable tags cannot move or be deleted."""


class PolicyViolation(Denied):
    """A policy blocks the download or promotion of an artifact. ``detail`` names the policy,
    the watch that applies it and the worst advisory (``policy``, ``watch``, ``advisory``)."""


class QuotaExceeded(Denied):
    """A push that would take a repository (or the whole instance) over its quota. ``detail``
    says whose quota (``repository``, or ``instance``), the quota, the bytes used and the
    bytes the push would add. The OCI API answers DENIED (403), the generic API 413."""


class RepositoryExists(RegistryError):
    code, status = "REPOSITORY_EXISTS", 409


class RepositoryInvalid(RegistryError):
    code, status = "REPOSITORY_INVALID", 400


class RepositoryUnknown(RegistryError):
    code, status = "REPOSITORY_UNKNOWN", 404


class NotFound(RegistryError):
    """No endpoint at that path."""

    code, status = "NOT_FOUND", 404


class StorageFull(StorageError, RegistryError):
    """The disk (or the database's disk) is full. Raised by storage and meta, and rendered as
    is: no client request can fix it, an operator must free space."""

    code, status = "UNKNOWN", 507


class StorageUnavailable(StorageError, RegistryError):
    """The object store did not answer, refused the server's credentials or failed. Raised by
    storage and rendered as is: the client may retry (an interrupted upload can be resumed),
    an operator must look at the object store."""

    code, status = "UNAVAILABLE", 503


class DatabaseUnavailable(StorageError, RegistryError):
    """The metadata database (PostgreSQL) cannot be reached. Raised by meta and rendered as
    is: a client may retry, as registry clients do on 503."""

    code, status = "UNAVAILABLE", 503


class DirectoryUnavailable(RegistryError):
    """The user directory (LDAP) cannot be asked whether a password is right: down, too slow,
    its certificate refused, or cargohold's service account refused. Nothing is known of the
    credentials, so no 401: the client may retry, and local accounts still log in."""

    code, status = "UNAVAILABLE", 503


class UpstreamUnavailable(RegistryError):
    """A remote repository's upstream cannot give what is not cached: down, too slow, its
    certificate refused, its answer broken, or cargohold's credentials refused. The client
    may retry; what is cached is still served."""

    code, status = "UNAVAILABLE", 503


class UpstreamThrottled(TooManyRequests):
    """A remote repository's upstream asked to be left alone (429, ``Retry-After``) and what
    was asked is not cached; ``detail["retry_after"]`` says how many seconds to wait."""


class BadRequest(RegistryError):
    code, status = "BAD_REQUEST", 400


class WebhookTargetRefused(BadRequest):
    """A webhook's host is, or resolves to, an address webhooks may not reach, or does not
    resolve at all."""


class PayloadTooLarge(RegistryError):
    """A request body over the size the endpoint accepts."""

    code, status = "PAYLOAD_TOO_LARGE", 413


class Conflict(RegistryError):
    """The thing to create exists already, or the change would break an invariant."""

    code, status = "CONFLICT", 409


class RepositoryNotEmpty(Conflict):
    """A repository that holds artifacts is deleted only when the caller says ``force``;
    one with immutable tags also needs its key typed back (``confirm``). ``detail`` counts
    what it holds."""

    code = "REPOSITORY_NOT_EMPTY"


class ResourceUnknown(RegistryError):
    """A user, group, permission or token that does not exist."""

    code, status = "NOT_FOUND", 404


# --- operating the stores (backup, restore, verification, migrations) ----------------------


class BackupFailed(CargoholdError):
    """A backup or a restore cannot be completed; the message names what and why."""


class SchemaUnknown(CargoholdError):
    """The database is at a schema revision this version of cargohold does not know (one
    written by a newer version)."""


__all__ = [
    "BackupFailed",
    "BadRequest",
    "BlobNotFound",
    "BlobUnknown",
    "BlobUploadInvalid",
    "BlobUploadUnknown",
    "CargoholdError",
    "ChunkOutOfOrder",
    "Conflict",
    "DatabaseUnavailable",
    "Denied",
    "DigestInvalid",
    "DigestMismatch",
    "DirectoryUnavailable",
    "InsufficientScope",
    "InvalidToken",
    "ManifestBlobUnknown",
    "ManifestInvalid",
    "ManifestNotAccepted",
    "ManifestTooLarge",
    "ManifestUnknown",
    "NameInvalid",
    "NameUnknown",
    "NotAcceptable",
    "NotFound",
    "PaginationInvalid",
    "PayloadTooLarge",
    "PolicyViolation",
    "QuotaExceeded",
    "RangeNotSatisfiable",
    "RegistryError",
    "RepositoryExists",
    "RepositoryInvalid",
    "RepositoryNotEmpty",
    "RepositoryUnknown",
    "ResourceUnknown",
    "SchemaUnknown",
    "SizeInvalid",
    "SizeMismatch",
    "StorageError",
    "StorageFull",
    "StorageUnavailable",
    "TagImmutable",
    "TooManyRequests",
    "Unauthorized",
    "Unsupported",
    "UploadNotFound",
    "UploadOffsetMismatch",
    "UpstreamThrottled",
    "UpstreamUnavailable",
    "WebhookTargetRefused",
]
