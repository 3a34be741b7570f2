"""A blob store on a local filesystem.

Layout (the one place it is written down)::

    <root>/blobs/<algorithm>/<first two hex>/<hex>    published blobs, never modified
    <root>/uploads/<upload id>                         bytes received so far
    <root>/uploads/put-<random>                        staging file of a one-call put
    <root>/uploads/probe-<random>                      made and removed by a readiness check

Publishing is fsync(file) + rename + fsync(directory): a crash leaves either no blob or
the whole blob, never a partial one under its digest. Directories are made 0700 and files
0600: only the server reads them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

from anyio import to_thread

from cargohold.core.digest import Digest, Hasher, new_hasher
from cargohold.core.errors import (
    BlobNotFound,
    StorageFull,
    StorageUnavailable,
    UploadNotFound,
    UploadOffsetMismatch,
)
from cargohold.storage.base import (
    STREAM_CHUNK,
    WRITE_BATCH,
    RunningHashes,
    StoredBlob,
    UploadSession,
    check_upload_id,
    is_upload_id,
    new_upload_id,
    parse_blob_name,
    verify,
)

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs"
        self._uploads = root / "uploads"
        for directory in (root, self._blobs, self._uploads):
            directory.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIRECTORY)
        self._hashes = RunningHashes()

    def _blob_path(self, digest: Digest) -> Path:
        return self._blobs / digest.algorithm / digest.hex[:2] / digest.hex

    def _upload_path(self, upload_id: str) -> Path:
        return self._uploads / check_upload_id(upload_id)

    async def check(self) -> None:
        """The blob and upload directories are there (an unmounted volume is not mistaken for
        an empty store: they are not made again), and a file can be made in the uploads'."""
        await to_thread.run_sync(self._check)

    def _check(self) -> None:
        for directory in (self._blobs, self._uploads):
            if not directory.is_dir():
                raise StorageUnavailable(f"the blob store directory {directory} is missing")
        probe = self._uploads / f"probe-{uuid.uuid4().hex}"
        try:
            probe.open("xb").close()
            probe.unlink()
        except OSError as exc:
            raise StorageUnavailable(
                f"cannot write in the blob store directory {self._uploads}: {exc.strerror}"
            ) from exc

    # --- reading ------------------------------------------------------------------------

    async def size(self, digest: Digest) -> int | None:
        try:
            return os.stat(self._blob_path(digest)).st_size
        except FileNotFoundError:
            return None

    def local_path(self, digest: Digest) -> str | None:
        path = self._blob_path(digest)
        return str(path) if path.exists() else None

    async def read(
        self, digest: Digest, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        try:
            handle = await to_thread.run_sync(open, self._blob_path(digest), "rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(str(digest)) from exc
        try:
            remaining = length
            handle.seek(offset)
            while remaining is None or remaining > 0:
                want = STREAM_CHUNK if remaining is None else min(STREAM_CHUNK, remaining)
                chunk = await to_thread.run_sync(handle.read, want)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def put(self, digest: Digest, data: bytes) -> None:
        await to_thread.run_sync(self._put, digest, data)

    def _put(self, digest: Digest, data: bytes) -> None:
        hasher = new_hasher(digest.algorithm)
        hasher.update(data)
        verify(digest, hasher.hexdigest(), len(data), None)
        target = self._blob_path(digest)
        if target.exists():
            return
        staging = self._uploads / f"put-{uuid.uuid4().hex}"
        try:
            with disk_full_is_storage_full(), _create(staging) as handle:
                handle.write(data)
            self._publish(staging, target)
        finally:
            staging.unlink(missing_ok=True)

    async def delete(self, digest: Digest) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._blob_path(digest))

    async def stored(self) -> AsyncIterator[StoredBlob]:
        """One directory of 256 at a time, each read on a worker thread."""
        for algorithm in await to_thread.run_sync(_names, self._blobs):
            for fanout in await to_thread.run_sync(_names, self._blobs / algorithm):
                found = await to_thread.run_sync(_blobs_in, self._blobs / algorithm / fanout)
                for name, size, modified in found:
                    digest = parse_blob_name(algorithm, name)
                    if digest is not None:
                        yield StoredBlob(digest, size, modified)

    # --- uploads ------------------------------------------------------------------------

    async def start_upload(self) -> str:
        upload_id = new_upload_id()
        with disk_full_is_storage_full():
            await to_thread.run_sync(_create_empty, self._upload_path(upload_id))
        return upload_id

    async def append(
        self, upload_id: str, chunks: AsyncIterable[bytes], offset: int | None = None
    ) -> int:
        path = self._upload_path(upload_id)
        handle, size = await to_thread.run_sync(_open_for_append, path, offset)
        hasher = self._hashes.take(upload_id, size)
        try:
            batch: list[bytes] = []
            pending = 0
            async for chunk in chunks:
                batch.append(chunk)
                pending += len(chunk)
                if pending >= WRITE_BATCH:
                    await to_thread.run_sync(_write, handle, b"".join(batch), hasher)
                    size += pending
                    batch, pending = [], 0
            if pending:
                await to_thread.run_sync(_write, handle, b"".join(batch), hasher)
                size += pending
        except BaseException:
            # What reached the disk stays: the client may ask for the offset and resume.
            self._hashes.forget(upload_id)
            raise
        finally:
            handle.close()
        self._hashes.keep(upload_id, size, hasher)
        return size

    async def upload_size(self, upload_id: str) -> int:
        try:
            return os.stat(self._upload_path(upload_id)).st_size
        except FileNotFoundError as exc:
            raise UploadNotFound(f"no upload {upload_id}") from exc

    async def commit(self, upload_id: str, digest: Digest, size: int | None = None) -> int:
        path = self._upload_path(upload_id)
        actual = await self.upload_size(upload_id)
        known = self._hashes.finish(upload_id, actual, digest.algorithm)
        return await to_thread.run_sync(self._commit, path, digest, size, actual, known)

    def _commit(
        self, path: Path, digest: Digest, size: int | None, actual: int, known: str | None
    ) -> int:
        try:
            computed = known if known is not None else _hash_file(path, digest.algorithm)
            verify(digest, computed, actual, size)
        except Exception:
            path.unlink(missing_ok=True)
            raise
        target = self._blob_path(digest)
        if target.exists():
            path.unlink(missing_ok=True)
        else:
            self._publish(path, target)
        return actual

    async def cancel(self, upload_id: str) -> None:
        self._hashes.forget(upload_id)
        try:
            os.unlink(self._upload_path(upload_id))
        except FileNotFoundError as exc:
            raise UploadNotFound(f"no upload {upload_id}") from exc

    # --- upload sessions, for housekeeping ----------------------------------------------

    async def list_uploads(self) -> AsyncIterator[UploadSession]:
        for session in await to_thread.run_sync(self._list_uploads):
            yield session

    def _list_uploads(self) -> list[UploadSession]:
        sessions = []
        with os.scandir(self._uploads) as entries:
            for entry in entries:
                if not is_upload_id(entry.name):
                    continue  # a put's staging file, removed by the put that made it
                try:
                    info = entry.stat()
                except FileNotFoundError:
                    continue  # committed or cancelled meanwhile
                sessions.append(UploadSession(entry.name, info.st_size, info.st_mtime))
        return sessions

    def _publish(self, staging: Path, target: Path) -> None:
        with disk_full_is_storage_full():
            with open(staging, "rb+") as handle:
                os.fsync(handle.fileno())
            target.parent.parent.mkdir(exist_ok=True, mode=PRIVATE_DIRECTORY)
            target.parent.mkdir(exist_ok=True, mode=PRIVATE_DIRECTORY)
            os.replace(staging, target)
            _fsync_dir(target.parent)


def _names(directory: Path) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _blobs_in(directory: Path) -> list[tuple[str, int, float]]:
    found = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                    status = entry.stat(follow_symlinks=False)
                    found.append((entry.name, status.st_size, status.st_mtime))
    except (FileNotFoundError, NotADirectoryError):
        pass
    return found


def _create(path: Path) -> BinaryIO:
    """A new file only the server's user can read."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE), "wb")


def _create_empty(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))


def _open_for_append(path: Path, offset: int | None) -> tuple[BinaryIO, int]:
    try:
        handle = open(path, "r+b")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError as exc:
        raise UploadNotFound(f"no upload {path.name}") from exc
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        size = os.fstat(handle.fileno()).st_size
        if offset is not None and offset != size:
            raise UploadOffsetMismatch(size, offset)
        if not os.path.exists(path):  # cancelled or committed while we waited for the lock
            raise UploadNotFound(f"no upload {path.name}")
        handle.seek(size)
    except BaseException:
        handle.close()
        raise
    return handle, size


def _write(handle: BinaryIO, data: bytes, hasher: Hasher | None) -> None:
    with disk_full_is_storage_full():
        handle.write(data)
        handle.flush()
    if hasher is not None:
        hasher.update(data)


def _hash_file(path: Path, algorithm: str) -> str:
    hasher = new_hasher(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(4 * STREAM_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


@contextlib.contextmanager
def disk_full_is_storage_full() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull(
                "the registry's storage is full; nothing was stored. Free space on the data "
                "directory's disk, then retry"
            ) from exc
        raise


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["FilesystemBlobStore"]
