"""What the client of upstreams reads from their headers (``WWW-Authenticate`` challenges,
``Retry-After``), how long a failing upstream is left alone, which gate an upstream URL
shares, and how long a token is kept."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from cargohold.registry.remote.gates import backoff, origin_of
from cargohold.upstream.challenges import Challenge, parse_challenges
from cargohold.upstream.credentials import Credentials
from cargohold.upstream.retry_after import MAX_RETRY_AFTER, parse_retry_after

NOW = 1_700_000_000.0


def test_docker_hub_bearer_challenge() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/alpine:pull,push"'
    )
    assert parse_challenges([header]) == [
        Challenge(
            "bearer",
            {
                "realm": "https://auth.docker.io/token",
                "service": "registry.docker.io",
                "scope": "repository:library/alpine:pull,push",  # the comma is quoted
            },
        )
    ]


def test_several_challenges_in_one_header_and_in_several() -> None:
    found = parse_challenges(
        ['Basic realm="a, b", BEARER Realm=https://t/token, error="invalid_token"', "Basic"]
    )
    assert found == [
        Challenge("basic", {"realm": "a, b"}),
        Challenge("bearer", {"realm": "https://t/token", "error": "invalid_token"}),
        Challenge("basic", {}),
    ]


def test_quoted_escapes_and_what_cannot_be_read() -> None:
    assert parse_challenges([r'Bearer realm="say \"hi\""']) == [
        Challenge("bearer", {"realm": 'say "hi"'})
    ]
    assert parse_challenges(["Negotiate abc==", "", "   "]) == [Challenge("negotiate", {})]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("999999", MAX_RETRY_AFTER),
        (formatdate(NOW + 30, usegmt=True), 30.0),
        (formatdate(NOW - 30, usegmt=True), 0.0),  # a date gone by: no wait
        ("Sun Nov  6 08:49:37 1994", 0.0),  # asctime's form, in GMT
        (None, None),
        ("", None),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_backoff_doubles_by_failures_in_a_row_up_to_a_minute() -> None:
    assert [backoff(n) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://registry-1.docker.io", "https://registry-1.docker.io:443"),
        ("https://Registry-1.Docker.IO/", "https://registry-1.docker.io:443"),
        ("HTTP://mirror.example:5000/prefix/v2/", "http://mirror.example:5000"),
        ("http://mirror.example", "http://mirror.example:80"),
        ("https://[::1]:8443/x", "https://[::1]:8443"),
    ],
)
def test_repositories_on_one_server_share_its_gate(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_a_token_is_kept_until_shortly_before_it_expires() -> None:
    now = [100.0]
    tokens = Credentials(lambda: now[0])
    account = ("https://up", "puller", "secret")
    tokens.keep(account, "repository:a:pull", "t1", 300)
    assert tokens.token(account, "repository:a:pull") == "t1"
    assert tokens.token(account, "repository:b:pull") is None  # another image's scope
    assert tokens.token(("https://up", "other", "secret"), "repository:a:pull") is None
    # The same user with another password (another repository's token) gets none of these.
    assert tokens.token(("https://up", "puller", "another"), "repository:a:pull") is None
    now[0] += 289
    assert tokens.token(account, "repository:a:pull") == "t1"
    now[0] += 2  # within the margin before its expiry
    assert tokens.token(account, "repository:a:pull") is None
    tokens.keep(account, "s", "short", 10)  # a short life keeps half of it
    now[0] += 4.9
    assert tokens.token(account, "s") == "short"
    now[0] += 0.2
    assert tokens.token(account, "s") is None


def test_a_refused_token_is_dropped_unless_replaced() -> None:
    tokens = Credentials(lambda: 0.0)
    account = ("https://up", None, "")
    tokens.keep(account, None, "old", 60)
    tokens.drop(account, None, "other")
    assert tokens.token(account, None) == "old"
    tokens.drop(account, None, "old")
    assert tokens.token(account, None) is None
