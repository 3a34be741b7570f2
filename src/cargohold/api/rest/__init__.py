"""The cargohold REST API (``/api/v1``); errors as RFC 9457 problem JSON."""

from cargohold.api.rest.app import build

__all__ = ["build"]
