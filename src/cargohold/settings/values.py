"""A setting's value as the config file or the environment writes it, made the type the
Settings hold: numbers, switches, sizes, days, networks, the database URL, the LDAP values;
the environment variable of a setting is CARGOHOLD_ and its name in capitals."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cargohold.core.networks import Network
from cargohold.core.sizes import parse_limit
from cargohold.directory.config import parse_group_map


class SettingsError(ValueError):
    """A setting has a value cargohold cannot use."""


_LDAP_OPTIONAL = ("ldap_url", "ldap_bind_dn", "ldap_user_base", "ldap_group_base")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TIMEOUTS = ("read_timeout", "write_timeout", "keep_alive_timeout")
RETENTIONS = (
    "event_retention_days",
    "job_retention_days",
    "delivery_retention_days",
    "audit_retention_days",
)


def coerce(name: str, value: Any) -> Any:
    if name == "data_dir":
        return Path(str(value))
    if name in ("tls_cert", "tls_key"):
        return Path(str(value)) if str(value) else None
    if name in ("access_log", "metrics"):
        return _switch(name, value)
    if name in (
        "workers",
        "token_ttl",
        "scan_max_depth",
        "scan_max_mib",
        "blob_redirect_expiry",
        "database_pool_size",
        "retention_interval_seconds",
        "retention_protect_promoted_days",
        "housekeeping_interval_seconds",
        "upload_expiry_seconds",
        "gc_grace_seconds",
        "gc_interval_seconds",
        "ldap_timeout",
        "ldap_cache_seconds",
    ):
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{name} must be a whole number, not {value!r}") from exc
    if name in (*TIMEOUTS, "drain_timeout"):
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{name} must be a number of seconds, not {value!r}") from exc
    if name in ("webhook_allowed_networks", "metrics_allowed_networks", "trusted_proxies"):
        return _networks(name, value)
    if name in RETENTIONS:
        return _days(name, value)
    if name == "quota_bytes":
        return _size(name, value)
    if name == "storage_url" and str(value) == "":
        return None
    if name.startswith("ldap_"):
        return _ldap(name, value)
    if name == "database_url":
        return _database_url(str(value))
    return str(value)


def _ldap(name: str, value: Any) -> Any:
    if name == "ldap_group_map":
        try:
            return parse_group_map(value)
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
    if name == "ldap_starttls":
        return _switch(name, value) if str(value).strip() else False
    if name == "ldap_bind_password":
        return str(value) or None  # as given: spaces may be part of it
    text = str(value).strip()
    if name == "ldap_ca_file":
        return Path(text) if text else None
    if name in _LDAP_OPTIONAL:
        return text or None
    return text


def _switch(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be on or off (true or false), not {value!r}")


def _size(name: str, value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return parse_limit(str(value))
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}, or none") from exc


_DATABASE_EXAMPLE = "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE"


def _database_url(value: str) -> str | None:
    """The URL as SQLAlchemy takes it: ``postgresql://`` (and ``postgres://``) mean psycopg 3,
    the driver cargohold ships; an empty value means the default."""
    value = value.strip()
    if not value:
        return None
    scheme, sep, rest = value.partition("://")
    if sep and scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return value


def check_database_url(url: str) -> None:
    """Refuse what cannot be a database cargohold opens, naming the scheme only (the URL
    may hold a password)."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return
    scheme, sep, _ = url.partition("://")
    if not sep or scheme != "postgresql+psycopg":
        what = f"a {scheme!r} URL" if sep else "a value without a scheme"
        raise SettingsError(
            f"database_url must be {_DATABASE_EXAMPLE} (or sqlite:///PATH), not {what}"
        )
    parsed = urlsplit(url)
    try:
        parsed.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as exc:
        raise SettingsError(
            f"database_url: the port must be a number, as in {_DATABASE_EXAMPLE}"
        ) from exc
    socket = "host=" in parsed.query  # ?host=/run/postgresql: a Unix socket
    if not (parsed.hostname or socket) or parsed.path.strip("/") == "":
        raise SettingsError(
            f"database_url must name the host and the database, as in {_DATABASE_EXAMPLE}"
        )


def _days(name: str, value: Any) -> int | None:
    """A retention in days; 0, "none", "never" or "forever" keep the rows forever (None)."""
    if str(value).strip().lower() in ("", "0", "none", "never", "forever"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(
            f"{name} must be a whole number of days, or 0 to keep forever; not {value!r}"
        ) from exc


def _networks(name: str, value: Any) -> tuple[Network, ...]:
    """Networks written as CIDRs, comma-separated or (in the config file) a list."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise SettingsError(f"{name} must be a list of CIDRs, not {value!r}")
    networks = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text))
        except ValueError as exc:
            raise SettingsError(
                f"{name}: {text!r} is not a network in CIDR notation "
                f"(e.g. 10.20.0.0/16 or fd00:1::/64): {exc}"
            ) from exc
    return tuple(networks)


__all__ = [
    "LEVELS",
    "RETENTIONS",
    "TIMEOUTS",
    "SettingsError",
    "check_database_url",
    "coerce",
]
