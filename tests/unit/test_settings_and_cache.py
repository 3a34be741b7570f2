"""Settings precedence and the change-aware cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from cargohold.cli.serve import server_timeouts
from cargohold.registry.cache import ChangeAwareCache, ContentCache
from cargohold.server import Timeouts
from cargohold.settings import Settings, SettingsError, load_settings


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.listen == "127.0.0.1:5000"
    assert settings.data_dir == Path("./cargohold-data")
    assert (settings.host, settings.port) == ("127.0.0.1", 5000)


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "cargohold.toml"
    config.write_text('listen = "0.0.0.0:6000"\ndata-dir = "/srv/a"\nworkers = 3\n')
    from_file = load_settings(config, environ={})
    assert (from_file.listen, from_file.data_dir, from_file.workers) == (
        "0.0.0.0:6000",
        Path("/srv/a"),
        3,
    )
    env = {"CARGOHOLD_DATA_DIR": "/srv/b", "CARGOHOLD_CONFIG": str(config)}
    from_env = load_settings(environ=env)
    assert (from_env.listen, from_env.data_dir) == ("0.0.0.0:6000", Path("/srv/b"))
    flagged = load_settings(environ=env, overrides={"listen": "127.0.0.1:7000", "workers": None})
    assert (flagged.listen, flagged.workers) == ("127.0.0.1:7000", 3)


@pytest.mark.parametrize("listen", ["5000", "host:", "host:99999", ":80"])
def test_bad_listen(listen: str) -> None:
    with pytest.raises(SettingsError):
        load_settings(environ={"CARGOHOLD_LISTEN": listen})


def test_unknown_key_in_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("lisen = 'x'\n")
    with pytest.raises(SettingsError, match="lisen"):
        load_settings(config, environ={})


def test_worker_count() -> None:
    assert Settings(workers=3).worker_count == 3
    assert Settings(workers=0).worker_count >= 1


def test_the_database_is_sqlite_in_the_data_dir_unless_a_url_is_given() -> None:
    default = load_settings(environ={"CARGOHOLD_DATA_DIR": "/srv/a"})
    assert default.database == "sqlite:////srv/a/cargohold.db"
    assert default.database_pool_size == 10
    chosen = load_settings(
        environ={
            "CARGOHOLD_DATABASE_URL": "postgresql://cargohold:s3cret@db.internal:5432/cargohold",
            "CARGOHOLD_DATABASE_POOL_SIZE": "4",
        }
    )
    # postgresql:// means psycopg 3, the driver cargohold ships
    assert chosen.database == "postgresql+psycopg://cargohold:s3cret@db.internal:5432/cargohold"
    assert chosen.database_pool_size == 4
    socket = "postgresql+psycopg://cargohold@/cargohold?host=/run/postgresql"
    assert load_settings(environ={"CARGOHOLD_DATABASE_URL": socket}).database == socket


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root:s3cret@db/cargohold", "not a 'mysql' URL"),
        ("db.internal:5432/cargohold", "without a scheme"),
        ("postgresql+psycopg2://u:s3cret@db/cargohold", "not a 'postgresql\\+psycopg2' URL"),
        ("postgresql://u:s3cret@db.internal:5432", "name the host and the database"),
        ("postgresql://u:s3cret@db.internal:port/cargohold", "port must be a number"),
    ],
)
def test_a_database_url_cargohold_cannot_open_is_refused(url: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        load_settings(environ={"CARGOHOLD_DATABASE_URL": url})
    assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize("size", ["0", "1001", "many"])
def test_bad_database_pool_size(size: str) -> None:
    with pytest.raises(SettingsError, match="database_pool_size"):
        load_settings(environ={"CARGOHOLD_DATABASE_POOL_SIZE": size})


def test_retention_settings_from_the_environment() -> None:
    assert load_settings(environ={}).retention_interval_seconds == 0  # off
    assert load_settings(environ={}).retention_protect_promoted_days == 7
    chosen = load_settings(
        environ={
            "CARGOHOLD_RETENTION_INTERVAL_SECONDS": "86400",
            "CARGOHOLD_RETENTION_PROTECT_PROMOTED_DAYS": "30",
        }
    )
    assert (chosen.retention_interval_seconds, chosen.retention_protect_promoted_days) == (
        86400,
        30,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CARGOHOLD_RETENTION_INTERVAL_SECONDS", "5"),
        ("CARGOHOLD_RETENTION_INTERVAL_SECONDS", "-1"),
        ("CARGOHOLD_RETENTION_INTERVAL_SECONDS", "daily"),
        ("CARGOHOLD_RETENTION_PROTECT_PROMOTED_DAYS", "-1"),
    ],
)
def test_bad_retention_settings(variable: str, value: str) -> None:
    setting = variable.removeprefix("CARGOHOLD_").lower()
    with pytest.raises(SettingsError, match=setting):
        load_settings(environ={variable: value})


def test_server_timeouts_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "cargohold.toml"
    config.write_text("keep-alive-timeout = 620\n")
    settings = load_settings(config, environ={"CARGOHOLD_READ_TIMEOUT": "30"})
    # unset ones are the server's own defaults
    assert server_timeouts(settings) == Timeouts(read=30, write=60, keep_alive=620)
    assert server_timeouts(load_settings(environ={})) == Timeouts()


@pytest.mark.parametrize("value", ["0", "3601", "nan", "soon"])
def test_bad_server_timeout(value: str) -> None:
    with pytest.raises(SettingsError, match="write_timeout"):
        load_settings(environ={"CARGOHOLD_WRITE_TIMEOUT": value})


def test_housekeeping_settings_keep_the_audit_log_unless_told(tmp_path: Path) -> None:
    defaults = load_settings(environ={})
    assert (defaults.housekeeping_interval_seconds, defaults.upload_expiry_seconds) == (3600, 86400)
    assert (defaults.event_retention_days, defaults.job_retention_days) == (90, 30)
    assert (defaults.delivery_retention_days, defaults.audit_retention_days) == (30, None)
    config = tmp_path / "cargohold.toml"
    config.write_text("audit-retention-days = 365\nevent-retention-days = 0\n")
    env = {"CARGOHOLD_JOB_RETENTION_DAYS": "none", "CARGOHOLD_UPLOAD_EXPIRY_SECONDS": "7200"}
    told = load_settings(config, environ=env)
    assert (told.audit_retention_days, told.event_retention_days) == (365, None)
    assert (told.job_retention_days, told.upload_expiry_seconds) == (None, 7200)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CARGOHOLD_AUDIT_RETENTION_DAYS", "-1"),
        ("CARGOHOLD_EVENT_RETENTION_DAYS", "a while"),
        ("CARGOHOLD_UPLOAD_EXPIRY_SECONDS", "30"),
        ("CARGOHOLD_HOUSEKEEPING_INTERVAL_SECONDS", "-5"),
    ],
)
def test_bad_housekeeping_setting(variable: str, value: str) -> None:
    name = variable.removeprefix("CARGOHOLD_").lower()
    with pytest.raises(SettingsError, match=name):
        load_settings(environ={variable: value})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_change_aware_cache_forgets_on_change() -> None:
    generation = [1]
    loads: list[str] = []
    cache: ChangeAwareCache[str, str] = ChangeAwareCache(lambda: generation[0])

    async def load() -> str:
        loads.append("x")
        return f"value@{generation[0]}"

    assert await cache.get("k", load) == "value@1"
    assert await cache.get("k", load) == "value@1"
    assert len(loads) == 1
    generation[0] = 2
    assert await cache.get("k", load) == "value@2"
    assert len(loads) == 2


@pytest.mark.anyio
async def test_change_during_load_is_not_cached() -> None:
    generation = [1]
    cache: ChangeAwareCache[str, int] = ChangeAwareCache(lambda: generation[0])

    async def racing_load() -> int:
        generation[0] += 1  # a write lands while we read
        return 0

    await cache.get("k", racing_load)

    async def fresh() -> int:
        return 42

    assert await cache.get("k", fresh) == 42


def test_content_cache_is_bounded() -> None:
    cache: ContentCache[str, bytes] = ContentCache(10, len)
    cache.put("a", b"12345")
    cache.put("b", b"12345")
    assert cache.get("a") == b"12345"
    cache.put("c", b"123")
    assert cache.get("b") is None  # least recently used went first
    assert cache.get("a") == b"12345"
    cache.put("big", b"x" * 11)
    assert cache.get("big") is None
