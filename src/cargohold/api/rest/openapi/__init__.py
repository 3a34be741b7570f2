"""The OpenAPI 3.1 document of ``/api/v1`` (served at ``/api/v1/openapi.json``): the operation
table, one module per capability, with every schema generated from the wire types."""

from __future__ import annotations

import functools
import importlib.metadata

from cargohold.api.rest.openapi.components import components
from cargohold.api.rest.openapi.events import event_paths, webhooks
from cargohold.api.rest.openapi.identity import identity_paths
from cargohold.api.rest.openapi.images import image_paths
from cargohold.api.rest.openapi.insight import insight_paths, vulndb_paths
from cargohold.api.rest.openapi.lifecycle import lifecycle_paths
from cargohold.api.rest.openapi.operations import AUTHENTICATED, Json
from cargohold.api.rest.openapi.packages import package_paths
from cargohold.api.rest.openapi.policy import policy_paths
from cargohold.api.rest.openapi.retention import retention_paths
from cargohold.api.rest.openapi.storage import storage_paths

DESCRIPTION = """\
Identity, access and repository administration for cargohold.

Authenticate with `Authorization: Basic` (user name and password, or user name and API token) \
or `Authorization: Bearer <API token>`; API tokens look like `chk_<16 hex id>_<secret>`. \
Errors are RFC 9457 `application/problem+json`. Lists take `limit` and `after` and answer \
`{"items": [...], "next": cursor | null}`, plus a `Link: <...>; rel="next"` header when there \
is a next page. Timestamps are RFC 3339 UTC strings.

The registry API (`/v2`) has its own token service at `/v2/token`: `GET` with Basic \
credentials (or none, for anonymous pulls) and `service`/`scope` query parameters, or `POST` \
with an OAuth2 form (`grant_type=password` or `grant_type=refresh_token`; \
`access_type=offline` also returns a refresh token, as `docker login` asks). Bearer tokens \
from it live `token_ttl` seconds (default 300), but every request is also checked against \
the current permissions, so a removed permission takes effect at the next request.\
"""


@functools.cache
def document() -> Json:
    """The whole document; built once and shared, so callers must not change it."""
    paths = (
        identity_paths()
        | lifecycle_paths()
        | package_paths()
        | image_paths()
        | event_paths()
        | vulndb_paths()
        | insight_paths()
        | policy_paths()
        | retention_paths()
        | storage_paths()
    )
    hooks = webhooks()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cargohold",
            "version": importlib.metadata.version("cargohold"),
            "description": DESCRIPTION,
        },
        "servers": [{"url": "/api/v1"}],
        "security": [*AUTHENTICATED, {}],
        "paths": paths,
        "webhooks": hooks,
        "components": components(paths, hooks),
    }


__all__ = ["document"]
