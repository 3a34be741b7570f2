"""What the benchmark clients do of docker's registry authentication: read a 401's
``WWW-Authenticate`` challenge, build the token request its realm names, take the token out of
the answer, and write HTTP Basic credentials."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import urlencode, urlsplit

_SCHEME = re.compile(r"(?:^|,)\s*(Bearer|Basic)(?:\s+|$)", re.IGNORECASE)
_PARAM = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^\s,"]+))')


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """The scheme (lower case: ``bearer`` if offered, else ``basic``, else ``""``) of a
    ``WWW-Authenticate`` value and the parameters that follow it (the first of each name)."""
    found = {match.group(1).lower(): match for match in _SCHEME.finditer(header)}
    chosen = found.get("bearer") or found.get("basic")
    if chosen is None:
        return "", {}
    params: dict[str, str] = {}
    for match in _PARAM.finditer(header, chosen.end()):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params.setdefault(match.group(1).lower(), value)
    return chosen.group(1).lower(), params


def basic_authorization(credentials: tuple[str, str]) -> str:
    """The value of an ``Authorization`` header with ``credentials`` as HTTP Basic."""
    return "Basic " + base64.b64encode(":".join(credentials).encode()).decode("ascii")


def token_target(params: dict[str, str], scope: str) -> str:
    """The path and query of the token request a Bearer challenge's ``realm`` asks for (sent
    to the registry's own address): its ``service`` and the ``scope`` wanted."""
    realm = urlsplit(params["realm"])
    query = [("service", params["service"])] if params.get("service") else []
    query.append(("scope", scope))
    return (realm.path or "/") + "?" + "&".join(filter(None, [realm.query, urlencode(query)]))


def token_of(body: bytes) -> str:
    """The ``token`` (or ``access_token``) of a token service's answer; ValueError if none."""
    answer = json.loads(body)
    token = answer.get("token") or answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise ValueError("the answer holds no token")
    return token


__all__ = ["basic_authorization", "parse_challenge", "token_of", "token_target"]
