"""A typed HTTP client for cargohold's REST API."""

from cargohold.client.errors import ClientError, ServerUnreachable, UnexpectedResponse
from cargohold.client.models import (
    AuditEvent,
    CallerToken,
    Group,
    Me,
    NewToken,
    Permission,
    Repository,
    Scope,
    Token,
    User,
)
from cargohold.client.rest import CargoholdClient

__all__ = [
    "AuditEvent",
    "CallerToken",
    "CargoholdClient",
    "ClientError",
    "Group",
    "Me",
    "NewToken",
    "Permission",
    "Repository",
    "Scope",
    "ServerUnreachable",
    "Token",
    "UnexpectedResponse",
    "User",
]
