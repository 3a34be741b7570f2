"""The composition root: builds the stores and services from Settings and mounts the APIs."""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cargohold import logs
from cargohold.analysis.unpack.limits import Limits, MiB
from cargohold.api import rest
from cargohold.api.forwarded import ForwardedHeaders
from cargohold.api.monitoring import HttpMetrics, MetricsEndpoint, Probes
from cargohold.api.request_ids import RequestIds
from cargohold.core.networks import Network
from cargohold.directory import LdapDirectory
from cargohold.formats import FORMATS, NAMES, REMOTE_NAMES
from cargohold.jobs import JobRunner, job_handlers
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.metrics import MetricsDirectory
from cargohold.registry.events.targets import WebhookTargets
from cargohold.registry.housekeeping.policy import HousekeepingPolicy
from cargohold.registry.identity.directory import DirectorySource
from cargohold.registry.registry import Registry
from cargohold.registry.retention.runs import RetentionSettings
from cargohold.settings import Settings, load_settings
from cargohold.storage.base import BlobRedirects, BlobStore
from cargohold.storage.filesystem import FilesystemBlobStore
from cargohold.upstream.client import HttpUpstreamClient

log = logging.getLogger("cargohold")


@dataclass(frozen=True, slots=True)
class Bootstrap:
    created_repositories: list[str]
    generated_password: str | None


@dataclass(frozen=True, slots=True)
class MetricsOptions:
    directory: Path  # the Prometheus multiprocess directory every worker writes to
    allowed_networks: tuple[Network, ...]  # who may scrape /metrics


def metrics_options(settings: Settings) -> MetricsOptions | None:
    if not settings.metrics:
        return None
    return MetricsOptions(settings.metrics_dir, settings.metrics_allowed_networks)


def worker_exited(settings: Settings) -> Callable[[int], None] | None:
    """What the server's parent does when a worker exits: forget its gauges."""
    return MetricsDirectory(settings.metrics_dir).process_exited if settings.metrics else None


def _private_data_dir(path: Path) -> None:
    """Make the data directory, or keep it, reachable by the server's user only (0700), whatever
    the umask: it holds the database (password and token hashes, webhook secrets, the token
    signing keys). One that others can read, as older versions left it, is tightened."""
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = stat.S_IMODE(path.stat().st_mode)
    if not created and not mode & 0o077:
        return
    wanted = 0o700 if created else mode & 0o700
    try:
        path.chmod(wanted)
    except PermissionError:
        log.warning("data directory %s is mode %03o and cannot be made %03o", path, mode, wanted)
        return
    if not created:
        log.warning(
            "data directory %s was mode %03o, open to other users: made %03o", path, mode, wanted
        )


def open_stores(settings: Settings, *, migrate: bool) -> tuple[BlobStore, MetadataStore]:
    _private_data_dir(settings.data_dir)
    return open_blob_store(settings), open_metadata_store(
        settings.database,
        run_migrations=migrate,
        pool_size=settings.database_pool_size,
        instance_quota=settings.quota_bytes,
    )


def open_blob_store(settings: Settings) -> BlobStore:
    """The filesystem in the data directory, or the object store of ``storage_url``."""
    location = settings.s3_location
    if location is None:
        return FilesystemBlobStore(settings.blob_root)
    # Imported here: the S3 client takes a third of a second to load, for S3 stores only.
    from cargohold.storage.s3.store import S3BlobStore

    return S3BlobStore(location)


def blob_redirects(settings: Settings, store: BlobStore) -> BlobRedirects | None:
    """The store's presigned URLs, when the operator turned redirects on (settings refuse
    that without an object store)."""
    if settings.blob_redirect != "presigned" or not isinstance(store, BlobRedirects):
        return None
    return store


def build_registry(
    settings: Settings,
    store: BlobStore,
    meta: MetadataStore,
    clock: Callable[[], float] = time.time,
) -> Registry:
    return Registry.build(
        store,
        meta,
        formats=NAMES,
        remote_formats=REMOTE_NAMES,
        service=settings.service,
        token_ttl=settings.token_ttl,
        clock=clock,
        scan_dir=settings.data_dir.resolve() / "scratch",
        scan_limits=Limits(
            max_depth=settings.scan_max_depth,
            max_total_bytes=settings.scan_max_mib * MiB,
            max_entry_bytes=min(Limits().max_entry_bytes, settings.scan_max_mib * MiB),
        ),
        webhook_targets=WebhookTargets(settings.webhook_allowed_networks),
        blob_redirects=blob_redirects(settings, store),
        blob_redirect_expiry=settings.blob_redirect_expiry,
        gc_grace=settings.gc_grace_seconds,
        gc_interval=settings.gc_interval_seconds,
        retention=RetentionSettings(
            settings.retention_interval_seconds, settings.retention_protect_promoted_days
        ),
        housekeeping=housekeeping_policy(settings),
        directory=directory_source(settings),
        upstream_client=HttpUpstreamClient(),
        spool_dir=settings.data_dir.resolve() / "spool",
    )


def directory_source(settings: Settings) -> DirectorySource | None:
    """The user directory (LDAP), when one is configured."""
    config = settings.ldap
    if config is None:
        return None
    return DirectorySource(LdapDirectory(config), config, settings.ldap_cache_seconds)


def housekeeping_policy(settings: Settings) -> HousekeepingPolicy:
    return HousekeepingPolicy(
        interval=settings.housekeeping_interval_seconds,
        upload_expiry=settings.upload_expiry_seconds,
        event_days=settings.event_retention_days,
        job_days=settings.job_retention_days,
        delivery_days=settings.delivery_retention_days,
        audit_days=settings.audit_retention_days,
    )


