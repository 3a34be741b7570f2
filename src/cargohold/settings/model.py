"""The settings of one cargohold process, with their defaults and the checks that say which
value cannot be used and why."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from cargohold.core.networks import Network
from cargohold.directory.config import LdapConfig
from cargohold.settings.values import (
    LEVELS,
    RETENTIONS,
    TIMEOUTS,
    SettingsError,
    check_database_url,
)
from cargohold.storage.s3.location import S3Location

DEFAULT_LISTEN = "127.0.0.1:5000"
DEFAULT_DATA_DIR = "./cargohold-data"
BLOB_REDIRECTS = ("off", "presigned")
DEFAULT_POOL_SIZE = 10  # as cargohold.meta.database.DEFAULT_POOL_SIZE, for code without settings
# Who may read /metrics by default: loopback and private networks (a Prometheus in the same
# cluster or LAN), not the whole internet: the metrics name repositories.
PRIVATE_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128",
                 "fc00::/7")
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Settings:
    listen: str = DEFAULT_LISTEN
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    workers: int = 0
    admin_user: str = "admin"
    admin_password: str | None = None
    log_level: str = "info"
    log_format: str = "text"  # or "json": one object per line
    access_log: bool = True  # one line per request (logger cargohold.access), whatever the level
    token_ttl: int = 300
    service: str = "cargohold"
    public_url: str | None = None
    scan_max_depth: int = 8  # levels of archives inside archives a scan opens
    scan_max_mib: int = 4096  # bytes a scan may unpack per layer or file, in MiB
    # Networks webhooks may reach besides public addresses (loopback, private, link-local...).
    webhook_allowed_networks: tuple[Network, ...] = ()
    # Reverse proxies whose X-Forwarded-* / Forwarded headers say the client's address,
    # scheme and host; empty: trust none (the headers of every peer are ignored).
    trusted_proxies: tuple[Network, ...] = ()
    # How long the HTTP server waits on a slow client, in seconds; None is the server's own
    # default (60, 60 and 75: cargohold.server.Timeouts says why).
    read_timeout: float | None = None
    write_timeout: float | None = None
    keep_alive_timeout: float | None = None
    # Blobs in an S3-compatible object store (s3://BUCKET/PREFIX?endpoint=...&region=...)
    # instead of the data directory; the credentials come from AWS_ACCESS_KEY_ID and
    # AWS_SECRET_ACCESS_KEY.
    storage_url: str | None = None
    # "presigned": an authorised blob GET answers 307 to a presigned URL of the object store,
    # valid for blob_redirect_expiry seconds; "off": the server streams the bytes itself.
    blob_redirect: str = "off"
    blob_redirect_expiry: int = 300
    # The metadata database: None is SQLite in the data directory; or
    # postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE for several nodes.
    database_url: str | None = None
    # Connections to PostgreSQL each server process keeps at most (SQLite ignores it).
    database_pool_size: int = DEFAULT_POOL_SIZE
    # Garbage collection: a blob nothing has held for gc_grace_seconds is deleted by the
    # collection that runs every gc_interval_seconds (0: only when asked for).
    gc_grace_seconds: int = 3600
    gc_interval_seconds: int = 86400
    # Retention: run every enabled retention policy this often (0: only when asked for), and
    # never remove the target of a promotion younger than this many days.
    retention_interval_seconds: int = 0
    retention_protect_promoted_days: int = 7
    # Housekeeping: one job every housekeeping_interval_seconds (0: off) cancels uploads idle
    # for upload_expiry_seconds (0: never) and prunes rows older than their retention in days
    # (None or 0: kept forever; the audit log is kept unless told otherwise).
    housekeeping_interval_seconds: int = 3600
    upload_expiry_seconds: int = 86_400
    event_retention_days: int | None = 90
    job_retention_days: int | None = 30
    delivery_retention_days: int | None = 30
    audit_retention_days: int | None = None
    # The bytes every blob stored may take together (each once, whatever the repositories
    # that hold it); a push over it is refused. None: no limit. Written as 500GB, 2TiB...
    quota_bytes: int | None = None
    # The user directory (LDAP), a second source of accounts when ldap_url is set: the README's
    # "LDAP" section says what each does.
    ldap_url: str | None = None
    ldap_bind_dn: str | None = None
    ldap_bind_password: str | None = field(default=None, repr=False)
    ldap_user_base: str | None = None
    ldap_user_filter: str = "(uid={username})"
    ldap_group_base: str | None = None
    ldap_group_filter: str = "(member={dn})"
    ldap_group_map: tuple[tuple[str, str], ...] = ()
    ldap_starttls: bool = False
    ldap_ca_file: Path | None = None
    ldap_timeout: int = 5
    ldap_cache_seconds: int = 300

    @property
    def ldap(self) -> LdapConfig | None:
        """The directory's settings, None without ldap_url."""
        if not self.ldap_url:
            return None
        return LdapConfig(
            url=self.ldap_url,
            user_base=self.ldap_user_base or "",
            user_filter=self.ldap_user_filter,
            bind_dn=self.ldap_bind_dn,
            bind_password=self.ldap_bind_password,
            group_base=self.ldap_group_base,
            group_filter=self.ldap_group_filter,
            group_map=self.ldap_group_map,
            starttls=self.ldap_starttls,
            ca_file=self.ldap_ca_file,
            timeout=self.ldap_timeout,
        )

    # Serve HTTPS directly with this PEM certificate (chain) and key; re-read on SIGHUP.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # On SIGTERM, how long requests in flight may take to finish before they are cut.
    drain_timeout: float = 10.0
    # Prometheus metrics: recorded and served at /metrics when on, to clients of these networks.
    metrics: bool = True
    metrics_allowed_networks: tuple[Network, ...] = PRIVATE_NETWORKS

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]") or "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def database(self) -> str:
        if self.database_url is not None:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / self.database_file.name}"

    @property
    def database_file(self) -> Path:
        """The embedded database's file (used when database_url is not set)."""
        return self.data_dir / "cargohold.db"

    @property
    def has_database(self) -> bool:
        """Whether a database is there to open: the embedded one's file exists, or a
        database server is configured (whose answer says the rest)."""
        return self.database_url is not None or self.database_file.is_file()

    @property
    def blob_root(self) -> Path:
        return self.data_dir.resolve() / "storage"

    @property
    def s3_location(self) -> S3Location | None:
        """Where blobs are when they are not in the data directory."""
        if not self.storage_url:
            return None
        try:
            return S3Location.parse(self.storage_url)
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc

    @property
    def metrics_dir(self) -> Path:
        """Where each server process writes its metrics for the others to read (emptied as
        the server starts)."""
        return self.data_dir.resolve() / "metrics"

    @property
    def legacy_token_keys(self) -> Path:
        """Where versions before the signing keys moved into the database kept them: imported
        from there at the first start, then no longer read."""
        return self.data_dir.resolve() / "token-keys"

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)

    def validated(self) -> Settings:
        host, sep, port = self.listen.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(
                f"listen must be HOST:PORT, e.g. {DEFAULT_LISTEN}; got {self.listen!r}"
            )
        if self.workers < 0:
            raise SettingsError("workers must be 0 (one per core) or more")
        if not 30 <= self.token_ttl <= 3600:
            raise SettingsError("token_ttl must be between 30 and 3600 seconds")
        if not 1 <= self.scan_max_depth <= 64:
            raise SettingsError("scan_max_depth must be between 1 and 64")
        if not 1 <= self.scan_max_mib <= 1024 * 1024:
            raise SettingsError("scan_max_mib must be between 1 and 1048576 (1 TiB)")
        for name in TIMEOUTS:
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 3600:
                raise SettingsError(f"{name} must be between 1 and 3600 seconds")
        self.s3_location  # noqa: B018 - parsed to check it
        if self.blob_redirect not in BLOB_REDIRECTS:
            raise SettingsError(
                f"blob_redirect must be one of {', '.join(BLOB_REDIRECTS)}, "
                f"not {self.blob_redirect!r}"
            )
        if self.blob_redirect == "presigned" and not self.storage_url:
            raise SettingsError(
                "blob_redirect=presigned needs blobs in an object store: set storage_url "
                "(CARGOHOLD_STORAGE_URL) too"
            )
        if not 10 <= self.blob_redirect_expiry <= 3600:
            raise SettingsError("blob_redirect_expiry must be between 10 and 3600 seconds")
        if not 1 <= self.database_pool_size <= 1000:
            raise SettingsError("database_pool_size must be between 1 and 1000 connections")
        if self.retention_interval_seconds != 0 and not (
            60 <= self.retention_interval_seconds <= 366 * 86400
        ):
            raise SettingsError(
                "retention_interval_seconds must be 0 (no scheduled runs) or between 60 and "
                "31622400 (a year)"
            )
        if not 0 <= self.retention_protect_promoted_days <= 36500:
            raise SettingsError("retention_protect_promoted_days must be between 0 and 36500")
        if self.database_url is not None:
            check_database_url(self.database_url)
        if not 0 <= self.gc_grace_seconds <= 365 * 86400:
            raise SettingsError("gc_grace_seconds must be between 0 and 31536000 (a year)")
        if self.gc_interval_seconds != 0 and not 60 <= self.gc_interval_seconds <= 365 * 86400:
            raise SettingsError(
                "gc_interval_seconds must be 0 (collect only when asked) or between 60 and "
                "31536000 (a year)"
            )
        if self.quota_bytes is not None and self.quota_bytes < 0:
            raise SettingsError("quota_bytes must be a size of 0 or more, or none")
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"public_url must start with http:// or https://, not {self.public_url!r}"
            )
        self._validate_housekeeping()
        self._validate_ldap()
        self._validate_serving()
        return self

    def _validate_ldap(self) -> None:
        ldap = self.ldap
        problems = [] if ldap is None else ldap.problems()
        if not 0 <= self.ldap_cache_seconds <= 86_400:
            problems.append("ldap_cache_seconds must be between 0 and 86400 (a day)")
        if problems:
            raise SettingsError("; ".join(problems))

    def _validate_serving(self) -> None:
        if self.log_level.upper() not in LEVELS:
            raise SettingsError(
                f"log_level must be one of {', '.join(LEVELS).lower()}, not {self.log_level!r}"
            )
        if self.log_format not in ("text", "json"):
            raise SettingsError(f"log_format must be text or json, not {self.log_format!r}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise SettingsError("tls_cert and tls_key go together: set both, or neither")
        if not 0 <= self.drain_timeout <= 3600:
            raise SettingsError("drain_timeout must be between 0 and 3600 seconds")

    def _validate_housekeeping(self) -> None:
        for name in ("housekeeping_interval_seconds", "upload_expiry_seconds"):
            value = getattr(self, name)
            if value != 0 and not 60 <= value <= 366 * 86_400:
                raise SettingsError(f"{name} must be 0 (never) or between 60 and 31622400")
        for name in RETENTIONS:
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 36_500:
                raise SettingsError(f"{name} must be a number of days up to 36500, or 0 (forever)")


__all__ = ["BLOB_REDIRECTS", "DEFAULT_POOL_SIZE", "PRIVATE_NETWORKS", "Settings"]
