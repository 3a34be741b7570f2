"""A backup copies the database first, then the blobs that copy holds, while the server goes
on: garbage collection never deletes a blob the copy holds before the backup has copied it,
as long as the backup takes less than the grace period; past it, the backup fails naming
the blobs it lost, and a blob nothing held that was collected meanwhile is forgotten.
``cargohold verify`` checks the blobs of PostgreSQL + S3 as it does those of the embedded
instance (tests/e2e/test_backup.py)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import httpx
import pytest
from anyio import to_thread
from click.testing import CliRunner, Result

from cargohold.app import build_app, build_registry, open_blob_store, open_stores, prepare
from cargohold.cli.main import main
from cargohold.core.errors import BackupFailed
from cargohold.registry.backup.backup import BackupRun
from cargohold.settings import Settings
from tests.images import Image, make_image, sha256
from tests.integration.conftest import AUTH, PASSWORD, Clock
from tests.integration.generic import blob_files
from tests.integration.oci import push_blob, push_image
from tests.seaweedfs import ACCESS_KEY, BUCKET, SECRET_KEY, SeaweedFS

pytestmark = pytest.mark.anyio
GRACE = 3600


async def collect(client: httpx.AsyncClient) -> int:
    response = await client.post("/api/v1/gc", json={"dryRun": False}, headers=AUTH)
    assert response.status_code == 200, response.text
    deleted: int = response.json()["blobsDeleted"]
    return deleted


def backup_run(settings: Settings, clock: Clock, destination: Path) -> BackupRun:
    store = open_blob_store(settings)
    return BackupRun(settings.database, store, destination, grace=GRACE, clock=clock)


def stored(image: Image) -> set[str]:
    """The digests of every blob an image is stored as: layers, config and the manifest."""
    return {sha256(blob) for blob in (*image.blobs, image.manifest)}


def recorded(database: Path) -> set[str]:
    with sqlite3.connect(database) as connection:
        return {row[0] for row in connection.execute("SELECT digest FROM blobs")}


async def test_a_blob_released_after_the_copy_stays_until_the_backup_copied_it(
    client: httpx.AsyncClient, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    image = make_image([{"layer": os.urandom(20_000)}])
    digest = await push_image(client, "dev/team/app", "1.0", image)
    run = backup_run(settings, clock, tmp_path / "backup")
    taken = run.snapshot()

    # Deleted right after the copy, then collected just before the grace period ends: the
    # collection keeps every blob the copy holds.
    deleted = await client.delete(f"/v2/dev/team/app/manifests/{digest}", headers=AUTH)
    assert deleted.status_code == 202
    clock.advance(GRACE - 60)
    assert await collect(client) == 0

    manifest = await run.complete(taken)
    assert (manifest.contents.images, manifest.contents.tags) == (1, 1)
    assert manifest.copied == 3
    backed_up = {f"sha256:{path.name}" for path in blob_files(tmp_path / "backup" / "storage")}
    assert backed_up == stored(image)
    assert recorded(tmp_path / "backup" / "cargohold.db") == backed_up


async def test_a_backup_slower_than_the_grace_period_fails_naming_the_blobs_it_lost(
    client: httpx.AsyncClient, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    image = make_image([{"layer": os.urandom(20_000)}])
    digest = await push_image(client, "dev/team/app", "1.0", image)
    destination = tmp_path / "backup"
    run = backup_run(settings, clock, destination)
    taken = run.snapshot()
    await client.delete(f"/v2/dev/team/app/manifests/{digest}", headers=AUTH)
    clock.advance(GRACE + 60)
    assert await collect(client) == 3

    with pytest.raises(BackupFailed) as failed:
        await run.complete(taken)
    message = str(failed.value)
    assert all(digest in message for digest in stored(image)), message
    assert "longer than the garbage collection grace period (3600 s)" in message
    # No database in place: nothing that would claim blobs the directory lacks.
    assert not (destination / "cargohold.db").exists()
    assert not (destination / "backup.json").exists()


async def test_a_blob_nothing_held_that_was_collected_meanwhile_is_forgotten_by_the_copy(
    client: httpx.AsyncClient, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    kept = make_image([{"layer": os.urandom(10_000)}])
    await push_image(client, "dev/team/app", "1.0", kept)
    loose = await push_blob(client, "dev/team/app", os.urandom(5_000))  # a push half way
    run = backup_run(settings, clock, tmp_path / "backup")
    taken = run.snapshot()
    assert loose in recorded(taken.database)
    clock.advance(GRACE + 60)
    assert await collect(client) == 1

    manifest = await run.complete(taken)
    assert manifest.copied == 3 and manifest.contents.blobs == 3
    assert recorded(tmp_path / "backup" / "cargohold.db") == stored(kept)


async def test_verify_on_postgresql_and_s3_names_a_missing_and_a_corrupt_blob(
    tmp_path: Path, seaweedfs: SeaweedFS, postgresql_url: str
) -> None:
    prefix = tmp_path.name
    environment = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "CARGOHOLD_DATABASE_URL": postgresql_url,
        "CARGOHOLD_STORAGE_URL": seaweedfs.url(prefix),
        "CARGOHOLD_DATA_DIR": str(tmp_path / "data"),
    }
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_password=PASSWORD,
        database_url=postgresql_url,
        storage_url=seaweedfs.url(prefix),
    )
    image = make_image([{"layer": os.urandom(20_000)}])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        patch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        prepare(settings)
        store, meta = open_stores(settings, migrate=False)
        try:
            transport = httpx.ASGITransport(app=build_app(build_registry(settings, store, meta)))
            async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
                await push_image(client, "dev/team/app", "1.0", image)
        finally:
            meta.close()

    async def verify() -> tuple[int, str, str]:
        """``cargohold verify`` as the operator runs it (on a thread: it runs an event loop)."""

        def run() -> Result:
            return CliRunner(env=environment).invoke(main, ["verify"], prog_name="cargohold")

        result = await to_thread.run_sync(run)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = await verify()
    assert code == 0 and out.startswith("checked 3 blobs") and "0 missing, 0 corrupt" in out
    s3 = seaweedfs.client()
    missing, corrupt = sha256(image.layers[0]), sha256(image.config)
    keys = seaweedfs.keys(prefix)
    s3.delete_object(Bucket=BUCKET, Key=next(k for k in keys if k.endswith(missing[7:])))
    s3.put_object(Bucket=BUCKET, Key=next(k for k in keys if k.endswith(corrupt[7:])), Body=b"{}")
    code, out, err = await verify()
    assert code == 1
    assert f"missing: {missing}" in out
    assert f"corrupt: {corrupt}: its bytes hash to {sha256(b'{}')}" in out
    assert "1 missing, 1 corrupt" in err
