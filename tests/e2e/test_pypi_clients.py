"""PyPI repositories as pip, uv and twine use them, against a real server: publishing with
twine (options and a .pypirc) and ``uv publish``, installing with pip (hashes required) and
``uv pip``, yanked versions, remote and virtual repositories with the dependency-confusion
guard, a download blocked by a policy, and the refusals these clients show to their users
(they print the status line, which carries the reason)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pypi_clients import PythonClients, output
from tests.pypi_dists import Dist, form, sdist, wheel
from tests.pypi_index import page, uploaded
from tests.servers import CargoholdServer, wait_for
from tests.unit import cataloger_fixtures as fx

CI_PASSWORD = "ci-password-e2e"
READER_PASSWORD = "reader-password-e2e"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    running = CargoholdServer(tmp_path_factory.mktemp("upstream") / "data", workers=1).start()
    running.admin.call("POST", "/repositories", 201, {"key": "up", "format": "pypi"})
    running.admin.allow_anonymous_read("up")
    uploaded(running.url, "up", wheel("internal-lib", "9.9"))
    uploaded(running.url, "up", wheel("public-lib", "1.0"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, upstream: CargoholdServer
) -> Iterator[CargoholdServer]:
    running = CargoholdServer(tmp_path_factory.mktemp("cargohold") / "data").start()
    admin = running.admin
    admin.call("POST", "/repositories", 201, {"key": "py", "format": "pypi"})
    body = {"key": "mirror", "format": "pypi", "kind": "remote"}
    admin.call("POST", "/repositories", 201, body | {"upstream": f"{upstream.url}/pypi/up/simple"})
    virtual = {"key": "all", "format": "pypi", "kind": "virtual", "members": ["py", "mirror"]}
    admin.call("POST", "/repositories", 201, virtual | {"defaultDeployRepo": "py"})
    admin.create_user("ci", CI_PASSWORD)
    admin.grant("user:ci", ["py", "mirror", "all"], ["read", "write"])
    admin.create_user("reader", READER_PASSWORD)
    admin.grant("user:reader", ["py"], ["read"])
    yield running
    running.stop()


@pytest.fixture(scope="module")
def token(server: CargoholdServer) -> str:
    response = httpx.post(
        f"{server.url}/api/v1/tokens",
        json={"description": "pypi e2e"},
        auth=("ci", CI_PASSWORD),
        timeout=30,
    )
    assert response.status_code == 201, response.text
    secret: str = response.json()["token"]
    return secret


@pytest.fixture
def clients(tmp_path: Path) -> PythonClients:
    return PythonClients(tmp_path / "home")


def index(server: CargoholdServer, key: str, token: str) -> str:
    return f"http://ci:{token}@{server.host}/pypi/{key}/simple/"


def written(folder: Path, *dists: Dist) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for dist in dists:
        (folder / dist.filename).write_bytes(dist.data)
        paths.append(str(folder / dist.filename))
    return paths


def installed_version(target: Path, module: str) -> str:
    text = (target / module / "__init__.py").read_text()
    return text.split('"')[1]


def test_twine_uploads_and_pip_installs_with_required_hashes(
    server: CargoholdServer, token: str, clients: PythonClients, tmp_path: Path
) -> None:
    dists = [wheel("twine-demo", "1.0"), sdist("twine-demo", "1.0")]
    files = written(tmp_path / "dist", *dists)
    url = f"{server.url}/pypi/py/"
    clients.twine("upload", "--repository-url", url, "-u", "ci", "-p", token, *files)

    again = clients.twine(
        "upload", "--repository-url", url, "-u", "ci", "-p", token, *files, check=False
    )
    assert again.returncode != 0
    shown = output(again)  # twine: "HTTPError: 409 Conflict from URL", then the reason
    assert "409 Conflict" in shown
    assert "File already exists: twine_demo-1.0-py3-none-any.whl already exists in 'py'" in shown
    # twine 7 takes --skip-existing only for pypi.org and test.pypi.org: elsewhere it stops
    # before uploading; its recognition of a 409 is for those and older twines.
    pypirc = clients.home / ".pypirc"
    pypirc.write_text(
        "[distutils]\nindex-servers = cargohold\n\n"
        f"[cargohold]\nrepository = {url}\nusername = ci\npassword = {token}\n"
    )
    newer = written(tmp_path / "dist2", wheel("twine-demo", "1.1"))
    clients.twine("upload", "--config-file", str(pypirc), "-r", "cargohold", *newer)

    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"twine-demo==1.0 --hash=sha256:{dists[0].sha256}\n")
    target = tmp_path / "target"
    clients.pip(
        "install",
        "--index-url",
        index(server, "py", token),
        "--require-hashes",
        "-r",
        str(requirements),
        "--target",
        str(target),
    )
    assert installed_version(target, "twine_demo") == "1.0"
    latest = tmp_path / "latest"
    clients.pip(
        "install",
        "--index-url",
        index(server, "py", token),
        "--only-binary",
        ":all:",
        "--target",
        str(latest),
        "twine-demo",
    )
    assert installed_version(latest, "twine_demo") == "1.1"


def test_uv_publishes_and_installs(
    server: CargoholdServer, token: str, clients: PythonClients, tmp_path: Path
) -> None:
    dist = wheel("uv-demo", "2.0")
    files = written(tmp_path / "dist", dist, sdist("uv-demo", "2.0"))
    clients.uv(
        "publish",
        "--publish-url",
        f"{server.url}/pypi/py/",
        "--username",
        "ci",
        "--password",
        token,
        *files,
    )
    published = page(server.url, "py", "uv-demo")
    assert published["versions"] == ["2.0"]
    assert sorted(f["filename"] for f in published["files"]) == [
        "uv_demo-2.0-py3-none-any.whl",
        "uv_demo-2.0.tar.gz",
    ]
    target = tmp_path / "target"
    clients.uv(
        "pip",
        "install",
        "--index-url",
        index(server, "py", token),
        "--python",
        clients.env["PATH"].split(":")[0] + "/python",
        "--target",
        str(target),
        "uv-demo==2.0",
    )
    assert installed_version(target, "uv_demo") == "2.0"


def test_a_yanked_version_is_taken_only_when_pinned(
    server: CargoholdServer, token: str, clients: PythonClients, tmp_path: Path
) -> None:
    uploaded(server.url, "py", wheel("yank-demo", "1.0"))
    uploaded(server.url, "py", wheel("yank-demo", "1.1"))
    server.admin.call("POST", "/packages/py/yank-demo/1.1/yank", 200, {"reason": "broken build"})
    unpinned = tmp_path / "unpinned"
    clients.pip(
        "download",
        "--no-deps",
        "--index-url",
        index(server, "py", token),
        "-d",
        str(unpinned),
        "yank-demo",
    )
    assert [p.name for p in unpinned.iterdir()] == ["yank_demo-1.0-py3-none-any.whl"]
    pinned = tmp_path / "pinned"
    taken = clients.pip(
        "download",
        "--no-deps",
        "--index-url",
        index(server, "py", token),
        "-d",
        str(pinned),
        "yank-demo==1.1",
    )
    assert [p.name for p in pinned.iterdir()] == ["yank_demo-1.1-py3-none-any.whl"]
    assert "broken build" in output(taken)


def test_remote_and_virtual_repositories_with_the_dependency_confusion_guard(
    server: CargoholdServer, token: str, clients: PythonClients, tmp_path: Path
) -> None:
    uploaded(server.url, "py", wheel("internal-lib", "1.0"))
    through_remote = tmp_path / "remote"
    clients.pip(
        "install",
        "--index-url",
        index(server, "mirror", token),
        "--target",
        str(through_remote),
        "public-lib==1.0",
    )
    assert installed_version(through_remote, "public_lib") == "1.0"

    target = tmp_path / "virtual"
    clients.pip(
        "install",
        "--index-url",
        index(server, "all", token),
        "--target",
        str(target),
        "internal-lib",
        "public-lib",
    )
    assert installed_version(target, "internal_lib") == "1.0"  # not the upstream's 9.9
    assert installed_version(target, "public_lib") == "1.0"
    uv_target = tmp_path / "uv-virtual"
    clients.uv(
        "pip",
        "install",
        "--index-url",
        index(server, "all", token),
        "--python",
        clients.env["PATH"].split(":")[0] + "/python",
        "--target",
        str(uv_target),
        "internal-lib",
    )
    assert installed_version(uv_target, "internal_lib") == "1.0"

    # However the name is spelt, and whoever asks, the upstream's internal-lib is not served.
    upstreams = "internal_lib-9.9-py3-none-any.whl"
    for spelling in ("internal-lib", "Internal_Lib", "INTERNAL.lib"):
        url = f"{server.url}/pypi/all/files/{spelling}/9.9/{upstreams}"
        assert httpx.get(url, auth=("ci", CI_PASSWORD)).status_code == 404, spelling
    server.admin.create_user("outsider", "outsider-password")
    server.admin.grant("user:outsider", ["mirror", "all"], ["read"])  # not the local py
    outsider = ("outsider", "outsider-password")
    shown = httpx.get(f"{server.url}/pypi/all/simple/internal-lib/", auth=outsider)
    assert shown.status_code == 404  # a name the organisation holds: never the remote's
    assert httpx.get(f"{server.url}/pypi/all/simple/public-lib/", auth=outsider).status_code == 200


def test_refusals_clients_show_name_the_reason(
    server: CargoholdServer, token: str, clients: PythonClients, tmp_path: Path
) -> None:
    url = f"{server.url}/pypi/py/"
    reader = clients.twine(
        "upload",
        "--repository-url",
        url,
        "-u",
        "reader",
        "-p",
        READER_PASSWORD,
        *written(tmp_path / "r", wheel("reader-demo", "1.0")),
        check=False,
    )
    assert reader.returncode != 0
    assert "403 Forbidden" in output(reader)
    assert "'reader' may not write repository 'py'" in output(reader)

    anonymous = httpx.post(url, data=form(wheel("anon", "1.0")), timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Basic realm="cargohold"'

    lying = wheel("liar", "1.0", meta_name="someone-else")
    refused = clients.twine(
        "upload",
        "--repository-url",
        url,
        "-u",
        "ci",
        "-p",
        token,
        *written(tmp_path / "l", lying),
        check=False,
    )
    assert refused.returncode != 0
    assert "400" in output(refused)
    assert "must agree" in output(refused)

    def post(dist: Dist, filename: str | None = None, **fields: str) -> httpx.Response:
        return httpx.post(
            url,
            data=form(dist, **fields),
            files={"content": (filename or dist.filename, dist.data)},
            auth=("ci", token),
            timeout=30,
        )

    good = wheel("good", "1.0")
    evil = post(good, "../evil-1.0-py3-none-any.whl")
    assert evil.status_code == 400
    assert "is not a plain file name" in evil.reason_phrase
    wrong = post(good, sha256_digest="0" * 64)
    assert wrong.status_code == 400
    assert "checksum mismatch" in wrong.reason_phrase
    malformed = httpx.post(
        url,
        content=b"--xyz\r\nContent-Disposition: form-data\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
        auth=("ci", token),
        timeout=30,
    )
    assert malformed.status_code == 400
    assert "malformed" in malformed.reason_phrase or "no" in malformed.reason_phrase

    uploaded(server.url, "py", wheel("Six", "1.0"))
    uploaded(server.url, "py", wheel("six", "2.0"))
    both = tmp_path / "six"
    clients.pip(
        "download",
        "--no-deps",
        "--index-url",
        index(server, "py", token),
        "-d",
        str(both),
        "SIX==1.0",
    )
    assert [p.name for p in both.iterdir()] == ["six-1.0-py3-none-any.whl"]
    assert page(server.url, "py", "six")["versions"] == ["1.0", "2.0"]


HIGH = "GHSA-v845-jxx5-vc9f"
ADVISORY: dict[str, Any] = {
    "schema_version": "1.6.0",
    "id": HIGH,
    "modified": "2024-02-01T00:00:00Z",
    "published": "2023-10-17T00:00:00Z",
    "aliases": ["CVE-2023-43804"],
    "summary": "urllib3 before 1.26.17",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "urllib3", "purl": "pkg:pypi/urllib3"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.26.17"}]}
            ],
        }
    ],
}


def test_a_download_blocked_by_a_policy_names_the_policy_and_the_advisory(
    server: CargoholdServer, token: str, clients: PythonClients, tmp_path: Path
) -> None:
    admin = server.admin
    admin.call("POST", "/repositories", 201, {"key": "gated", "format": "pypi"})
    response = httpx.post(
        f"{server.url}/api/v1/vulndb/import",
        content=json.dumps([ADVISORY]),
        headers={"Content-Type": "application/json"},
        auth=admin.auth,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    data = fx.fixture(fx.URLLIB3_WHEEL).read_bytes()
    urllib3 = Dist(
        "urllib3-1.26.5-py2.py3-none-any.whl", data, "bdist_wheel", "urllib3", "1.26.5", b""
    )
    uploaded(server.url, "gated", urllib3)
    body = {"name": "no-high", "rules": {"minSeverity": "HIGH"}, "actions": {"blockDownload": True}}
    admin.call("POST", "/policies", 201, body)
    admin.call(
        "POST",
        "/watches",
        201,
        {"name": "gate", "repositories": ["gated"], "policies": ["no-high"]},
    )
    auth = ("ci", token)
    admin.grant("user:ci", ["gated"], ["read"])
    file_url = f"{server.url}/pypi/gated/files/urllib3/1.26.5/{urllib3.filename}"

    def blocked() -> bool:
        return httpx.get(file_url, auth=auth, timeout=30).status_code == 403

    wait_for(blocked, "the scan of urllib3 did not block it", timeout=60)
    said = f'blocked by policy "no-high" (watch "gate"): {HIGH} (HIGH) in urllib3 1.26.5'
    pip = clients.pip(
        "install",
        "--index-url",
        index(server, "gated", token),
        "--target",
        str(tmp_path / "pip"),
        "urllib3==1.26.5",
        check=False,
    )
    assert pip.returncode != 0
    assert said in output(pip)
    uv = clients.uv(
        "pip",
        "install",
        "--index-url",
        index(server, "gated", token),
        "--python",
        clients.env["PATH"].split(":")[0] + "/python",
        "--target",
        str(tmp_path / "uv"),
        "urllib3==1.26.5",
        check=False,
    )
    assert uv.returncode != 0
    assert "403" in output(uv)
