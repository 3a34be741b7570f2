"""The fetching process's part of a fetch: download the object into its spool, resuming a cut
download, checking the size and the digest on the way; then store the verified spool as the
blob. What a download is (HTTP, a format's URLs) is the caller's: it hands over a way to open
one from an offset."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path

from anyio import CancelScope, to_thread

from cargohold.core.digest import Digest, Hasher, new_hasher
from cargohold.core.errors import (
    DigestMismatch,
    RegistryError,
    SizeMismatch,
    StorageError,
    UploadNotFound,
    UpstreamUnavailable,
)
from cargohold.registry.remote import spool as spools
from cargohold.registry.remote.spool import Spool
from cargohold.storage.base import BlobWriter

log = logging.getLogger("cargohold.remote")

RETRIES = 2  # downloads asked again after a cut, from where it stopped


@dataclass(frozen=True, slots=True)
class Download:
    """An upstream's answer, about to stream."""

    offset: int  # where ``chunks`` start: 0, or the offset asked when the upstream honoured it
    size: int | None  # the whole object's size, when the upstream said it
    chunks: AsyncIterator[bytes]


# Opens the download from an offset (0 first; a later offset asks the upstream for a range).
OpenDownload = Callable[[int], AbstractAsyncContextManager[Download]]


class _Refused(Exception):
    """A failure that asking again cannot mend (the spool's disk, an upstream that changed
    its mind about the size): no retry."""

    def __init__(self, error: RegistryError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(slots=True)
class _Received:
    hasher: Hasher
    written: int = 0
    expected: int | None = None
    opened: int = 0
    errors: list[str] = field(default_factory=list)


async def fetch(
    spool: Spool,
    fd: int,
    open_download: OpenDownload,
    announce: Callable[[int], Awaitable[None]],
) -> int:
    """Download the object into the spool file ``fd``; its size, once verified.
    ``announce`` learns the whole size as soon as the upstream says it."""
    digest = spool.digest
    state = _Received(new_hasher(digest.algorithm))
    cuts = 0
    while True:
        try:
            if await _receive(spool, fd, open_download, announce, state):
                break
            reason: BaseException | None = None
            state.errors.append(f"the answer ended at byte {state.written}")
        except _Refused as exc:
            raise exc.error from exc.error.__cause__
        except Exception as exc:
            if state.opened == 0 and isinstance(exc, RegistryError):
                raise  # the upstream's own answer to the first request (404, 429, down)
            reason = exc
            state.errors.append(str(exc) or type(exc).__name__)
        cuts += 1
        if cuts > RETRIES:
            raise UpstreamUnavailable(
                f"the download of blob {digest} from the upstream was cut {cuts} times "
                f"({'; '.join(state.errors)}); nothing was stored, retry",
                {"digest": str(digest)},
            ) from reason
        log.info("download of %s cut at byte %d, asking again", digest, state.written)
    actual = state.hasher.hexdigest()
    if actual != digest.hex:
        raise UpstreamUnavailable(
            f"the upstream sent content that does not match digest {digest} (it hashes to "
            f"{digest.algorithm}:{actual}); nothing was stored",
            {"digest": str(digest)},
        )
    return state.written


async def _receive(
    spool: Spool,
    fd: int,
    open_download: OpenDownload,
    announce: Callable[[int], Awaitable[None]],
    state: _Received,
) -> bool:
    """One download, from where the spool ends; whether the object is complete."""
    digest = spool.digest
    async with open_download(state.written) as download:
        state.opened += 1
        if download.size is not None:
            if state.expected is None:
                state.expected = download.size
                await announce(download.size)
            elif download.size != state.expected:
                raise _Refused(
                    UpstreamUnavailable(
                        f"the upstream changed the size of blob {digest} between two requests "
                        f"({state.expected}, then {download.size} bytes); nothing was stored"
                    )
                )
        if download.offset == state.written:
            skip = 0
        elif download.offset == 0:
            skip = state.written  # started over: what is in the spool already is dropped
        else:
            raise UpstreamUnavailable(
                f"asked for blob {digest} from byte {state.written}, the upstream answered "
                f"from byte {download.offset}"
            )
        chunks = download.chunks
        while True:
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            if skip:
                dropped = min(skip, len(chunk))
                chunk, skip = chunk[dropped:], skip - dropped
                if not chunk:
                    continue
            if state.expected is not None and state.written + len(chunk) > state.expected:
                raise _Refused(
                    UpstreamUnavailable(
                        f"the upstream sent more than the {state.expected} bytes it announced "
                        f"for blob {digest}; nothing was stored"
                    )
                )
            try:
                await to_thread.run_sync(spools.write, fd, chunk, state.hasher)
            except RegistryError as exc:
                raise _Refused(exc) from exc
            state.written += len(chunk)
            await spool.advance(available=state.written)
    return not skip and (state.expected is None or state.written == state.expected)


async def store_spool(store: BlobWriter, digest: Digest, path: Path, size: int) -> None:
    """Store the verified spool as the blob, through an upload the store verifies again."""
    upload = await store.start_upload()
    committed = False
    try:
        await store.append(upload, spools.stream(path), 0)
        await store.commit(upload, digest, size)
        committed = True
    except (DigestMismatch, SizeMismatch, UploadNotFound) as exc:
        raise UpstreamUnavailable(f"blob {digest} could not be stored: {exc}; retry") from exc
    finally:
        if not committed:
            with CancelScope(shield=True), contextlib.suppress(StorageError):
                await store.cancel(upload)


__all__ = ["RETRIES", "Download", "OpenDownload", "fetch", "store_spool"]
