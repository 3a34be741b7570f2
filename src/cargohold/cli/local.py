"""What the local administration commands share (``backup``, ``restore``, ``verify``,
``migrate``): they open the instance's stores themselves, as ``serve`` does, from the same
settings (``--data-dir``, ``--config``, the CARGOHOLD_* environment), so they run on the
machine that holds the data directory or can reach the configured database and object
store, with the rights of the account that runs the server."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cargohold.cli.output import size_text
from cargohold.settings import Settings, SettingsError, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(command: F) -> F:
    """``--data-dir`` and ``--config``, as ``serve`` takes them."""
    command = click.option(
        "--config", type=click.Path(path_type=Path, exists=True), help="TOML config file"
    )(command)
    return click.option(
        "--data-dir",
        type=click.Path(path_type=Path),
        help="the instance's data directory [env: CARGOHOLD_DATA_DIR; default: ./cargohold-data]",
    )(command)


def local_settings(config: Path | None, data_dir: Path | None) -> Settings:
    try:
        return load_settings(config, overrides={"data_dir": data_dir})
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc


class ProgressLine:
    """``verb: N blobs (SIZE)`` on standard error, at most once a second."""

    def __init__(self, verb: str) -> None:
        self._verb = verb
        self._last = time.monotonic()

    def __call__(self, blobs: int, size: int) -> None:
        now = time.monotonic()
        if now - self._last >= 1:
            self._last = now
            click.echo(f"{self._verb}: {blobs} blobs ({size_text(size)})", err=True)


__all__ = ["ProgressLine", "local_settings", "settings_options"]
