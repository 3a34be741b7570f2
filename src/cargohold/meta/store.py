"""The MetadataStore: the query groups over one database, and its change marker."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from cargohold.meta.backup.queries import BackupQueries
from cargohold.meta.changes import ChangeMarker, open_change_marker
from cargohold.meta.database import (
    DEFAULT_POOL_SIZE,
    create_engine,
    migrate,
    pending_migrations,
)
from cargohold.meta.deb.queries import DebQueries
from cargohold.meta.effects import EffectQueries
from cargohold.meta.events.events import EventQueries
from cargohold.meta.events.webhooks import DeliveryQueries, WebhookQueries
from cargohold.meta.gc.collector import GcQueries
from cargohold.meta.gc.references import ReferenceQueries
from cargohold.meta.generic.files import GenericFileQueries
from cargohold.meta.identity.audit import AuditQueries
from cargohold.meta.identity.directory import DirectoryAccounts
from cargohold.meta.identity.keys import TokenKeyQueries
from cargohold.meta.identity.logins import LoginFailureQueries
from cargohold.meta.identity.permissions import PermissionQueries
from cargohold.meta.identity.tokens import TokenQueries
from cargohold.meta.identity.users import GroupQueries, UserQueries
from cargohold.meta.insight.advisories import AdvisoryQueries
from cargohold.meta.insight.impact import ImpactQueries
from cargohold.meta.insight.scans import ScanQueries
from cargohold.meta.jobs import JobQueries
from cargohold.meta.lifecycle.builds import BuildQueries
from cargohold.meta.lifecycle.package_promotion import PackagePromotionQueries
from cargohold.meta.lifecycle.promotion import PromotionQueries
from cargohold.meta.lifecycle.search import SearchQueries
from cargohold.meta.monitoring.gauges import GaugeQueries
from cargohold.meta.monitoring.readiness import ReadinessQueries
from cargohold.meta.oci.blobs import BlobQueries
from cargohold.meta.oci.manifests import ManifestQueries
from cargohold.meta.oci.uploads import UploadQueries
from cargohold.meta.packages.queries import PackageQueries
from cargohold.meta.policy.policies import PolicyQueries
from cargohold.meta.properties import PropertyQueries
from cargohold.meta.quotas.limits import QuotaQueries
from cargohold.meta.remote.checks import RemoteCheckQueries
from cargohold.meta.remote.fetches import FetchQueries
from cargohold.meta.remote.gates import UpstreamGateQueries
from cargohold.meta.repositories import RepositoryQueries
from cargohold.meta.retention.inventory import RetentionInventoryQueries
from cargohold.meta.retention.policies import RetentionPolicyQueries
from cargohold.meta.signing.queries import SigningKeyQueries


@dataclass(frozen=True, slots=True)
class MetadataStore:
    engine: sa.Engine
    changes: ChangeMarker
    repositories: RepositoryQueries
    blobs: BlobQueries
    uploads: UploadQueries
    manifests: ManifestQueries
    users: UserQueries
    groups: GroupQueries
    directory_accounts: DirectoryAccounts
    permissions: PermissionQueries
    tokens: TokenQueries
    token_keys: TokenKeyQueries
    audit: AuditQueries
    logins: LoginFailureQueries
    properties: PropertyQueries
    promotions: PromotionQueries
    package_promotions: PackagePromotionQueries
    builds: BuildQueries
    search: SearchQueries
    generic: GenericFileQueries
    packages: PackageQueries
    deb: DebQueries
    signing_keys: SigningKeyQueries
    jobs: JobQueries
    events: EventQueries
    webhooks: WebhookQueries
    deliveries: DeliveryQueries
    advisories: AdvisoryQueries
    scans: ScanQueries
    impact: ImpactQueries
    gc: GcQueries
    references: ReferenceQueries
    policies: PolicyQueries
    retention: RetentionPolicyQueries
    retention_inventory: RetentionInventoryQueries
    remote_checks: RemoteCheckQueries
    effects: EffectQueries
    quotas: QuotaQueries
    backups: BackupQueries
    upstream_gates: UpstreamGateQueries

    def pending_migrations(self) -> list[str]:
        """The schema revisions a start would apply, oldest first (none: at the newest)."""
        return pending_migrations(self.engine)

    def migrate(self) -> None:
        """Apply the pending migrations (what a start does first)."""
        migrate(self.engine)

    gauges: GaugeQueries
    readiness: ReadinessQueries
    fetches: FetchQueries

    def close(self) -> None:
        self.changes.close()
        self.engine.dispose()


def open_metadata_store(
    url: str,
    *,
    run_migrations: bool = True,
    pool_size: int = DEFAULT_POOL_SIZE,
    instance_quota: int | None = None,
) -> MetadataStore:
    """The store on the database at ``url`` (``sqlite:///PATH`` or
    ``postgresql+psycopg://...``), migrated to the newest schema unless told otherwise;
    ``instance_quota``: the bytes every blob stored may take together (None: no limit)."""
    engine = create_engine(url, pool_size)
    if run_migrations:
        migrate(engine)
    changes = open_change_marker(url)
    sa.event.listen(engine, "commit", changes.note_commit)
    quotas = QuotaQueries(engine, instance_quota)
    promotions = PromotionQueries(engine)
    return MetadataStore(
        engine=engine,
        changes=changes,
        repositories=RepositoryQueries(engine),
        blobs=BlobQueries(engine, quotas),
        uploads=UploadQueries(engine),
        manifests=ManifestQueries(engine),
        users=UserQueries(engine),
        groups=GroupQueries(engine),
        directory_accounts=DirectoryAccounts(engine),
        permissions=PermissionQueries(engine),
        tokens=TokenQueries(engine),
        token_keys=TokenKeyQueries(engine),
        audit=AuditQueries(engine),
        logins=LoginFailureQueries(engine),
        properties=PropertyQueries(engine),
        promotions=promotions,
        package_promotions=PackagePromotionQueries(engine, promotions),
        builds=BuildQueries(engine),
        search=SearchQueries(engine),
        generic=GenericFileQueries(engine, quotas),
        packages=PackageQueries(engine, quotas),
        deb=DebQueries(engine),
        signing_keys=SigningKeyQueries(engine),
        jobs=JobQueries(engine),
        events=EventQueries(engine),
        webhooks=WebhookQueries(engine),
        deliveries=DeliveryQueries(engine),
        advisories=AdvisoryQueries(engine),
        scans=ScanQueries(engine),
        impact=ImpactQueries(engine),
        gc=GcQueries(engine),
        references=ReferenceQueries(engine),
        policies=PolicyQueries(engine),
        retention=RetentionPolicyQueries(engine),
        retention_inventory=RetentionInventoryQueries(engine),
        remote_checks=RemoteCheckQueries(engine),
        effects=EffectQueries(engine),
        quotas=quotas,
        backups=BackupQueries(engine),
        upstream_gates=UpstreamGateQueries(engine),
        gauges=GaugeQueries(engine),
        readiness=ReadinessQueries(engine),
        fetches=FetchQueries(engine),
    )


__all__ = ["MetadataStore", "open_metadata_store"]
