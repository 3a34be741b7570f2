"""``CargoholdClient``: the REST API as Python calls, one attribute per collection:
``client.repositories.update("dev", anonymous_read=True)``,
``client.tokens.create("CI", [Scope("dev", ("read", "write"))])``."""

from __future__ import annotations

import httpx

from cargohold.client.deb import DebRepositories
from cargohold.client.gc import GarbageCollection
from cargohold.client.images import Images
from cargohold.client.insight import Insight
from cargohold.client.jobs import Jobs
from cargohold.client.lifecycle import Promotions, Properties
from cargohold.client.models import Me
from cargohold.client.packages import Packages
from cargohold.client.policies import Policies, Watches
from cargohold.client.resources import Audit, Groups, Permissions, Repositories, Tokens, Users
from cargohold.client.retention import Retention
from cargohold.client.search import Search
from cargohold.client.session import RestSession
from cargohold.client.vulndb import VulnDb
from cargohold.client.webhooks import Webhooks
from cargohold.wire.storage import StorageReport


class CargoholdClient:
    """One server, one caller: ``username`` with ``password`` (or an API token as the
    password) sent as Basic, or ``token`` alone sent as Bearer; neither is anonymous."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30,
    ) -> None:
        self._session = RestSession(
            base_url, username, password, token=token, transport=transport, timeout=timeout
        )
        self.repositories = Repositories(self._session)
        self.images = Images(self._session)
        self.packages = Packages(self._session)
        self.deb = DebRepositories(self._session)
        self.users = Users(self._session)
        self.groups = Groups(self._session)
        self.permissions = Permissions(self._session)
        self.tokens = Tokens(self._session)
        self.audit = Audit(self._session)
        self.promotions = Promotions(self._session)
        self.properties = Properties(self._session)
        self.webhooks = Webhooks(self._session)
        self.jobs = Jobs(self._session)
        self.gc = GarbageCollection(self._session)
        self.search = Search(self._session)
        self.vulndb = VulnDb(self._session)
        self.insight = Insight(self._session)
        self.policies = Policies(self._session)
        self.watches = Watches(self._session)
        self.retention = Retention(self._session)

    @property
    def base_url(self) -> str:
        return self._session.base_url

    def __enter__(self) -> CargoholdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def health(self) -> bool:
        doc = self._session.call("GET", "/health")
        return isinstance(doc, dict) and doc.get("status") == "ok"

    def storage(self) -> StorageReport:
        """The bytes each repository and image holds, and (for administrators) what the
        instance stores and the deduplication ratio."""
        return self._session.call_object("GET", "/storage", StorageReport)

    def me(self) -> Me:
        """Who the server takes the caller to be, and the API token used, if any."""
        return self._session.call_object("GET", "/me", Me)


__all__ = ["CargoholdClient"]
