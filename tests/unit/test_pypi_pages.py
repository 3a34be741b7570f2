"""Reading an upstream index's page of a project: PEP 691 JSON and PEP 503 HTML alike, file
URLs resolved against the page, versions from filenames, unservable files left out."""

from __future__ import annotations

import json

from cargohold.registry.pypi.pages import Page, parse_page

SHA = "a" * 64
URL = "https://index.example/simple/demo/"


def test_html_links_are_resolved_with_their_hash_requires_python_and_yank() -> None:
    html = f"""<!DOCTYPE html><html><body>
    <a href="../../files/demo-1.0-py3-none-any.whl#sha256={SHA}"
       data-requires-python="&gt;=3.8">demo-1.0-py3-none-any.whl</a>
    <a href="https://files.example/d/demo-1.1.tar.gz#sha256={SHA}" data-yanked>x</a>
    <a href="demo-1.2.tar.gz#sha256={SHA}" data-yanked="bad &amp; broken">y</a>
    <a href="demo-0.9.tar.gz#md5=abc">no sha256</a>
    <a href="demo-0.8.egg#sha256={SHA}">an egg</a>
    </body></html>"""
    page = parse_page(html.encode(), "text/html", URL)
    assert [(f.filename, f.version, f.url) for f in page.files] == [
        (
            "demo-1.0-py3-none-any.whl",
            "1.0",
            "https://index.example/files/demo-1.0-py3-none-any.whl",
        ),
        ("demo-1.1.tar.gz", "1.1", "https://files.example/d/demo-1.1.tar.gz"),
        ("demo-1.2.tar.gz", "1.2", "https://index.example/simple/demo/demo-1.2.tar.gz"),
    ]
    assert [f.requires_python for f in page.files] == [">=3.8", None, None]
    assert [f.yanked for f in page.files] == [None, "", "bad & broken"]
    assert page.versions == ["1.0", "1.1", "1.2"]


def test_json_pages_keep_sizes_times_and_the_upstreams_version_order() -> None:
    doc = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "versions": ["0.1", "1.0", "2.0"],
        "files": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "/files/demo-1.0-py3-none-any.whl",
                "hashes": {"sha256": SHA.upper()},
                "requires-python": ">=3.9",
                "yanked": "reason",
                "size": 1234,
                "upload-time": "2024-01-02T03:04:05.000006Z",
            },
            {"filename": "demo-2.0.tar.gz", "url": "demo-2.0.tar.gz", "hashes": {}},
            {"filename": "demo-0.1.zip", "url": "demo-0.1.zip", "hashes": {"sha256": SHA}},
        ],
    }
    page = parse_page(json.dumps(doc).encode(), "application/vnd.pypi.simple.v1+json", URL)
    first, second = page.files
    assert first.url == "https://index.example/files/demo-1.0-py3-none-any.whl"
    assert first.sha256 == SHA
    assert (first.size, first.yanked, first.requires_python) == (1234, "reason", ">=3.9")
    assert first.upload_time == 1704164645.000006
    assert second.filename == "demo-0.1.zip"
    assert page.versions == ["0.1", "1.0"]  # 2.0 has no file that can be verified
    assert Page.loads(page.dumps()) == page
