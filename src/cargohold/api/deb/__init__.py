"""Debian repositories: what apt reads (``dists/``, ``pool/``, the key) and the uploads."""

from cargohold.api.deb.app import build

__all__ = ["build"]
