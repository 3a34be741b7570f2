"""The tables, one module per capability, all on one ``MetaData``. Migrations in
``meta/migrations`` must produce exactly this schema. A new format declares its tables in a
module of its own here and adds a migration."""

from cargohold.meta.schema.content import blobs, jobs, properties, repositories
from cargohold.meta.schema.deb import deb_entries
from cargohold.meta.schema.events import events, webhook_deliveries, webhooks
from cargohold.meta.schema.generic import generic_files
from cargohold.meta.schema.identity import (
    api_tokens,
    audit_events,
    group_members,
    groups,
    login_failures,
    permissions,
    token_keys,
    users,
)
from cargohold.meta.schema.insight import (
    advisories,
    advisory_aliases,
    advisory_packages,
    findings,
    layer_indexes,
    scan_components,
    scan_lookups,
    scans,
)
from cargohold.meta.schema.lifecycle import build_artifacts, build_statuses, builds, promotions
from cargohold.meta.schema.metadata import metadata
from cargohold.meta.schema.oci import blob_links, manifest_refs, manifests, tags, uploads
from cargohold.meta.schema.packages import package_files, package_tags, package_versions
from cargohold.meta.schema.policy import policies, policy_exceptions, watches
from cargohold.meta.schema.remote import remote_checks, remote_fetches, upstream_gates
from cargohold.meta.schema.retention import retention_policies
from cargohold.meta.schema.signing import signing_keys

__all__ = [
    "advisories",
    "advisory_aliases",
    "advisory_packages",
    "api_tokens",
    "audit_events",
    "blob_links",
    "blobs",
    "build_artifacts",
    "build_statuses",
    "builds",
    "deb_entries",
    "events",
    "findings",
    "generic_files",
    "group_members",
    "groups",
    "jobs",
    "layer_indexes",
    "login_failures",
    "manifest_refs",
    "manifests",
    "metadata",
    "package_files",
    "package_tags",
    "package_versions",
    "permissions",
    "policies",
    "policy_exceptions",
    "promotions",
    "properties",
    "remote_checks",
    "remote_fetches",
    "repositories",
    "retention_policies",
    "scan_components",
    "scan_lookups",
    "scans",
    "signing_keys",
    "tags",
    "token_keys",
    "uploads",
    "upstream_gates",
    "users",
    "watches",
    "webhook_deliveries",
    "webhooks",
]
