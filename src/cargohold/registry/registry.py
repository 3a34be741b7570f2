"""The Registry: every use case over one blob store and one metadata store."""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cargohold.analysis.unpack.limits import Limits
from cargohold.meta.store import MetadataStore
from cargohold.registry.consequences import Consequences
from cargohold.registry.deb.service import Deb
from cargohold.registry.events.emitter import Events
from cargohold.registry.events.targets import WebhookTargets
from cargohold.registry.events.webhooks import Webhooks
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.gc.collector import Collector
from cargohold.registry.gc.service import GarbageCollection
from cargohold.registry.generic.files import GenericFiles
from cargohold.registry.housekeeping.job import Housekeeping
from cargohold.registry.housekeeping.policy import HousekeepingPolicy
from cargohold.registry.housekeeping.pruning import Pruning
from cargohold.registry.housekeeping.uploads import AbandonedUploads
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.accounts import Identity
from cargohold.registry.identity.audit import AuditLog
from cargohold.registry.identity.audit_trail import AuditTrail
from cargohold.registry.identity.bearer import BearerTokens
from cargohold.registry.identity.directory import DirectoryLogins, DirectorySource
from cargohold.registry.identity.key_rotation import KeyRotation
from cargohold.registry.identity.keyring import KeyRing
from cargohold.registry.identity.throttle import LoginThrottle
from cargohold.registry.identity.tokens import ApiTokens
from cargohold.registry.identity.user_tokens import UserTokens
from cargohold.registry.insight.on_demand import OnDemandScans
from cargohold.registry.insight.reports import Insight
from cargohold.registry.insight.sbom_referrers import SbomReferrers
from cargohold.registry.insight.scans import Scans
from cargohold.registry.insight.vulndb import VulnDatabase
from cargohold.registry.jobs import JobQueue
from cargohold.registry.lifecycle.build_promotion import BuildPromotions
from cargohold.registry.lifecycle.builds import Builds
from cargohold.registry.lifecycle.engine import PromotionEngine
from cargohold.registry.lifecycle.generic_promotion import GenericPromotions
from cargohold.registry.lifecycle.package_promotion import PackagePromotions
from cargohold.registry.lifecycle.promotion import Promotions
from cargohold.registry.lifecycle.properties import PropertyStore
from cargohold.registry.lifecycle.search import Search
from cargohold.registry.monitoring.levels import Levels
from cargohold.registry.monitoring.readiness import Readiness
from cargohold.registry.npm.service import Npm
from cargohold.registry.oci.blobs import Blobs
from cargohold.registry.oci.docker_upstream import DockerUpstream
from cargohold.registry.oci.images import ImageAccess
from cargohold.registry.oci.manifests import Manifests
from cargohold.registry.oci.pull_records import PullRecorder
from cargohold.registry.oci.pulls import Pulls
from cargohold.registry.oci.registry_tokens import RegistryTokens
from cargohold.registry.oci.remote import RemoteImages
from cargohold.registry.oci.remote_blobs import RemoteBlobs
from cargohold.registry.operations.jobs import JobAdministration
from cargohold.registry.operations.repositories import RepositoryAdministration
from cargohold.registry.packages.changes import PackageChanges
from cargohold.registry.packages.files import PackageFiles
from cargohold.registry.packages.remote_cache import RemoteCache
from cargohold.registry.packages.virtual import PackageMembers
from cargohold.registry.policy.definitions import PolicyDefinitions
from cargohold.registry.policy.exceptions import PolicyExceptions
from cargohold.registry.policy.policies import Policies
from cargohold.registry.quotas.limits import Quotas
from cargohold.registry.quotas.report import StorageReports
from cargohold.registry.remote.flight import Flights
from cargohold.registry.remote.freshness import Freshness
from cargohold.registry.remote.gates import UpstreamGates
from cargohold.registry.remote.no_upstream import NoUpstreamClient
from cargohold.registry.remote.upstream import Upstream, UpstreamClient
from cargohold.registry.remote.virtual import VirtualMembers
from cargohold.registry.repositories import Repositories
from cargohold.registry.retention.policies import RetentionPolicies
from cargohold.registry.retention.runs import Retention, RetentionSettings
from cargohold.registry.signing.keys import RepositoryKeys
from cargohold.storage.base import BlobRedirects, BlobStore


