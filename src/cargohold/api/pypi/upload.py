"""The legacy upload API (``POST /pypi/REPOSITORY/``, also ``.../legacy/``) that twine and
``uv publish`` use: a multipart form with ``:action=file_upload``, the distribution as
``content`` and what the client says of it.

Every limit holds before the work: the body's size (declared, and as it arrives), the
number of fields and files and each field's size. The file part is spooled to disk by the
multipart parser past 1 MiB, never held in memory whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.exceptions import FormParserError
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message, Receive

from cargohold.api.credentials import client_address
from cargohold.core.errors import BadRequest, PayloadTooLarge
from cargohold.core.numbers import bounded_int
from cargohold.records.packages import PackageFile
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.pypi.uploads import PypiUploads, Upload

MAX_BODY = 1024**3  # bytes of one upload request
MAX_FIELDS = 1000
MAX_FILES = 2  # the distribution, and a signature some clients still send
MAX_FIELD_SIZE = 16 * 1024 * 1024  # a long description is the largest field
CHUNK = 1024 * 1024


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"an upload is limited to {MAX_BODY} bytes")


def limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises PayloadTooLarge once the body passes ``limit`` bytes."""
    seen = 0

    async def counting() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large()
        return message

    return counting


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    await upload.seek(0)
    while chunk := await upload.read(CHUNK):
        yield chunk


def _field(form: FormData, name: str, *, required: bool = True) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(f"the upload form has no {name!r} field")
        return None
    if not isinstance(value, str):
        raise BadRequest(f"the {name!r} field of the upload form must not be a file")
    return value.strip()


class Uploads:
    def __init__(self, uploads: PypiUploads) -> None:
        self._uploads = uploads

    async def post(self, request: Request, principal: Principal | None, key: str) -> PackageFile:
        actor = Actor(principal, client_address(request))
        # Who may write is known before a byte of the body is read.
        target = await self._uploads.target(actor, key)
        length = bounded_int(request.headers.get("content-length"))
        if length is not None and length > MAX_BODY:
            raise _too_large()
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise BadRequest("an upload is a multipart/form-data form (as twine sends it)")
        bounded = Request(request.scope, limited(request.receive, MAX_BODY))
        try:
            async with bounded.form(
                max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_SIZE
            ) as form:
                return await self._upload(actor, target, form)
        except MultiPartException as exc:
            raise BadRequest(f"malformed upload form: {exc.message}") from None
        except (FormParserError, ValueError) as exc:
            raise BadRequest(f"malformed upload form: {exc}") from None

    async def _upload(self, actor: Actor, target: RepositoryRecord, form: FormData) -> PackageFile:
        action = _field(form, ":action")
        if action != "file_upload":
            raise BadRequest(f"unsupported :action {action!r}; only file_upload is")
        content = form.get("content")
        if not isinstance(content, UploadFile):
            raise BadRequest("the upload form has no file in its 'content' field")
        upload = Upload(
            name=_field(form, "name") or "",
            version=_field(form, "version") or "",
            filetype=_field(form, "filetype") or "",
            filename=content.filename or "",
            sha256=_field(form, "sha256_digest", required=False),
            md5=_field(form, "md5_digest", required=False),
            blake2_256=_field(form, "blake2_256_digest", required=False),
        )
        return await self._uploads.upload(actor, target, upload, _chunks(content), content.size)


__all__ = ["MAX_BODY", "Uploads"]
