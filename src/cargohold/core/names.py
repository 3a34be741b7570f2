"""Repository names, tags and references as the distribution-spec defines them; and the
names of cargohold's accounts and groups.

The first path segment of a name is the cargohold repository key; the rest is the image
within that repository: ``dev/team/app`` is image ``team/app`` in repository ``dev``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cargohold.core.digest import Digest
from cargohold.core.errors import NameInvalid, RepositoryInvalid

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_NAME = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_NAME_LENGTH = 255
# A user's or group's name, local or from the directory (the REST API's schema says the same).
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")


@dataclass(frozen=True, slots=True)
class ImageName:
    """``repository`` is the cargohold repository key, ``image`` the path inside it."""

    repository: str
    image: str

    @classmethod
    def parse(cls, name: str) -> ImageName:
        if len(name) > MAX_NAME_LENGTH or not _NAME.match(name):
            raise NameInvalid(
                f"invalid repository name {name[:300]!r}: use lowercase path components "
                "[a-z0-9] separated by '.', '_', '-' or '/'",
                {"name": name[:300]},
            )
        key, _, image = name.partition("/")
        if not image:
            raise NameInvalid(
                f"name {name!r} has no image path: the first path segment is the repository "
                f"key, so push to e.g. {name}/app instead",
                {"name": name},
            )
        return cls(key, image)

    def __str__(self) -> str:
        return f"{self.repository}/{self.image}"


@dataclass(frozen=True, slots=True)
class Reference:
    """A manifest reference: a tag or a digest."""

    tag: str | None = None
    digest: Digest | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        if ":" in text:
            return cls(digest=Digest.parse(text))
        if not _TAG.match(text):
            raise NameInvalid(
                f"invalid tag {text[:200]!r}: up to 128 characters of [A-Za-z0-9_.-], "
                "not starting with '.' or '-'",
                {"reference": text[:200]},
            )
        return cls(tag=text)

    def __str__(self) -> str:
        return self.tag if self.tag is not None else str(self.digest)


def validate_tag(text: str) -> str:
    if not _TAG.match(text):
        raise NameInvalid(f"invalid tag {text[:200]!r}", {"tag": text[:200]})
    return text


def validate_repository_key(key: str) -> str:
    if not _KEY.match(key) or not _NAME.match(key):
        raise RepositoryInvalid(
            f"invalid repository key {key[:100]!r}: 1-64 characters, lowercase letters, "
            "digits, '.', '_' or '-', starting with a letter or digit"
        )
    return key


__all__ = ["ACCOUNT_NAME", "ImageName", "Reference", "validate_repository_key", "validate_tag"]
