"""The simple repository API's pages (PEP 503 HTML, PEP 691 JSON, version 1.1 with PEP 700's
``versions``, ``size`` and ``upload-time``, PEP 592 yanks, PEP 658/714 core metadata), and
the content negotiation between them on ``Accept``.

Links are relative to the page (``../../files/NAME/VERSION/FILENAME``), which every client
resolves against the page's URL, behind any proxy.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from cargohold.core.errors import NotAcceptable
from cargohold.core.times import rfc3339
from cargohold.registry.pypi.index import Listed, Project

API_VERSION = "1.1"
JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
# What may be asked for, and what is then sent.
OFFERED = {
    JSON_V1: JSON_V1,
    "application/vnd.pypi.simple.latest+json": JSON_V1,
    HTML_V1: HTML_V1,
    "application/vnd.pypi.simple.latest+html": HTML_V1,
    TEXT_HTML: TEXT_HTML,
}
MAX_ACCEPT = 4096


def negotiate(accept: str | None) -> str:
    """The content type to answer with: the acceptable one the client prefers (by q-value,
    then by how precisely it named it, then by its order); HTML without ``Accept``."""
    if not accept or not accept.strip():
        return TEXT_HTML
    best: tuple[float, int, int] | None = None
    chosen = ""
    for position, item in enumerate(accept[:MAX_ACCEPT].split(",")[:64]):
        media, *params = (part.strip() for part in item.split(";"))
        media = media.lower()
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if media in OFFERED:
            candidates, precision = [media], 2
        elif media in ("*/*", "text/*"):
            candidates, precision = [TEXT_HTML], 0
        elif media == "application/*":
            candidates, precision = [JSON_V1], 0
        else:
            continue
        rank = (q, precision, -position)
        if best is None or rank > best:
            best, chosen = rank, candidates[0]
    if best is None:
        raise NotAcceptable(
            f"none of the content types accepted ({accept[:200]}) is served; ask for "
            + ", ".join(OFFERED)
        )
    return OFFERED[chosen]


def is_json(content_type: str) -> bool:
    return content_type == JSON_V1


def file_url(listed: Listed, name: str) -> str:
    return "../../files/" + "/".join(
        quote(part, safe="") for part in (name, listed.version, listed.filename)
    )


def index_html(names: list[str]) -> str:
    links = "\n".join(f'    <a href="{quote(n)}/">{escape(n)}</a><br/>' for n in names)
    return _page("Simple index", links)


def index_json(names: list[str]) -> dict[str, Any]:
    return {"meta": {"api-version": API_VERSION}, "projects": [{"name": n} for n in names]}


def project_html(project: Project) -> str:
    links = []
    for listed in project.files:
        attributes = [f'href="{escape(file_url(listed, project.name))}#sha256={listed.sha256}"']
        if listed.requires_python:
            attributes.append(f'data-requires-python="{escape(listed.requires_python)}"')
        if listed.yanked is not None:
            attributes.append(f'data-yanked="{escape(listed.yanked)}"')
        if listed.core_metadata is not None:
            value = f"sha256={listed.core_metadata}"
            attributes.append(f'data-core-metadata="{value}"')
            attributes.append(f'data-dist-info-metadata="{value}"')
        links.append(f"    <a {' '.join(attributes)}>{escape(listed.filename)}</a><br/>")
    return _page(f"Links for {project.name}", "\n".join(links))


def project_json(project: Project) -> dict[str, Any]:
    files = []
    for listed in project.files:
        one: dict[str, Any] = {
            "filename": listed.filename,
            "url": file_url(listed, project.name),
            "hashes": {"sha256": listed.sha256},
        }
        if listed.requires_python:
            one["requires-python"] = listed.requires_python
        one["yanked"] = (listed.yanked or True) if listed.yanked is not None else False
        metadata: dict[str, str] | bool = (
            False if listed.core_metadata is None else {"sha256": listed.core_metadata}
        )
        one["core-metadata"] = metadata
        one["dist-info-metadata"] = metadata
        if listed.size is not None:
            one["size"] = listed.size
        if listed.upload_time is not None:
            one["upload-time"] = rfc3339(listed.upload_time, "microseconds")
        files.append(one)
    return {
        "meta": {"api-version": API_VERSION},
        "name": project.name,
        "versions": project.versions,
        "files": files,
    }


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>{escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{escape(title)}</h1>\n{body}\n  </body>\n</html>\n"
    )


__all__ = [
    "HTML_V1",
    "JSON_V1",
    "TEXT_HTML",
    "index_html",
    "index_json",
    "negotiate",
    "project_html",
    "project_json",
]
