"""The stored login: ``$XDG_CONFIG_HOME/cargohold/config.json`` (``~/.config/...`` by
default), readable by its owner only, holding the server URL and an API token for it."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import click


class LoginFileInvalid(click.ClickException):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"{path} is not a cargohold login ({reason}); "
            "run `cargohold logout` or remove the file, then `cargohold login URL`"
        )


@dataclass(frozen=True, slots=True)
class StoredLogin:
    url: str
    username: str
    token: str
    token_id: str


def login_path(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the login lives; a relative ``XDG_CONFIG_HOME`` is ignored, as the spec says."""
    base = environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "cargohold" / "config.json"


def load_login(path: Path) -> StoredLogin | None:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from exc
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LoginFileInvalid(path, "not JSON") from exc
    fields = ("url", "username", "token", "token_id")
    if not isinstance(doc, dict) or not all(isinstance(doc.get(f), str) for f in fields):
        raise LoginFileInvalid(path, f"expected the strings {', '.join(fields)}")
    return StoredLogin(*(doc[f] for f in fields))


def save_login(login: StoredLogin, path: Path) -> None:
    """Write the login atomically; the file is created 0600 (its directory 0700), so the
    token is never readable by anyone else, not even for a moment."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(asdict(login), file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def forget_login(path: Path) -> None:
    path.unlink(missing_ok=True)


__all__ = [
    "LoginFileInvalid",
    "StoredLogin",
    "forget_login",
    "load_login",
    "login_path",
    "save_login",
]
