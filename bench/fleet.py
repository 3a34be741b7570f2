"""How the fleet logs in to pull: the modes of the fan-out benchmark and their server setup.

``anonymous``: the repository is open to anonymous reads and the machines have no
credentials. ``password``: anonymous reads are closed; every machine logs in as the fleet's
one pull account, a non-admin user with ``read`` on the repository, with its password.
``token``: the same account with one of its API tokens as the password (``docker login`` with
a token). The reference registry runs without auth: it is pulled once, by machines that keep
the fleet's credentials but are never asked for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bench.servers import Target

ANONYMOUS = "anonymous"
PASSWORD = "password"
TOKEN = "token"
MODES = (ANONYMOUS, PASSWORD, TOKEN)
NO_AUTH = "no auth"  # the mode of a server that never asks for credentials
FLEET_USER = "fleet"
FLEET_PASSWORD = "fleet-pull-password"
TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class PullAuth:
    """What the machines of one fan-out run log in with."""

    mode: str
    credentials: tuple[str, str] | None  # None: anonymous


def _check(response: httpx.Response, doing: str, ok: tuple[int, ...] = (200, 201)) -> None:
    if response.status_code not in ok:
        raise RuntimeError(f"{doing}: {response.status_code} {response.text[:300]}")


def anonymous_pulls(target: Target, repository: str, allowed: bool) -> None:
    """Open a repository to anonymous reads (or close it again), as an admin does for a fleet
    that pulls without logging in (cargohold's repositories start private)."""
    if target.auth is None:
        return
    response = httpx.patch(
        f"{target.base_url}/api/v1/repositories/{repository}",
        json={"anonymousRead": allowed},
        auth=target.auth,
        timeout=TIMEOUT,
    )
    _check(response, f"setting anonymous reads of {repository} to {allowed}")


def _ensure_fleet_account(target: Target, repository: str) -> None:
    """The fleet user with ``read`` on the repository, made through the REST API as admin."""
    with httpx.Client(base_url=target.base_url, auth=target.auth, timeout=TIMEOUT) as admin:
        if admin.get(f"/api/v1/users/{FLEET_USER}").status_code == 200:
            return
        user = {"name": FLEET_USER, "password": FLEET_PASSWORD}
        _check(admin.post("/api/v1/users", json=user), "creating the fleet user")
        grant = {
            "principal": f"user:{FLEET_USER}",
            "repositories": [repository],
            "actions": ["read"],
        }
        _check(admin.post("/api/v1/permissions", json=grant), "granting the fleet user read")


def _new_api_token(target: Target) -> str:
    response = httpx.post(
        f"{target.base_url}/api/v1/tokens",
        json={"description": "fleet pulls"},
        auth=(FLEET_USER, FLEET_PASSWORD),
        timeout=TIMEOUT,
    )
    _check(response, "creating the fleet user's API token")
    secret = response.json().get("token")
    if not isinstance(secret, str) or not secret:
        raise RuntimeError("the new API token's answer holds no secret")
    return secret


def prepare(target: Target, repository: str, mode: str) -> PullAuth:
    """Set a server up for one mode and say what the machines log in with.

    A server without auth (the reference registry) gets nothing set up; its machines keep
    the fleet's password, which it never asks for, unless the mode is anonymous."""
    if target.auth is None:
        return PullAuth(NO_AUTH, None if mode == ANONYMOUS else (FLEET_USER, FLEET_PASSWORD))
    if mode == ANONYMOUS:
        anonymous_pulls(target, repository, True)
        return PullAuth(mode, None)
    anonymous_pulls(target, repository, False)
    _ensure_fleet_account(target, repository)
    if mode == PASSWORD:
        return PullAuth(mode, (FLEET_USER, FLEET_PASSWORD))
    if mode == TOKEN:
        return PullAuth(mode, (FLEET_USER, _new_api_token(target)))
    raise ValueError(f"unknown pull-auth mode {mode!r}")


__all__ = [
    "ANONYMOUS",
    "MODES",
    "NO_AUTH",
    "PASSWORD",
    "TOKEN",
    "PullAuth",
    "anonymous_pulls",
    "prepare",
]