@dataclass(frozen=True, slots=True)
class Registry:
    repositories: Repositories
    repository_admin: RepositoryAdministration
    images: ImageAccess
    blobs: Blobs
    manifests: Manifests
    pulls: Pulls  # reading images from local, remote and virtual repositories alike
    remote_images: RemoteImages
    flights: Flights
    freshness: Freshness  # when remote repositories ask their upstream again, for every format
    upstream: Upstream
    pull_records: PullRecorder  # when manifests were last pulled (its last batch: ``aclose``)
    access: AccessControl
    identity: Identity
    tokens: ApiTokens
    user_tokens: UserTokens
    bearer: BearerTokens
    registry_tokens: RegistryTokens
    keys: KeyRing
    key_rotation: KeyRotation
    audit: AuditLog
    audit_trail: AuditTrail
    properties: PropertyStore
    promotions: Promotions
    builds: Builds
    build_promotions: BuildPromotions
    search: Search
    generic: GenericFiles
    packages: PackageFiles  # the package versions of PyPI and npm repositories
    package_changes: PackageChanges  # dist-tags, yanks and deletions of package versions
    package_cache: RemoteCache  # what remote PyPI and npm repositories keep of their upstreams
    package_members: PackageMembers  # virtual PyPI and npm repositories' members, guarded
    npm: Npm  # npm repositories' use cases
    deb: Deb  # Debian repositories' use cases
    signing_keys: RepositoryKeys  # the keys repositories sign their indexes with
    generic_promotions: GenericPromotions
    package_promotions: PackagePromotions
    jobs: JobQueue
    job_admin: JobAdministration
    events: Events
    webhooks: Webhooks
    vulndb: VulnDatabase
    scans: Scans
    on_demand_scans: OnDemandScans
    insight: Insight
    sbom_referrers: SbomReferrers
    policies: Policies
    policy_definitions: PolicyDefinitions
    policy_exceptions: PolicyExceptions
    gc: GarbageCollection
    retention_policies: RetentionPolicies
    retention: Retention
    housekeeping: Housekeeping
    quotas: Quotas
    storage: StorageReports
    readiness: Readiness
    levels: Levels

    @classmethod
    def build(
        cls,
        store: BlobStore,
        meta: MetadataStore,
        *,
        formats: Sequence[str],
        remote_formats: Sequence[str] = ("docker",),
        service: str = "cargohold",
        token_ttl: int = 300,
        clock: Callable[[], float] = time.time,
        scan_dir: Path | None = None,
        scan_limits: Limits | None = None,
        webhook_targets: WebhookTargets | None = None,
        blob_redirects: BlobRedirects | None = None,
        blob_redirect_expiry: int = 300,
        gc_grace: float = 3600,
        gc_interval: float = 0,
        retention: RetentionSettings | None = None,
        housekeeping: HousekeepingPolicy | None = None,
        directory: DirectorySource | None = None,
        upstream_client: UpstreamClient | None = None,
        spool_dir: Path | None = None,
    ) -> Registry:
        audit = AuditLog(meta, clock)
        repositories = Repositories(meta, formats, remote_formats)
        tokens = ApiTokens(meta, clock)
        logins = None if directory is None else DirectoryLogins(meta, directory, audit, clock)
        access = AccessControl(meta, tokens, LoginThrottle(meta, clock), audit, clock, logins)
        jobs = JobQueue(meta, clock)
        webhooks = Webhooks(meta, clock, webhook_targets or WebhookTargets(), access, audit)
        events = Events(jobs, webhooks, clock)
        scans = Scans(store, meta, jobs, events, clock, tmp_dir=scan_dir, limits=scan_limits)
        policies = Policies(meta, events, clock)
        scans.on_findings(policies.notify)
        consequences = Consequences(audit, events, scans, jobs, policies)
        claims = BlobClaims(store, meta, clock)
        quotas = Quotas(meta)
        generic = GenericFiles(
            store, meta, repositories, access, clock, consequences, claims, quotas
        )
        images = ImageAccess(repositories, access)
        blobs = Blobs(
            store, meta, audit, images, claims, blob_redirects, blob_redirect_expiry, quotas
        )
        pull_records = PullRecorder(meta.manifests.mark_pulled, clock)
        manifests = Manifests(store, meta, blobs, images, consequences, claims, pull_records)
        upstream = Upstream(
            upstream_client or NoUpstreamClient(), UpstreamGates(meta, clock), clock
        )
        owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        flights = Flights(
            meta,
            store,
            claims,
            spool_dir or Path(tempfile.gettempdir()) / f"cargohold-spool-{secrets.token_hex(8)}",
            clock,
            owner,
        )
        docker_upstream = DockerUpstream(upstream)
        freshness = Freshness(meta, flights, clock)
        remote_images = RemoteImages(
            meta,
            manifests,
            RemoteBlobs(meta, blobs, docker_upstream, flights),
            docker_upstream,
            flights,
            freshness,
            consequences,
        )
        members = VirtualMembers(repositories, access)
        pulls = Pulls(meta, images, manifests, blobs, remote_images, members)
        packages = PackageFiles(
            store, meta, repositories, access, clock, consequences, claims, quotas
        )
        package_members = PackageMembers(members, packages)
        signing_keys = RepositoryKeys(meta, clock)
        deb = Deb.build(meta, store, claims, packages, signing_keys, clock)
        package_changes = PackageChanges(meta, consequences, deb.indexes.changed)
        package_cache = RemoteCache(store, meta, claims, clock)
        user_tokens = UserTokens(tokens, access, audit)
        collector = Collector(store, meta, clock, gc_grace)
        insight = Insight(meta, repositories, access, manifests, generic, packages)
        engine = PromotionEngine(meta, access, policies, audit, events, jobs, clock)
        builds = Builds(meta, repositories, access, audit, clock)
        keys = KeyRing(meta, clock)
        bearer = BearerTokens(keys, service, token_ttl, clock)
        return cls(
            repositories=repositories,
            repository_admin=RepositoryAdministration(repositories, access, audit, quotas),
            images=images,
            blobs=blobs,
            manifests=manifests,
            pull_records=pull_records,
            pulls=pulls,
            remote_images=remote_images,
            flights=flights,
            freshness=freshness,
            upstream=upstream,
            access=access,
            identity=Identity(meta, clock, access, audit, tokens),
            tokens=tokens,
            user_tokens=user_tokens,
            bearer=bearer,
            registry_tokens=RegistryTokens(repositories, access, bearer),
            keys=keys,
            key_rotation=KeyRotation(keys, bearer, access, audit),
            audit=audit,
            audit_trail=AuditTrail(access, audit),
            properties=PropertyStore(meta, repositories, access, audit, events, jobs),
            promotions=Promotions(meta, repositories, access, engine),
            builds=builds,
            build_promotions=BuildPromotions(builds, meta, repositories, access, engine),
            search=Search(meta, repositories, access),
            generic=generic,
            packages=packages,
            package_changes=package_changes,
            package_cache=package_cache,
            package_members=package_members,
            npm=Npm.build(
                meta,
                packages,
                package_changes,
                package_cache,
                package_members,
                access,
                user_tokens,
                upstream,
                flights,
                freshness,
                clock,
            ),
            deb=deb,
            signing_keys=signing_keys,
            generic_promotions=GenericPromotions(generic, meta, access, engine),
            package_promotions=PackagePromotions(
                packages, repositories, meta, engine, deb.indexes.changed
            ),
            jobs=jobs,
            job_admin=JobAdministration(jobs, access),
            events=events,
            webhooks=webhooks,
            vulndb=VulnDatabase(meta, clock, scans, access, audit),
            scans=scans,
            on_demand_scans=OnDemandScans(insight, consequences),
            insight=insight,
            sbom_referrers=SbomReferrers(
                insight, manifests, blobs, repositories, access, consequences
            ),
            policies=policies,
            policy_definitions=PolicyDefinitions(meta, clock, access, audit, policies),
            policy_exceptions=PolicyExceptions(meta, clock, access, audit),
            gc=GarbageCollection(
                collector, store, meta, access, audit, events, jobs, clock, gc_interval
            ),
            retention_policies=RetentionPolicies(meta, clock, access, audit),
            retention=Retention(
                meta, clock, access, audit, events, jobs, retention or RetentionSettings()
            ),
            housekeeping=Housekeeping(
                AbandonedUploads(store, meta, clock),
                Pruning(meta, clock),
                jobs,
                housekeeping or HousekeepingPolicy(),
            ),
            quotas=quotas,
            storage=StorageReports(meta, repositories, access),
            readiness=Readiness(meta, store),
            levels=Levels(meta),
        )

    async def aclose(self) -> None:
        """End the background work of this process: fetches from upstreams (their leases go
        to whoever asks next), and write the pulls not yet recorded."""
        await self.remote_images.aclose()
        await self.flights.aclose()
        await self.upstream.aclose()
        await self.pull_records.aclose()


__all__ = ["Registry"]
