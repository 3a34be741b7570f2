"""The challenges of a 401: ``WWW-Authenticate: Bearer realm="…",service="…",scope="…"`` or
``Basic realm="…"`` (RFC 9110 §11.6.1), several per header or several headers.

The list is split by the standard library's ``urllib.request.parse_http_list`` (commas
inside quoted strings kept); what is left is small: telling a new challenge (``Scheme
k=v``) from another parameter of the one before (``k=v``), and unquoting values. No
maintained library does just that: the parsers that exist come with a web framework
(werkzeug) or a whole HTTP stack, or are unmaintained."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.request import parse_http_list


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # lower case: bearer, basic
    params: Mapping[str, str] = field(default_factory=dict)  # names in lower case


def parse_challenges(headers: Iterable[str]) -> list[Challenge]:
    """Every challenge in the ``WWW-Authenticate`` header values, in order; what cannot be
    read (a token68, a parameter without a value) is left out."""
    found: list[tuple[str, dict[str, str]]] = []
    for header in headers:
        for item in parse_http_list(header):
            first, _, rest = item.strip().partition(" ")
            param = item
            if first and "=" not in first:  # "Scheme" or "Scheme k=v": a new challenge
                found.append((first.lower(), {}))
                param = rest
            if found and "=" in param:
                name, _, value = param.partition("=")
                if name.strip() and " " not in name.strip() and not value.startswith("="):
                    found[-1][1][name.strip().lower()] = _unquote(value.strip())
    return [Challenge(scheme, params) for scheme, params in found]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out, escaped = [], False
        for char in inner:
            if escaped or char != "\\":
                out.append(char)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value


__all__ = ["Challenge", "parse_challenges"]
