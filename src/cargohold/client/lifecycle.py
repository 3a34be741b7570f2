"""Promotion and properties through the REST API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cargohold.client.session import RestSession, segment
from cargohold.wire.lifecycle import Promotion, PromotionResult
from cargohold.wire.lifecycle import Properties as PropertyValues


@dataclass(frozen=True, slots=True)
class Artifact:
    """``dev/team/app:1.4``, ``dev/team/app@sha256:…`` or ``dev/team/app`` (every tag)."""

    repository: str
    image: str
    tag: str | None = None
    digest: str | None = None
    path: str | None = None  # a generic file instead of an image

    @classmethod
    def file(cls, text: str) -> Artifact:
        """``REPO/PATH``: a file in a generic repository."""
        repository, _, path = text.partition("/")
        if not repository or not path:
            raise ValueError(f"{text!r} is not REPOSITORY/PATH, e.g. files/releases/app.tgz")
        return cls(repository, "", path=path)

    @classmethod
    def parse(cls, text: str) -> Artifact:
        name, at, digest = text.partition("@")
        tag = None
        if not at:
            last = name.rsplit("/", 1)[-1]
            if ":" in last:
                name, _, tag = name.rpartition(":")
        repository, _, image = name.partition("/")
        if not repository or not image:
            raise ValueError(
                f"{text!r} is not REPOSITORY/IMAGE[:TAG|@DIGEST], e.g. dev/team/app:1.4"
            )
        return cls(repository, image, tag, digest or None)

    def query(self) -> dict[str, str]:
        if self.path is not None:
            return {"repository": self.repository, "path": self.path}
        where = {"repository": self.repository, "image": self.image}
        if self.digest is not None:
            where["digest"] = self.digest
        elif self.tag is not None:
            where["tag"] = self.tag
        return where

    def __str__(self) -> str:
        if self.path is not None:
            return f"{self.repository}/{self.path}"
        suffix = f"@{self.digest}" if self.digest else (f":{self.tag}" if self.tag else "")
        return f"{self.repository}/{self.image}{suffix}"


class Promotions:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def docker(
        self,
        source: Artifact,
        target_repository: str,
        *,
        target_image: str | None = None,
        target_tag: str | None = None,
        copy: bool = False,
        dry_run: bool = False,
        properties: dict[str, list[str]] | None = None,
        comment: str = "",
    ) -> list[Promotion]:
        body: dict[str, Any] = {
            "targetRepo": target_repository,
            "dockerRepository": source.image,
            "copy": copy,
            "dryRun": dry_run,
            "comment": comment,
        }
        if source.tag is not None:
            body["tag"] = source.tag
        if target_image is not None:
            body["targetDockerRepository"] = target_image
        if target_tag is not None:
            body["targetTag"] = target_tag
        if properties:
            body["properties"] = properties
        path = f"/docker/{segment(source.repository)}/promote"
        answer = self._session.call_object("POST", path, PromotionResult, body=body)
        return answer.promotions

    def list(
        self,
        *,
        digest: str | None = None,
        image: str | None = None,
        repository: str | None = None,
        limit: int | None = None,
    ) -> list[Promotion]:
        params = {
            k: v
            for k, v in (("digest", digest), ("image", image), ("repository", repository))
            if v is not None
        }
        return self._session.items("/promotions", Promotion, params, limit)


class Properties:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def get(self, artifact: Artifact) -> dict[str, list[str]]:
        answer = self._session.call_object(
            "GET", "/properties", PropertyValues, params=artifact.query()
        )
        return answer.properties

    def set(self, artifact: Artifact, values: dict[str, list[str]]) -> dict[str, list[str]]:
        answer = self._session.call_object(
            "PUT",
            "/properties",
            PropertyValues,
            params=artifact.query(),
            body={"properties": values},
        )
        return answer.properties

    def delete(self, artifact: Artifact, keys: list[str] | None = None) -> None:
        params = artifact.query()
        if keys:
            params["keys"] = ",".join(keys)
        self._session.call("DELETE", "/properties", params=params)


__all__ = ["Artifact", "Promotion", "Promotions", "Properties"]
