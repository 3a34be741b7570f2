"""An upgrade: the data of the previous release (``tests/fixtures/upgrade``, made by its
``make.py`` at that release) is migrated by a start of this version and served whole: the
image pulls byte-identical, the file downloads, the user logs in. On PostgreSQL the same
rows are loaded into a database at the release's schema first. ``cargohold migrate
--check`` says whether a start would migrate, and migrates nothing."""

from __future__ import annotations

import tarfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.cli.main import main
from cargohold.cli.migrate import PENDING
from cargohold.meta.database import create_engine, head_revision, migrate
from cargohold.settings import Settings
from tests.fixtures.upgrade import content
from tests.images import OCI_MANIFEST, sha256
from tests.integration.accounts import basic
from tests.postgres import PostgresServer

pytestmark = pytest.mark.anyio
RELEASE = "0014"  # the schema head of the previous release: the fixture's revision
FIXTURE = Path(__file__).parents[1] / "fixtures" / "upgrade" / f"data-{RELEASE}.tar.gz"


def unpacked(data_dir: Path) -> Path:
    with tarfile.open(FIXTURE) as packed:
        packed.extractall(data_dir, filter="data")
    return data_dir


def cargohold(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="cargohold")


def load_into_postgresql(url: str, fixture_database: Path) -> None:
    """The fixture's rows, copied table by table into a PostgreSQL database at the release's
    schema: what that release would have written there."""
    target = create_engine(url)
    source = sa.create_engine(f"sqlite:///{fixture_database}")
    try:
        migrate(target, RELEASE)
        old, new = sa.MetaData(), sa.MetaData()
        old.reflect(source)
        new.reflect(target)
        with source.connect() as reading, target.begin() as writing:
            for table in new.sorted_tables:
                if table.name == "alembic_version" or table.name not in old.tables:
                    continue
                rows = [
                    dict(row._mapping) for row in reading.execute(old.tables[table.name].select())
                ]
                if rows:
                    writing.execute(table.insert(), rows)
    finally:
        source.dispose()
        target.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def upgraded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """The previous release's data, migrated by this version's start."""
    data_dir = unpacked(tmp_path / "data")
    database_url = None
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgresql_server")
        database_url = server.empty_database()
        load_into_postgresql(database_url, data_dir / "cargohold.db")
        (data_dir / "cargohold.db").unlink()
        request.addfinalizer(lambda: server.drop(str(database_url)))
    settings = Settings(
        data_dir=data_dir, admin_password=content.ADMIN_PASSWORD, database_url=database_url
    )
    if database_url is None:
        check = cargohold("migrate", "--check", "--data-dir", str(data_dir))
        assert check.exit_code == (0 if head_revision() == RELEASE else PENDING), check.output
    prepare(settings)  # what a start does first: migrate
    yield settings


@pytest.fixture
async def client(upgraded: Settings) -> AsyncIterator[httpx.AsyncClient]:
    store, meta = open_stores(upgraded, migrate=False)
    assert meta.pending_migrations() == []
    app = build_app(build_registry(upgraded, store, meta))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://registry"
        ) as http:
            yield http
    finally:
        meta.close()


async def test_the_previous_release_s_data_is_served_after_the_upgrade(
    client: httpx.AsyncClient,
) -> None:
    user = basic(content.USER, content.USER_PASSWORD)
    me = await client.get("/api/v1/me", headers=user)
    assert me.status_code == 200 and me.json()["name"] == content.USER

    name, tag = content.IMAGE
    image = content.image()
    manifest = await client.get(
        f"/v2/{name}/manifests/{tag}", headers={**user, "Accept": OCI_MANIFEST}
    )
    assert manifest.status_code == 200, manifest.text
    assert manifest.content == image.manifest
    for blob in image.blobs:
        pulled = await client.get(f"/v2/{name}/blobs/{sha256(blob)}", headers=user)
        assert pulled.status_code == 200 and pulled.content == blob

    got = await client.get(f"/generic/{content.FILE_REPOSITORY}/{content.FILE_PATH}", headers=user)
    assert got.status_code == 200 and got.content == content.FILE
    wrong = await client.get("/api/v1/me", headers=basic(content.USER, "not-the-password"))
    assert wrong.status_code == 401


def test_migrate_check_lists_the_pending_migrations_and_migrates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    absent = cargohold("migrate", "--check", "--data-dir", str(data_dir))
    assert absent.exit_code == PENDING and "a start creates it" in absent.output
    assert not (data_dir / "cargohold.db").exists()

    data_dir.mkdir()
    engine = create_engine(f"sqlite:///{data_dir / 'cargohold.db'}")
    migrate(engine, "0012")
    check = cargohold("migrate", "--check", "--data-dir", str(data_dir))
    assert check.exit_code == PENDING, check.output
    assert "migrations pending: 0013, 0014" in check.output
    assert cargohold("migrate", "--check", "--data-dir", str(data_dir)).exit_code == PENDING

    assert cargohold("migrate", "--data-dir", str(data_dir)).exit_code == 0
    current = cargohold("migrate", "--check", "--data-dir", str(data_dir))
    assert current.exit_code == 0 and "current" in current.output
    engine.dispose()
