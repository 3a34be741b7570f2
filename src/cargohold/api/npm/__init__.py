"""npm repositories (``/npm/<repository>/``): the npm registry API as the npm CLI uses it."""

from cargohold.api.npm.app import build

__all__ = ["build"]
