"""An upstream index's page of a project, read: PEP 691 JSON, or PEP 503 HTML parsed with
the standard library's ``html.parser``; file URLs resolved against the page's URL, each
file's version taken from its filename. What cargohold keeps of it (``Page``) is JSON of its
own, the same whatever the upstream sent.

Files a PyPI repository cannot serve are left out: those whose filename is not a wheel's or
an sdist's, and those the upstream gives no sha256 for (their bytes could not be verified).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from cargohold.core.errors import BadRequest
from cargohold.core.times import parse_rfc3339
from cargohold.registry.pypi.distributions import parse_filename

MAX_PAGE = 64 * 1024 * 1024  # bytes of an upstream's page read
MAX_FILES = 100_000  # files kept of one page
JSON_TYPES = ("application/vnd.pypi.simple.v1+json", "application/json")
ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.1"
)


@dataclass(frozen=True, slots=True)
class UpstreamFile:
    filename: str
    version: str
    url: str  # absolute, without its fragment
    sha256: str
    requires_python: str | None = None
    yanked: str | None = None  # the reason ("" for none) when yanked
    size: int | None = None
    upload_time: float | None = None


@dataclass(frozen=True, slots=True)
class Page:
    files: list[UpstreamFile] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)

    def dumps(self) -> bytes:
        return json.dumps(
            {"files": [asdict(f) for f in self.files], "versions": self.versions}
        ).encode()

    @classmethod
    def loads(cls, data: bytes) -> Page:
        doc = json.loads(data)
        return cls([UpstreamFile(**f) for f in doc["files"]], list(doc["versions"]))


def parse_page(body: bytes, content_type: str, url: str) -> Page:
    """The files of the page at ``url``; BadRequest when it is neither JSON nor HTML."""
    media = content_type.partition(";")[0].strip().lower()
    if media in JSON_TYPES or media.endswith("+json"):
        return _from_json(body, url)
    return _from_html(body, url)


def _file(
    filename: str,
    url: str,
    sha256: str | None,
    requires_python: str | None,
    yanked: object,
    size: object = None,
    upload_time: object = None,
) -> UpstreamFile | None:
    if not sha256 or len(sha256) != 64:
        return None
    try:
        named = parse_filename(filename)
    except BadRequest:
        return None
    reason: str | None = None
    if isinstance(yanked, str):
        reason = yanked
    elif yanked is True:
        reason = ""
    when: float | None = None
    if isinstance(upload_time, str):
        try:
            when = parse_rfc3339(upload_time)
        except ValueError:
            when = None
    return UpstreamFile(
        filename,
        str(named.version),
        url,
        sha256.lower(),
        requires_python or None,
        reason,
        size if isinstance(size, int) and not isinstance(size, bool) else None,
        when,
    )


def _from_json(body: bytes, url: str) -> Page:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the upstream's page is not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        raise BadRequest("the upstream's page has no list of files")
    files: list[UpstreamFile] = []
    for entry in doc["files"][:MAX_FILES]:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        hashes = entry.get("hashes") if isinstance(entry.get("hashes"), dict) else {}
        href = urljoin(url, entry["url"])
        one = _file(
            str(entry.get("filename") or _last_segment(href)),
            href.partition("#")[0],
            _str(hashes.get("sha256")) if hashes else None,
            _str(entry.get("requires-python")),
            entry.get("yanked"),
            entry.get("size"),
            entry.get("upload-time"),
        )
        if one is not None:
            files.append(one)
    versions = doc.get("versions")
    if isinstance(versions, list) and all(isinstance(v, str) for v in versions):
        return Page(files, _served_versions(files, versions))
    return Page(files, _versions_of(files))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _last_segment(url: str) -> str:
    return unquote(urlsplit(url).path.rpartition("/")[2])


def _versions_of(files: list[UpstreamFile]) -> list[str]:
    return list(dict.fromkeys(f.version for f in files))


def _served_versions(files: list[UpstreamFile], versions: list[str]) -> list[str]:
    """The upstream's versions that have a file served here, in the upstream's order."""
    served = set(_versions_of(files))
    listed = [v for v in versions if v in served]
    return listed + [v for v in _versions_of(files) if v not in set(listed)]


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        if tag == "a" and len(self.anchors) < MAX_FILES:
            self.anchors.append(dict(attrs))


def _from_html(body: bytes, url: str) -> Page:
    parser = _Anchors()
    parser.feed(body.decode("utf-8", errors="replace"))
    parser.close()
    base = urljoin(url, parser.base) if parser.base else url
    files: list[UpstreamFile] = []
    for attrs in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        absolute = urljoin(base, href)
        location, _, fragment = absolute.partition("#")
        algorithm, _, value = fragment.partition("=")
        yanked = (attrs["data-yanked"] or "") if "data-yanked" in attrs else None
        one = _file(
            _last_segment(location),
            location,
            value if algorithm == "sha256" else None,
            attrs.get("data-requires-python"),
            yanked,
        )
        if one is not None:
            files.append(one)
    return Page(files, _versions_of(files))


__all__ = ["ACCEPT", "MAX_PAGE", "Page", "UpstreamFile", "parse_page"]
