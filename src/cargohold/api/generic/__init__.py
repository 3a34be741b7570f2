"""Generic repositories (``/generic/<repository>/<path>``), shaped like Artifactory's."""

from cargohold.api.generic.app import build

__all__ = ["build"]
