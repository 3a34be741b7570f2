"""What can go wrong talking to a cargohold server, as one exception tree."""

from __future__ import annotations


class ClientError(Exception):
    """The server answered with a problem document, or could not be reached (status 0)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(f"{message} (HTTP {status})" if status else message)
        self.status = status
        self.message = message
        self.code = code


class ServerUnreachable(ClientError):
    """No HTTP answer at all: refused, timed out, name not resolved."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message)


class UnexpectedResponse(ClientError):
    """The server answered 2xx with a body that does not match the API contract."""


__all__ = ["ClientError", "ServerUnreachable", "UnexpectedResponse"]
