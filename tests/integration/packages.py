"""PyPI and npm repositories for the integration tests: a registry that holds them, made
through the REST API as an admin would, and versions published in-process (through
``registry.packages``, as the PyPI and npm protocols do) rather than by twine or npm."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import httpx

from cargohold.app import open_stores, prepare
from cargohold.core.checksums import Checksums
from cargohold.formats import NAMES, REMOTE_NAMES
from cargohold.meta.store import MetadataStore
from cargohold.records.packages import PackageFile, PackageVersion
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.packages.files import NewFile
from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from cargohold.storage.base import BlobStore
from tests.integration.conftest import AUTH, Clock

ADMIN = Actor(Principal("admin", admin=True), "127.0.0.1")


def registry_over(
    store: BlobStore, meta: MetadataStore, settings: Settings, clock: Callable[[], float]
) -> Registry:
    """A registry over ``store`` and ``meta`` that takes every format, PyPI and npm
    included, local, remote and virtual."""
    return Registry.build(
        store,
        meta,
        formats=NAMES,
        remote_formats=REMOTE_NAMES,
        clock=clock,
        scan_dir=settings.data_dir.resolve() / "scratch",
        spool_dir=settings.data_dir.resolve() / "spool",
    )


def package_registry(settings: Settings, clock: Clock) -> Iterator[Registry]:
    """``registry_over`` the stores of a new instance in ``settings``' data directory."""
    prepare(settings)
    store, meta = open_stores(settings, migrate=False)
    try:
        yield registry_over(store, meta, settings, clock)
    finally:
        meta.close()


async def create_repository(
    client: httpx.AsyncClient, key: str, format: str, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/repositories", json={"key": key, "format": format, **extra}, headers=AUTH
    )
    assert response.status_code == 201, response.text
    shown: dict[str, Any] = response.json()
    return shown


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def publish(
    registry: Registry,
    key: str,
    name: str,
    version: str,
    files: Mapping[str, bytes],
    *,
    tags: Mapping[str, str] | None = None,
    new_version: bool = False,
) -> list[PackageFile]:
    """Publish ``version`` of package ``name`` (as the format identifies it) with ``files``
    (file name → bytes) as an administrator would upload it."""
    repository = await registry.repositories.get(key)
    staged = [
        await registry.packages.stage(repository, filename, _chunks(data), Checksums())
        for filename, data in files.items()
    ]
    document = json.dumps({"name": name, "version": version})
    return await registry.packages.publish(
        ADMIN,
        repository,
        PackageVersion(key, name, version, time.time(), ADMIN.name, document=document),
        [NewFile(one) for one in staged],
        new_version=new_version,
        tags=tags,
    )


__all__ = ["ADMIN", "create_repository", "package_registry", "publish", "registry_over"]
