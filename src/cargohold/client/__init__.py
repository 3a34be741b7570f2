"""A typed HTTP client for cargohold's REST API."""

from cargohold.client.rest import CargoholdClient, ClientError, Repository

__all__ = ["CargoholdClient", "ClientError", "Repository"]
