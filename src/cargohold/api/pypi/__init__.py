"""PyPI repositories: the simple API (PEP 503/691/658/700) and the legacy upload API."""

from cargohold.api.pypi.app import build

__all__ = ["build"]
