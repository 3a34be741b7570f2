"""The package formats cargohold serves, in one list: the seam a new format plugs into.

A format is a repository format (the ``format`` of ``cargohold repo create``) served by a
protocol of its own under a path prefix. What a format brings, one package per layer, each
guarded by the import contracts (``pyproject.toml``), so that a format never reaches into
another and never skips a layer:

- ``records/<format>.py``: the values its use cases and protocol pass around;
- ``meta/schema/<format>.py`` and a migration in ``meta/migrations/versions/``: its tables;
  ``meta/<format>/``: its queries, each write taking the ``Effects`` to commit with it;
- ``registry/<format>/``: its use cases, built on ``registry.consequences.Consequences``
  (access checks, audit record, events, scan requests committed with each write);
- ``api/<format>/``: its protocol as an ASGI sub-app that renders its own errors;
- catalogers in ``analysis/catalogers`` for what its packages hold, if none reads them yet;
- a remote-fetch adapter when remote repositories of the format are supported.

Then one ``Format`` below ties it in: the composition root mounts its protocol and the
registry accepts repositories of it. Per-layer packages rather than one vertical package per
format: the layer contracts then hold for every format with no contract of its own, and a
format's protocol cannot touch its tables except through its use cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp

from cargohold.api import generic, oci
from cargohold.registry.registry import Registry


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # the repository format
    prefix: str  # the path its protocol is served under, without the trailing slash
    serve: Callable[[Registry, str | None], ASGIApp]  # its protocol, given the public URL
    protocol: str  # its protocol's name in the metrics' labels


FORMATS = (
    Format("docker", "/v2", oci.build, "oci"),
    Format("generic", "/generic", lambda registry, public_url: generic.build(registry), "generic"),
)
NAMES = tuple(f.name for f in FORMATS)

__all__ = ["FORMATS", "NAMES", "Format"]
