"""Where log lines go and what they look like, for the server's parent and every worker.

Every line carries a UTC timestamp, the level, the process id and the logger's name, as text
(``log_format = "text"``) or as one JSON object per line with stable keys (``"json"``).
Access-log records (logger ``cargohold.access``, written by the HTTP server) carry their
fields in the record's ``access`` attribute: a JSON line holds them as keys of their own.
Third-party libraries' request chatter (httpx, botocore, urllib3, alembic...) is kept to
warnings unless the level is debug; even then the AWS client stack logs no debug lines,
which hold the request headers it signs.

:func:`configure` may run again (a SIGHUP re-reads the settings): it replaces the handler it
installed before, and leaves other handlers alone.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

import orjson

from cargohold.settings import Settings

ACCESS_LOGGER = "cargohold.access"
QUIET = (
    "alembic",
    "asyncio",
    "boto3",
    "botocore",
    "httpcore",
    "httpx",
    "multipart",
    "psycopg",
    "s3transfer",
    "urllib3",
)
NEVER_DEBUG = ("boto3", "botocore", "s3transfer", "urllib3")
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


_second: list[tuple[int, str]] = [(-1, "")]  # the last second formatted


def timestamp(created: float) -> str:
    """``2025-01-31T12:00:00.123Z``: UTC, to the millisecond."""
    whole = int(created)
    second, text = _second[0]
    if second != whole:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second[0] = (whole, text)
    return f"{text}.{int(created % 1 * 1000):03d}Z"


class TextFormatter(logging.Formatter):
    """``TIME LEVEL [PID] LOGGER: MESSAGE``, one line: a multi-line message or a traceback
    has its line breaks escaped, so that nothing a client sent can forge a line."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            message += " | " + self.formatException(record.exc_info)
        if record.stack_info:
            message += " | " + record.stack_info
        message = message.replace("\r", "\\r").replace("\n", "\\n")
        return (
            f"{timestamp(record.created)} {record.levelname} [{record.process}] "
            f"{record.name}: {message}"
        )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``pid``, ``logger``, ``message``, the
    fields of an access record, ``exception`` when there is one, and any ``extra`` value."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": timestamp(record.created),
            "level": record.levelname,
            "pid": record.process,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key == "access" and isinstance(value, dict):
                line.update(value)
            elif key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = record.stack_info
        return orjson.dumps(line, default=str).decode()


class _Handler(logging.StreamHandler[TextIO]):
    """The handler :func:`configure` installs, told apart from any other on the root."""


def configure(settings: Settings, stream: TextIO | None = None) -> None:
    """Log at ``settings.log_level`` in ``settings.log_format`` to ``stream`` (stderr), the
    access log on or off as ``settings.access_log`` says (whatever the level)."""
    root = logging.getLogger()
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    level = logging.getLevelName(settings.log_level.upper())
    root.setLevel(level)
    for name in QUIET:
        quiet = max(logging.WARNING, level) if level > logging.DEBUG else logging.NOTSET
        if name in NEVER_DEBUG:
            quiet = max(quiet, logging.INFO)
        logging.getLogger(name).setLevel(quiet)
    access = logging.getLogger(ACCESS_LOGGER)
    access.setLevel(logging.INFO if settings.access_log else logging.CRITICAL + 1)


__all__ = ["ACCESS_LOGGER", "JsonFormatter", "TextFormatter", "configure", "timestamp"]
