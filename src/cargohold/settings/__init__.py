"""Settings: defaults, then a TOML file, then CARGOHOLD_* environment variables, then flags.

``model`` holds the settings and their checks, ``values`` reads each from text."""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from cargohold.settings.model import PRIVATE_NETWORKS, Settings
from cargohold.settings.values import SettingsError, coerce


def load_settings(
    config_file: Path | None = None,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    environ = dict(os.environ) if environ is None else environ
    values: dict[str, Any] = {}
    known = [f.name for f in fields(Settings)]  # each also CARGOHOLD_<NAME> in the environment
    path = config_file or (
        Path(environ["CARGOHOLD_CONFIG"]) if "CARGOHOLD_CONFIG" in environ else None
    )
    if path is not None:
        try:
            document = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read config file {path}: {exc}") from exc
        for key, value in document.items():
            name = key.replace("-", "_")
            if name not in known:
                raise SettingsError(f"unknown setting {key!r} in {path}")
            values[name] = coerce(name, value)
    for name in known:
        variable = f"CARGOHOLD_{name.upper()}"
        if variable in environ:
            values[name] = coerce(name, environ[variable])
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = coerce(name, value)
    return replace(Settings(), **values).validated()


__all__ = ["PRIVATE_NETWORKS", "Settings", "SettingsError", "load_settings"]