def prepare(settings: Settings) -> Bootstrap:
    """Run once before serving: migrate, create the default repositories, the admin and the
    token signing key (importing the keys an older version kept in files)."""
    store, meta = open_stores(settings, migrate=True)
    try:
        registry = build_registry(settings, store, meta)
        registry.keys.ensure(legacy=settings.legacy_token_keys)
        created = registry.repositories.ensure_defaults()
        password = registry.access.ensure_admin(settings.admin_user, settings.admin_password)
        registry.gc.schedule()
    finally:
        meta.close()
    if settings.metrics:
        MetricsDirectory(settings.metrics_dir).reset()  # before any worker writes to it
    return Bootstrap(created, password)


class Root:
    """Sends each request to its protocol's app by path prefix, with no framework in the way
    of the registry's hot path."""

    def __init__(
        self,
        registry: Registry,
        public_url: str | None = None,
        runner: JobRunner | None = None,
        metrics: MetricsOptions | None = None,
        trusted_proxies: Sequence[Network] = (),
    ) -> None:
        self._runner = runner  # started and stopped by the ASGI lifespan of each worker
        self._retention = registry.retention  # its schedule queued as a runner starts
        self._housekeeping = registry.housekeeping
        self._close = registry.aclose  # fetches in progress, pulls not yet recorded
        self._formats = [(f.prefix, f.serve(registry, public_url)) for f in FORMATS]
        self._rest = rest.build(registry)
        self._probes = Probes(registry.readiness)
        self._metrics: MetricsEndpoint | None = None
        self._stamped: ASGIApp = RequestIds(self._dispatch)
        if metrics is not None:
            self._metrics = MetricsEndpoint(
                MetricsDirectory(metrics.directory), registry.levels, metrics.allowed_networks
            )
            self._stamped = HttpMetrics(self._stamped, _protocol)
        # The client's address, scheme and host are settled first, for all that follows.
        proxied = ForwardedHeaders(self._stamped, trusted_proxies, public_url)
        if proxied.active:
            self._stamped = proxied

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self._runner, self._schedule, self._metrics, self._close)
            return
        await self._stamped(scope, receive, send)

    async def _schedule(self) -> None:
        """Queue the scheduled background work that queues itself from then on (one job
        each across every process and node, whichever starts first)."""
        try:
            await self._retention.schedule()
        except Exception:
            log.exception("the next scheduled retention run could not be queued")
        try:
            await self._housekeeping.schedule()
        except Exception:
            log.exception("the next housekeeping run could not be queued")

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        for prefix, app in self._formats:
            if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] in ("", "/"):
                await app(scope, receive, send)
                return
        if path.startswith("/api/v1/"):
            await self._rest(
                {**scope, "root_path": scope.get("root_path", "") + "/api/v1"}, receive, send
            )
        elif path == "/":
            await RedirectResponse("/api/v1/health")(scope, receive, send)
        elif path == "/healthz":
            await self._probes.healthz(scope, receive, send)
        elif path == "/readyz":
            await self._probes.readyz(scope, receive, send)
        elif path == "/metrics" and self._metrics is not None:
            await self._metrics(scope, receive, send)
        else:
            await self._rest({**scope, "root_path": ""}, receive, send)


_PROTOCOLS = {f.prefix.lstrip("/"): f.protocol for f in FORMATS} | {
    "api": "rest",
    "metrics": "metrics",
    "healthz": "probe",
    "readyz": "probe",
}


def _protocol(path: str) -> str:
    """The metrics' protocol label: from the path's first segment, one of a fixed few."""
    return _PROTOCOLS.get(path[1:].partition("/")[0], "other")


async def _lifespan(
    receive: Receive,
    send: Send,
    runner: JobRunner | None,
    schedule: Callable[[], Awaitable[None]],
    metrics: MetricsEndpoint | None = None,
    close: Callable[[], Awaitable[None]] | None = None,
) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                if metrics is not None:
                    await metrics.start()
                if runner is not None:
                    await runner.start()
                    await schedule()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if runner is not None:
                await runner.stop()
            if metrics is not None:
                await metrics.stop()
            if close is not None:
                try:
                    await close()
                except Exception:
                    log.exception("closing the registry's background work failed")
            await send({"type": "lifespan.shutdown.complete"})
            return


def build_app(
    registry: Registry,
    public_url: str | None = None,
    runner: JobRunner | None = None,
    metrics: MetricsOptions | None = None,
    trusted_proxies: Sequence[Network] = (),
) -> Root:
    return Root(registry, public_url, runner, metrics, trusted_proxies)


def create_app(settings: Settings | None = None) -> Root:
    """What each server worker runs; without settings, they come from the environment."""
    settings = settings or load_settings()
    logs.configure(settings)
    store, meta = open_stores(settings, migrate=False)
    registry = build_registry(settings, store, meta)
    runner = JobRunner(registry.jobs, lambda: job_handlers(registry))
    return build_app(
        registry,
        settings.public_url,
        runner,
        metrics_options(settings),
        settings.trusted_proxies,
    )


__all__ = [
    "Bootstrap",
    "MetricsOptions",
    "Root",
    "blob_redirects",
    "build_app",
    "build_registry",
    "create_app",
    "metrics_options",
    "open_blob_store",
    "open_stores",
    "prepare",
    "worker_exited",
]
