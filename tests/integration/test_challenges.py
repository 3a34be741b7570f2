"""A client that does only token authentication: it sends no credentials up front, follows
every 401 challenge literally (a token for exactly the scope it names, once) and gives up
when the retry is refused too. Every /v2 operation must complete that way."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.images import OCI_MANIFEST, make_image, sha256
from tests.integration.conftest import PASSWORD

pytestmark = pytest.mark.anyio
NAME = "staging/literal/app"  # a private repository: every operation needs a token
OTHER = "prod/literal/base"

_PARAM = re.compile(r'(\w+)="([^"]*)"')


class LiteralClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token: str | None = None
        self.scopes: list[str] = []  # every scope a challenge asked for, in order

    async def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        response = await self._send(method, url, **kwargs)
        if response.status_code != 401:
            return response
        header = response.headers["WWW-Authenticate"]
        assert header.startswith("Bearer "), header
        params = dict(_PARAM.findall(header))
        query = {"service": params["service"]}
        if params.get("scope"):
            query["scope"] = params["scope"]
            self.scopes.append(params["scope"])
        issued = await self.http.get(params["realm"], params=query, auth=("admin", PASSWORD))
        assert issued.status_code == 200, issued.text
        self.token = issued.json()["token"]
        retried = await self._send(method, url, **kwargs)
        assert retried.status_code != 401, (
            f"{method} {url} refused again with a token for {query.get('scope')!r}: "
            f"{retried.headers.get('WWW-Authenticate')}"
        )
        return retried

    async def _send(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})  # type: ignore[call-overload]
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return await self.http.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]


async def test_every_operation_as_a_token_only_client(client: httpx.AsyncClient) -> None:
    literal = LiteralClient(client)
    image = make_image([{"a": b"literal layer"}, {"b": b"second layer"}])
    config, first, second = image.blobs

    # monolithic push of the config
    pushed = await literal.request(
        "POST", f"/v2/{NAME}/blobs/uploads/", params={"digest": sha256(config)}, content=config
    )
    assert pushed.status_code == 201

    # chunked push of a layer, with an out-of-order chunk and the status GET after it
    started = await literal.request("POST", f"/v2/{NAME}/blobs/uploads/")
    assert started.status_code == 202
    location = started.headers["Location"]
    half = len(first) // 2
    patched = await literal.request(
        "PATCH",
        location,
        content=first[:half],
        headers={"Content-Range": f"0-{half - 1}", "Content-Type": "application/octet-stream"},
    )
    assert patched.status_code == 202
    location = patched.headers["Location"]
    out_of_order = await literal.request(
        "PATCH",
        location,
        content=first[half:],
        headers={"Content-Range": f"{half + 5}-{len(first) + 4}"},
    )
    assert out_of_order.status_code == 416
    literal.token = None  # as after a restart of the client: the status GET challenges anew
    status = await literal.request("GET", location)
    assert status.status_code == 204
    assert status.headers["Range"] == f"0-{half - 1}"
    rest = await literal.request(
        "PATCH",
        status.headers["Location"],
        content=first[half:],
        headers={"Content-Range": f"{half}-{len(first) - 1}"},
    )
    assert rest.status_code == 202
    done = await literal.request("PUT", rest.headers["Location"], params={"digest": sha256(first)})
    assert done.status_code == 201

    # mount the second layer from another repository the client may read
    literal.token = None
    other = await literal.request(
        "POST", f"/v2/{OTHER}/blobs/uploads/", params={"digest": sha256(second)}, content=second
    )
    assert other.status_code == 201
    literal.token = None
    mounted = await literal.request(
        "POST", f"/v2/{NAME}/blobs/uploads/", params={"mount": sha256(second), "from": OTHER}
    )
    assert mounted.status_code == 201, mounted.text
    assert literal.scopes[-1] == (f"repository:{OTHER}:pull repository:{NAME}:pull,push")

    # an upload started and cancelled
    literal.token = None
    cancelled = await literal.request("POST", f"/v2/{NAME}/blobs/uploads/")
    literal.token = None
    assert (await literal.request("DELETE", cancelled.headers["Location"])).status_code == 204

    # manifest push, pull, tags, referrers, catalog
    literal.token = None
    put = await literal.request(
        "PUT",
        f"/v2/{NAME}/manifests/1.0",
        content=image.manifest,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert put.status_code == 201
    digest = put.headers["Docker-Content-Digest"]
    for method, path, expected in [
        ("GET", f"/v2/{NAME}/manifests/1.0", 200),
        ("HEAD", f"/v2/{NAME}/manifests/{digest}", 200),
        ("GET", f"/v2/{NAME}/blobs/{sha256(first)}", 200),
        ("HEAD", f"/v2/{NAME}/blobs/{sha256(second)}", 200),
        ("GET", f"/v2/{NAME}/tags/list", 200),
        ("GET", f"/v2/{NAME}/referrers/{digest}", 200),
        ("GET", "/v2/_catalog", 200),
    ]:
        literal.token = None
        response = await literal.request(method, path)
        assert response.status_code == expected, (method, path, response.text)
    pulled = await literal.request("GET", f"/v2/{NAME}/blobs/{sha256(first)}")
    assert pulled.content == first
    assert (await literal.request("GET", f"/v2/{NAME}/tags/list")).json()["tags"] == ["1.0"]

    # deletes
    literal.token = None
    deleted = await literal.request("DELETE", f"/v2/{NAME}/manifests/{digest}")
    assert deleted.status_code == 202
    literal.token = None
    blob_deleted = await literal.request("DELETE", f"/v2/{NAME}/blobs/{sha256(config)}")
    assert blob_deleted.status_code == 202

    assert {s.rpartition(":")[2] for s in literal.scopes} == {"pull", "pull,push", "delete"}


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", f"/v2/{NAME}/blobs/uploads/0123456789abcdef0123456789abcdef", "pull,push"),
        ("PATCH", f"/v2/{NAME}/blobs/uploads/0123456789abcdef0123456789abcdef", "pull,push"),
        ("PUT", f"/v2/{NAME}/blobs/uploads/0123456789abcdef0123456789abcdef", "pull,push"),
        ("DELETE", f"/v2/{NAME}/blobs/uploads/0123456789abcdef0123456789abcdef", "pull,push"),
        ("DELETE", f"/v2/{NAME}/manifests/1.0", "delete"),
        ("DELETE", f"/v2/{NAME}/blobs/{sha256(b'x')}", "delete"),
        ("PUT", f"/v2/{NAME}/manifests/1.0", "pull,push"),
        ("GET", f"/v2/{NAME}/referrers/{sha256(b'x')}", "pull"),
    ],
)
async def test_each_challenge_names_what_the_operation_needs(
    client: httpx.AsyncClient, method: str, path: str, scope: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 401
    assert f'scope="repository:{NAME}:{scope}"' in response.headers["WWW-Authenticate"]


async def test_a_mount_from_a_malformed_name_names_only_the_target(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        f"/v2/{NAME}/blobs/uploads/", params={"mount": sha256(b"x"), "from": 'Bad"Name'}
    )
    assert response.status_code == 401
    assert f'scope="repository:{NAME}:pull,push"' in response.headers["WWW-Authenticate"]
