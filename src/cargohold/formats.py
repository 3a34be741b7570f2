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
- for remote and virtual repositories of the format, an adapter in ``registry/<format>/``
  that maps its names to the upstream's URLs and stores what comes back, driving the
  format-agnostic core in ``registry/remote/`` (one fetch per object whatever the crowd,
  freshness, stale serving, offline, upstream authentication and backoff, member
  resolution): ``registry/oci/remote.py`` and ``registry/oci/pulls.py`` are Docker's.

Then one ``Format`` below ties it in: the composition root mounts its protocol and the
registry accepts repositories of it (remote and virtual ones when ``remote`` says so).
Per-layer packages rather than one vertical package per format: the layer contracts then
hold for every format with no contract of its own, and a format's protocol cannot touch its
tables except through its use cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp

from cargohold.api import deb, generic, maven, npm, oci, pypi
from cargohold.registry.registry import Registry


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # the repository format
    prefix: str  # the path its protocol is served under, without the trailing slash
    serve: Callable[[Registry, str | None], ASGIApp]  # its protocol, given the public URL
    protocol: str  # its protocol's name in the metrics' labels
    remote: bool = False  # whether it has remote and virtual repositories


FORMATS = (
    Format("docker", "/v2", oci.build, "oci", remote=True),
    Format("generic", "/generic", lambda registry, public_url: generic.build(registry), "generic"),
    Format("pypi", "/pypi", pypi.build, "pypi", remote=True),
    Format("npm", "/npm", npm.build, "npm", remote=True),
    Format("deb", "/deb", deb.build, "deb"),
    Format("maven", "/maven", maven.build, "maven"),
)
NAMES = tuple(f.name for f in FORMATS)
REMOTE_NAMES = tuple(f.name for f in FORMATS if f.remote)

__all__ = ["FORMATS", "NAMES", "REMOTE_NAMES", "Format"]
