"""The tables. Migrations in ``meta/migrations`` must produce exactly this schema."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

repositories = sa.Table(
    "repositories",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("anonymous_read", sa.Boolean, nullable=False, default=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("immutable_tags", sa.Boolean, nullable=False, default=False),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

blob_links = sa.Table(
    "blob_links",
    metadata,
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

manifests = sa.Table(
    "manifests",
    metadata,
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("media_type", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("artifact_type", sa.String(255), nullable=True),
    sa.Column("subject", sa.String(160), nullable=True),
    sa.Column("annotations", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_manifests_subject", "repository", "name", "subject"),
    sa.Index("ix_manifests_digest", "digest"),
    sa.Index("ix_manifests_created_at", "created_at"),
)

manifest_refs = sa.Table(
    "manifest_refs",
    metadata,
    sa.Column("repository", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("child", sa.String(160), primary_key=True),
    sa.ForeignKeyConstraint(
        ["repository", "name", "digest"],
        ["manifests.repository", "manifests.name", "manifests.digest"],
        ondelete="CASCADE",
    ),
    sa.Index("ix_manifest_refs_child", "child"),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("repository", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("tag", sa.String(128), primary_key=True),
    sa.Column("digest", sa.String(160), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.ForeignKeyConstraint(
        ["repository", "name", "digest"],
        ["manifests.repository", "manifests.name", "manifests.digest"],
        ondelete="CASCADE",
    ),
    sa.Index("ix_tags_digest", "repository", "name", "digest"),
    # search by tag reads the keys from this index, already in key order
    sa.Index("ix_tags_tag", "tag", "repository", "name", "digest"),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("service", sa.Boolean, nullable=False, default=False),
    sa.Column("email", sa.String(255), nullable=True),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column(
        "group", sa.String(128), sa.ForeignKey("groups.name", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user", sa.String(128), sa.ForeignKey("users.name", ondelete="CASCADE"), primary_key=True
    ),
    sa.Index("ix_group_members_user", "user"),
)

permissions = sa.Table(
    "permissions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("principal", sa.String(140), nullable=False),
    sa.Column("repositories", sa.Text, nullable=False),
    sa.Column("actions", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_permissions_principal", "principal"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "owner", sa.String(128), sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("scopes", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=True),
    sa.Index("ix_api_tokens_owner", "owner"),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("principal", sa.String(128), nullable=False),
    sa.Column("token_id", sa.String(32), nullable=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("repository", sa.String(64), nullable=True),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("result", sa.String(32), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Index("ix_audit_events_time", "time"),
    sa.Index("ix_audit_events_principal", "principal", "id"),
    sa.Index("ix_audit_events_action", "action", "id"),
    sa.Index("ix_audit_events_repository", "repository", "id"),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False),
    sa.Column("locked_until", sa.Float, nullable=False),
)

# Artifact lifecycle: properties, promotions, generic files, builds, jobs, events, webhooks.

properties = sa.Table(
    "properties",
    metadata,
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    # what the property is on: "image:<name>@<digest>", "tag:<name>:<tag>", "file:<path>"
    sa.Column("subject", sa.String(1200), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(1024), primary_key=True),
    sa.Column("updated_at", sa.Float, nullable=False),
    # search by property reads the subjects (which name the artifacts) from this index alone
    sa.Index("ix_properties_key_value", "key", "value", "subject", "repository"),
)

promotions = sa.Table(
    "promotions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("principal", sa.String(128), nullable=False),
    sa.Column("token_id", sa.String(32), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),  # docker, generic, build
    sa.Column("source_repository", sa.String(64), nullable=False),
    sa.Column("target_repository", sa.String(64), nullable=False),
    sa.Column("source", sa.String(1024), nullable=False),  # image name, path or build
    sa.Column("target", sa.String(1024), nullable=False),
    sa.Column("digest", sa.String(160), nullable=True),
    sa.Column("tags", sa.Text, nullable=False),  # JSON list
    sa.Column("copy", sa.Boolean, nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("properties", sa.Text, nullable=False),  # JSON object
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("result", sa.String(32), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("ix_promotions_digest", "digest"),
    sa.Index("ix_promotions_source", "source_repository", "source"),
    sa.Index("ix_promotions_target", "target_repository", "target"),
    sa.Index("ix_promotions_time", "time"),
)

generic_files = sa.Table(
    "generic_files",
    metadata,
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("digest", sa.String(160), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha1", sa.String(40), nullable=False),
    sa.Column("md5", sa.String(32), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Index("ix_generic_files_digest", "digest"),
)

builds = sa.Table(
    "builds",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("started", sa.Float, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("document", sa.Text, nullable=False),  # JSON: modules, properties, ...
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)

build_statuses = sa.Table(
    "build_statuses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("status", sa.String(64), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("repository", sa.String(64), nullable=False),
    sa.Column("principal", sa.String(128), nullable=False),
    sa.ForeignKeyConstraint(
        ["name", "number"], ["builds.name", "builds.number"], ondelete="CASCADE"
    ),
    sa.Index("ix_build_statuses_build", "name", "number", "id"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # JSON
    sa.Column("key", sa.String(255), nullable=True, unique=True),  # at most one live job per key
    sa.Column("state", sa.String(16), nullable=False),  # queued, running, done, failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("run_after", sa.Float, nullable=False),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=True),
    sa.Index("ix_jobs_claim", "state", "run_after"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("type", sa.String(128), nullable=False),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("subject", sa.String(1200), nullable=False),
    sa.Column("repository", sa.String(64), nullable=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("data", sa.Text, nullable=False),  # JSON
    sa.Index("ix_events_subject", "repository", "subject", "seq"),
)

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("secret", sa.String(255), nullable=False),
    sa.Column("repositories", sa.Text, nullable=False),  # JSON list of keys or patterns
    sa.Column("events", sa.Text, nullable=False),  # JSON list of event types
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "webhook_id",
        sa.String(32),
        sa.ForeignKey("webhooks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_seq", sa.Integer, sa.ForeignKey("events.seq"), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending, delivered, failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("delivered_at", sa.Float, nullable=True),
    sa.Index("ix_webhook_deliveries_order", "webhook_id", "state", "event_seq"),
)

advisories = sa.Table(
    "advisories",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),  # the OSV id
    sa.Column("modified", sa.Float, nullable=False),
    sa.Column("withdrawn", sa.Float, nullable=True),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),  # LOW … CRITICAL, NONE, UNKNOWN
    sa.Column("aliases", sa.Text, nullable=False),  # JSON list
    sa.Column("record", sa.Text, nullable=False),  # the OSV JSON as imported
    sa.Column("imported_at", sa.Float, nullable=False),
)

advisory_packages = sa.Table(
    "advisory_packages",
    metadata,
    sa.Column(
        "advisory_id",
        sa.String(128),
        sa.ForeignKey("advisories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("ecosystem", sa.String(64), primary_key=True),  # without its ":<release>"
    sa.Column("name", sa.String(512), primary_key=True),  # normalized as match.normalize_name
    sa.Index("ix_advisory_packages_package", "ecosystem", "name"),
)

advisory_aliases = sa.Table(
    "advisory_aliases",
    metadata,
    sa.Column(
        "advisory_id",
        sa.String(128),
        sa.ForeignKey("advisories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("alias", sa.String(128), primary_key=True),
    sa.Index("ix_advisory_aliases_alias", "alias"),
)

scans = sa.Table(
    "scans",
    metadata,
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # image or file
    sa.Column("name", sa.String(1024), nullable=False),  # where it was first pushed
    sa.Column("status", sa.String(16), nullable=False),  # pending, done, incomplete, failed
    sa.Column("reasons", sa.Text, nullable=False),  # JSON list
    sa.Column("cache_key", sa.String(64), nullable=False),
    sa.Column("requested_at", sa.Float, nullable=False),
    sa.Column("scanned_at", sa.Float, nullable=True),
    sa.Column("matched_at", sa.Float, nullable=True),
    sa.Index("ix_scans_status", "status"),
)

scan_components = sa.Table(
    "scan_components",
    metadata,
    sa.Column(
        "digest",
        sa.String(160),
        sa.ForeignKey("scans.digest", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(512), nullable=False),
    sa.Column("version", sa.String(256), nullable=False),
    sa.Column("ecosystem", sa.String(64), nullable=False),
    sa.Column("purl", sa.Text, nullable=False),
    sa.Column("purl_key", sa.String(600), nullable=False),  # type/namespace/name, no version
    sa.Column("cataloger", sa.String(64), nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("licenses", sa.Text, nullable=False),  # JSON list
    sa.Column("source_name", sa.String(512), nullable=True),
    sa.Column("source_version", sa.String(256), nullable=True),
    sa.Column("visible", sa.Boolean, nullable=False),  # False: deleted by a later layer
    sa.Index("ix_scan_components_purl", "purl_key", "visible", "digest", "seq"),
)

# The (ecosystem, name) keys an artifact's components are looked up by: what re-matching
# after an import starts from.
scan_lookups = sa.Table(
    "scan_lookups",
    metadata,
    sa.Column(
        "digest",
        sa.String(160),
        sa.ForeignKey("scans.digest", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("ecosystem", sa.String(64), primary_key=True),  # casefolded, no release
    sa.Column("name", sa.String(512), primary_key=True),
    sa.Index("ix_scan_lookups_package", "ecosystem", "name"),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column(
        "digest",
        sa.String(160),
        sa.ForeignKey("scans.digest", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("advisory_id", sa.String(128), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("fixed_in", sa.Text, nullable=False),  # JSON list
    sa.Column("found_at", sa.Float, nullable=False),  # first found; kept across re-matches
    sa.Index("ix_findings_advisory", "advisory_id"),
    sa.Index("ix_findings_found_at", "found_at"),
)

layer_indexes = sa.Table(
    "layer_indexes",
    metadata,
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("cache_key", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),  # analysis.layered.encode
    sa.Column("created_at", sa.Float, nullable=False),
)

# Policies: rules and actions, the watches that apply them to repositories, and exceptions.

policies = sa.Table(
    "policies",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("rules", sa.Text, nullable=False),  # JSON object
    sa.Column("actions", sa.Text, nullable=False),  # JSON object
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)

watches = sa.Table(
    "watches",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("repositories", sa.Text, nullable=False),  # JSON list of keys or patterns
    sa.Column("policies", sa.Text, nullable=False),  # JSON list of policy names
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)

policy_exceptions = sa.Table(
    "policy_exceptions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(160), nullable=False),  # an image, index or file digest
    sa.Column("advisory", sa.String(140), nullable=False),  # an OSV id, an alias, license:X
    sa.Column("policy", sa.String(128), nullable=True),  # None: under every policy
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Index("ix_policy_exceptions_digest", "digest"),
    sa.Index("ix_policy_exceptions_created_at", "created_at"),
)

# Each build's artifacts by digest: which builds produced an artifact (where-used).
build_artifacts = sa.Table(
    "build_artifacts",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("repository", sa.String(64), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),  # image name or file path
    sa.Column("type", sa.String(16), nullable=False),  # docker or generic
    sa.ForeignKeyConstraint(
        ["name", "number"], ["builds.name", "builds.number"], ondelete="CASCADE"
    ),
    sa.Index("ix_build_artifacts_digest", "digest"),
)

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
    "permissions",
    "policies",
    "policy_exceptions",
    "promotions",
    "properties",
    "repositories",
    "scan_components",
    "scan_lookups",
    "scans",
    "tags",
    "uploads",
    "users",
    "watches",
    "webhook_deliveries",
    "webhooks",
]
