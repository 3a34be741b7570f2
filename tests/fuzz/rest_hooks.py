"""schemathesis hooks, loaded through ``SCHEMATHESIS_HOOKS``.

- ``caller_without_the_right``: a caller who holds only ``read`` on ``dev``
  (``CARGOHOLD_FUZZ_ROLE=reader``) never gets a 2xx from an operation for administrators,
  nor from any change but to its own API tokens and a scan request of what it may read.
- Webhook URLs get an address for a host (loopback, which the fuzz server allows, or a
  documentation address, which it refuses), so the server resolves no made-up name.
- The administrator's run leaves alone what the fuzzers stand on: the repository of the
  known image, and the two accounts they call with (deleting or re-keying them is allowed,
  and would only end the run early).
"""

from __future__ import annotations

import os
import zlib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import schemathesis

ADMIN_ONLY = "Administrators only."
# What a signed-in user may change about itself, and ask of what it may read (a scan).
SELF_SERVICE = {("POST", "/tokens"), ("DELETE", "/tokens/{id}"), ("POST", "/scan")}
READS = {"GET", "HEAD", "OPTIONS"}
KEPT = {"key": {"dev"}, "name": {"admin", "fuzz-reader"}}
KEPT_PATHS = {"/repositories/{key}", "/users/{name}"}
ADDRESSES = ("127.0.0.1", "203.0.113.9", "[::1]")


@schemathesis.check
def caller_without_the_right(
    ctx: schemathesis.CheckContext,
    response: schemathesis.Response,
    case: schemathesis.Case[Any],
) -> bool | None:
    if os.environ.get("CARGOHOLD_FUZZ_ROLE") != "reader" or not 200 <= response.status_code < 300:
        return None
    operation = case.operation
    method = operation.method.upper()
    if operation.definition.raw.get("description") == ADMIN_ONLY:
        raise AssertionError(f"a read-only user got {response.status_code} from {operation.label}")
    if method not in READS and (method, operation.path) not in SELF_SERVICE:
        raise AssertionError(
            f"a user who may only read dev changed something: {response.status_code} "
            f"from {operation.label}"
        )
    body = case.body if isinstance(case.body, dict) else {}
    if (method, operation.path) == ("POST", "/tokens") and body.get("owner") not in (
        None,
        "fuzz-reader",
    ):
        raise AssertionError(f"a read-only user made a token for {body.get('owner')!r}")
    return None


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> bool:
    """False for a change to what the fuzzers stand on."""
    if case.method.upper() in READS or case.operation.path not in KEPT_PATHS:
        return True
    parameters = case.path_parameters or {}
    return not any(parameters.get(name) in kept for name, kept in KEPT.items())


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> Any:
    """A webhook URL's host made an address, so no name is looked up."""
    body = case.body
    if case.operation.path.startswith("/webhooks") and isinstance(body, dict):
        url = body.get("url")
        if isinstance(url, str):
            body["url"] = with_address(url)
    return case


def with_address(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if not parts.hostname:
        return url
    address = ADDRESSES[zlib.crc32(parts.hostname.encode()) % len(ADDRESSES)]
    netloc = address if port is None else f"{address}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))
