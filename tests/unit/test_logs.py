"""Log lines: a timestamp on each, text or JSON with stable keys, the access record's fields,
nothing a client sent can forge a line, secrets in a query string redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest

from cargohold import logs
from cargohold.server import access
from cargohold.settings import Settings, SettingsError, load_settings


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """A stream to log to; every logger configure() touches is put back afterwards."""
    names = ["", logs.ACCESS_LOGGER, *logs.QUIET]
    levels = {name: logging.getLogger(name).level for name in names}
    root = logging.getLogger()
    handlers = root.handlers[:]
    yield io.StringIO()
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def access_line(query: bytes = b"") -> None:
    scope = {
        "method": "GET",
        "raw_path": b"/v2/dev/app/manifests/1",
        "query_string": query,
        "client": ("10.0.0.7", 40000),
        access.SLOT: {"principal": "alice"},
    }
    access.write(scope, 200, 1234, 0.0, "req-1")


def test_text_lines_carry_a_timestamp_and_stay_one_line(captured: io.StringIO) -> None:
    logs.configure(Settings(), stream=captured)
    logging.getLogger("cargohold.test").warning("two\nlines")
    access_line()
    first, second = captured.getvalue().splitlines()
    stamp, level, pid, rest = first.split(" ", 3)
    assert stamp.endswith("Z") and stamp[10] == "T" and len(stamp) == 24
    assert (level, rest) == ("WARNING", "cargohold.test: two\\nlines")
    assert pid.startswith("[")
    assert second.endswith(
        'cargohold.access: 10.0.0.7 alice "GET /v2/dev/app/manifests/1" 200 1234 '
        + second.split(" ")[-2]
        + " req-1"
    )


def test_json_lines_have_stable_keys(captured: io.StringIO) -> None:
    logs.configure(replace(Settings(), log_format="json"), stream=captured)
    access_line(b"n=10&password=hunter2&client_secret=s3cret&Api%4Bey=k")
    line = json.loads(captured.getvalue())
    assert set(line) == {
        "time", "level", "pid", "logger", "message", "client", "principal", "method", "path",
        "status", "bytes", "duration_ms", "request_id",
    }  # fmt: skip
    assert line["path"] == (
        "/v2/dev/app/manifests/1?n=10&password=[REDACTED]&client_secret=[REDACTED]"
        "&Api%4Bey=[REDACTED]"
    )
    assert (line["client"], line["principal"], line["status"]) == ("10.0.0.7", "alice", 200)
    assert (line["bytes"], line["request_id"]) == (1234, "req-1")
    assert "hunter2" not in captured.getvalue()


def test_the_access_log_can_be_turned_off_and_third_parties_are_quiet(
    captured: io.StringIO,
) -> None:
    logs.configure(replace(Settings(), access_log=False), stream=captured)
    access_line()
    logging.getLogger("httpx").info("HTTP Request: GET https://hooks.example/?token=x")
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    assert captured.getvalue() == ""
    logs.configure(replace(Settings(), log_level="debug"), stream=captured)
    logging.getLogger("botocore.endpoint").debug("Sending http request: Authorization=...")
    assert captured.getvalue() == ""


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        (b"", ""),
        (b"n=100&last=a", "?n=100&last=a"),
        (
            b"token=abc&scope=repository:dev/app:pull",
            "?token=[REDACTED]&scope=repository:dev/app:pull",
        ),
        (b"PASSWORD=x&secret", "?PASSWORD=[REDACTED]&secret"),
        (b"pass%77ord=x", "?pass%77ord=[REDACTED]"),
        (b"a=\r\n\x00", "?a=\\x0d\\x0a\\x00"),
    ],
)
def test_request_targets_are_logged_without_secrets(query: bytes, logged: str) -> None:
    assert access.target(b"/v2/", query) == "/v2/" + logged


def test_log_settings_are_checked() -> None:
    env = {"CARGOHOLD_LOG_FORMAT": "json", "CARGOHOLD_ACCESS_LOG": "off"}
    settings = load_settings(environ=env)
    assert (settings.log_format, settings.access_log) == ("json", False)
    for wrong in (
        {"CARGOHOLD_LOG_FORMAT": "xml"},
        {"CARGOHOLD_LOG_LEVEL": "loud"},
        {"CARGOHOLD_ACCESS_LOG": "maybe"},
        {"CARGOHOLD_TLS_CERT": "/etc/cert.pem"},
        {"CARGOHOLD_DRAIN_TIMEOUT": "-1"},
    ):
        with pytest.raises(SettingsError):
            load_settings(environ=wrong)
