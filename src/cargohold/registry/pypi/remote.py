"""Remote PyPI repositories: a pull-through cache of an upstream simple index (pypi.org's
``https://pypi.org/simple``, another cargohold's ``.../pypi/REPOSITORY/simple``, a static
directory of PEP 503 pages).

A project's page is asked of the upstream (PEP 691 JSON preferred, HTML accepted), kept as a
document of the remote repository's tree (``.pypi/simple/NAME.json``) and revalidated after
the repository's period through ``registry/remote/freshness.py``: served stale when the
upstream is down, never asked when the repository is offline. Its files are listed under
this repository's own URLs. A file is fetched from the upstream on its first download, once
whatever the crowd (``Flights``), verified against the sha256 the upstream's page gave,
and kept as a package file of the remote repository (so it is scanned, and later downloads
are local).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

from anyio import to_thread

from cargohold.core.checksums import Checksums
from cargohold.core.digest import Digest
from cargohold.core.errors import (
    BadRequest,
    Conflict,
    ResourceUnknown,
    UpstreamUnavailable,
)
from cargohold.records.packages import PackageFile, PackageVersion
from cargohold.records.remote import Check
from cargohold.records.repositories import Remote, RepositoryRecord
from cargohold.registry.packages.files import NewFile, PackageFiles, Staged
from cargohold.registry.packages.remote_cache import REMOTE_CACHE, RemoteCache
from cargohold.registry.pypi.distributions import WHEEL, parse_filename, read_metadata
from cargohold.registry.pypi.index import Arriving, Listed, Project
from cargohold.registry.pypi.pages import ACCEPT, MAX_PAGE, Page, UpstreamFile, parse_page
from cargohold.registry.remote.download import Download
from cargohold.registry.remote.flight import Flights
from cargohold.registry.remote.freshness import Freshness
from cargohold.registry.remote.upstream import Upstream

PAGES = ".pypi/simple"  # where a remote repository keeps its upstream's pages
# Who keeps what a remote repository fetched, in its audit records and events.


def page_path(name: str) -> str:
    return f"{PAGES}/{name}.json"


def remote_of(repository: RepositoryRecord) -> Remote:
    if repository.remote is None:
        raise ResourceUnknown(f"repository {repository.key!r} is not a remote repository")
    return repository.remote


def _same_origin(url: str, upstream: str) -> bool:
    """Whether ``url`` (relative, or absolute) is on the host of ``upstream``."""
    target = urlsplit(url)
    if not target.scheme:
        return True
    base = urlsplit(upstream)
    return (target.scheme, target.netloc) == (base.scheme, base.netloc)


def _offline(repository: RepositoryRecord, what: str) -> ResourceUnknown:
    return ResourceUnknown(
        f"{what} is not cached in remote repository {repository.key!r}, which is offline: "
        f"only cached content is served (`cargohold repo update {repository.key} --online`)"
    )


class RemotePypi:
    def __init__(
        self,
        packages: PackageFiles,
        cache: RemoteCache,
        upstream: Upstream,
        flights: Flights,
        freshness: Freshness,
        clock: Callable[[], float],
    ) -> None:
        self._packages = packages
        self._cache = cache
        self._upstream = upstream
        self._flights = flights
        self._freshness = freshness
        self._clock = clock

    async def project(self, remote: RepositoryRecord, name: str) -> Project:
        page = await self._page(remote, name)
        stored = {f.filename: f for f in await self._packages.files(remote.key, name)}
        listed: list[Listed] = []
        for entry in page.files:
            held = stored.pop(entry.filename, None)
            if held is not None:
                # What is served is what is kept: its own hash, even if the upstream has
                # since put other bytes under the same file name.
                listed.append(Listed.of(held, entry.yanked))
                continue
            listed.append(
                Listed(
                    entry.filename,
                    entry.version,
                    entry.sha256,
                    entry.size,
                    entry.upload_time,
                    entry.requires_python,
                    entry.yanked,
                )
            )
        versions = list(page.versions)
        if stored:  # cached once, no longer on the upstream's page
            local = await self._local(remote, name, set(stored))
            listed += local.files
            versions += [v for v in local.versions if v not in set(versions)]
        return Project(name, listed, versions)

    async def _local(self, remote: RepositoryRecord, name: str, filenames: set[str]) -> Project:
        versions = {v.version: v.yanked for v in await self._packages.versions(remote.key, name)}
        files = [
            Listed.of(f, versions.get(f.version))
            for f in await self._packages.files(remote.key, name)
            if f.filename in filenames
        ]
        return Project(name, files, list(dict.fromkeys(f.version for f in files)))

    async def _page(self, remote: RepositoryRecord, name: str) -> Page:
        """The upstream's page of ``name``, fresh enough (ResourceUnknown when the upstream
        has no such project)."""
        path = page_path(name)
        cached = await self._cache.cached_document(remote.key, path, MAX_PAGE)

        async def revalidate(last: Check | None) -> str:
            data = (await self._fetch_page(remote, name)).dumps()
            await self._cache.cache_document(remote, path, data)
            return f"sha256:{hashlib.sha256(data).hexdigest()}"

        try:
            await self._freshness.ensure(remote, name, "simple", cached is not None, revalidate)
        except UpstreamUnavailable:
            if remote_of(remote).offline:
                raise _offline(remote, f"project {name!r}") from None
            raise
        data = await self._cache.cached_document(remote.key, path, MAX_PAGE)
        if data is None:
            raise ResourceUnknown(
                f"no project {name!r} in remote repository {remote.key!r}", {"name": name}
            )
        return Page.loads(data)

    async def _fetch_page(self, remote: RepositoryRecord, name: str) -> Page:
        settings = remote_of(remote)
        url = f"{settings.upstream.rstrip('/')}/{name}/"
        headers = {"Accept": ACCEPT}
        async with self._upstream.open(
            remote.key, settings, "GET", f"{name}/", headers=headers
        ) as reply:
            if reply.status in (404, 410):
                raise ResourceUnknown(
                    f"no project {name!r} at {settings.upstream}, the upstream of remote "
                    f"repository {remote.key!r}",
                    {"name": name},
                )
            if reply.status != 200:
                raise UpstreamUnavailable(
                    f"upstream {settings.upstream} of remote repository {remote.key!r} "
                    f"answered {reply.status} for project {name!r}"
                )
            body = await reply.read(MAX_PAGE)
            content_type = reply.headers.get("content-type", "")
        try:
            return parse_page(body, content_type, url)
        except BadRequest as exc:
            raise UpstreamUnavailable(
                f"the page of {name!r} from {settings.upstream} cannot be read: {exc.message}"
            ) from None

    async def download(
        self,
        remote: RepositoryRecord,
        name: str,
        version: str,
        filename: str,
        *,
        stream: bool = False,
    ) -> PackageFile | Arriving:
        with contextlib.suppress(ResourceUnknown):
            return await self._packages.download(remote.key, name, version, filename)
        page = await self._page(remote, name)
        entry = next(
            (f for f in page.files if f.filename == filename and f.version == version), None
        )
        if entry is None:
            raise ResourceUnknown(
                f"no file {filename!r} of {name} {version} in remote repository {remote.key!r}",
                {"filename": filename},
            )
        settings = remote_of(remote)
        if settings.offline:
            raise _offline(remote, filename)
        digest = Digest("sha256", entry.sha256)

        @contextlib.asynccontextmanager
        async def download(offset: int) -> AsyncIterator[Download]:
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            async with self._upstream.open(
                remote.key, settings, "GET", entry.url, headers=headers
            ) as reply:
                if reply.status in (404, 410):
                    raise ResourceUnknown(
                        f"{filename} is listed by {settings.upstream} but not served by it",
                        {"filename": filename},
                    )
                if reply.status == 206 and offset:
                    total = _range_total(reply.headers.get("content-range"))
                    yield Download(offset, total, reply.chunks())
                elif reply.status == 200:
                    yield Download(0, reply.size, reply.chunks())
                else:
                    raise UpstreamUnavailable(
                        f"upstream {settings.upstream} of remote repository {remote.key!r} "
                        f"answered {reply.status} for {filename}"
                    )

        async def stored(size: int) -> None:
            # By the fetching process, once the bytes are verified and stored.
            await self._keep(remote, name, entry, digest)

        key = f"pypi:{remote.key}/{name}/{version}/{filename}"
        incoming = await self._flights.blob(key, digest, download, stored)
        # A file elsewhere than the upstream's own host (pypi.org's are on
        # files.pythonhosted.org) is sent only once verified: an upstream's page must not
        # turn cargohold into a reader of other hosts' answers, internal ones included.
        if incoming is not None and stream and _same_origin(entry.url, settings.upstream):
            await self._packages.check_download(remote.key, digest)
            return Arriving(incoming, filename)
        if incoming is not None:
            await incoming.stored()
        elif not await self._holds(remote, name, entry):
            # Stored for another repository: knowing a digest is not enough to read what
            # another repository holds, so the upstream shows it has these bytes first.
            async with download(0) as whole:
                await _prove(whole.chunks, digest, settings.upstream, filename)
        await self._keep(remote, name, entry, digest)
        return await self._packages.download(remote.key, name, version, filename)

    async def _holds(self, remote: RepositoryRecord, name: str, entry: UpstreamFile) -> bool:
        held = await self._packages.files(remote.key, name, entry.version)
        return any(f.filename == entry.filename for f in held)

    async def _keep(
        self, remote: RepositoryRecord, name: str, entry: UpstreamFile, digest: Digest
    ) -> None:
        """Publish the fetched file in the remote repository (once: a concurrent publish of
        the same file is as good)."""
        named = parse_filename(entry.filename)
        if await self._holds(remote, name, entry):
            return

        def read(path: str) -> tuple[int, Checksums, bytes | None]:
            sha1 = hashlib.sha1(usedforsecurity=False)
            md5 = hashlib.md5(usedforsecurity=False)
            size = 0
            with open(path, "rb") as handle:
                while chunk := handle.read(1024 * 1024):
                    sha1.update(chunk)
                    md5.update(chunk)
                    size += len(chunk)
            metadata = None
            if named.filetype == WHEEL:
                with contextlib.suppress(BadRequest):
                    metadata = read_metadata(path, named).raw
            return size, Checksums(digest.hex, sha1.hexdigest(), md5.hexdigest()), metadata

        probe = Staged(remote.key, entry.filename, digest, 0, Checksums(digest.hex), None)
        size, checksums, metadata = await self._packages.inspect(probe, read)
        staged = Staged(remote.key, entry.filename, digest, size, checksums, None)
        version = await self._packages.version(remote.key, name, entry.version)
        if version is None:
            version = PackageVersion(
                remote.key,
                name,
                entry.version,
                self._clock(),
                REMOTE_CACHE.name,
                entry.yanked,
                json.dumps({"name": name}),
            )
        with contextlib.suppress(Conflict):
            await self._packages.publish(
                REMOTE_CACHE, remote, version, [NewFile(staged, entry.requires_python, metadata)]
            )


async def _prove(
    chunks: AsyncIterator[bytes], digest: Digest, upstream: str, filename: str
) -> None:
    """UpstreamUnavailable unless ``chunks`` are the bytes of ``digest``."""
    hasher = hashlib.sha256()
    async for chunk in chunks:
        await to_thread.run_sync(hasher.update, chunk)
    if hasher.hexdigest() != digest.hex:
        raise UpstreamUnavailable(
            f"{upstream} sent content for {filename} that does not match its listed digest "
            f"{digest} (it hashes to sha256:{hasher.hexdigest()}); nothing was kept"
        )


def _range_total(value: str | None) -> int | None:
    if value is None or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


__all__ = ["PAGES", "RemotePypi", "page_path"]
