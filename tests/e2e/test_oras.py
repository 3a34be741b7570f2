"""The oras Python SDK against the real server: artifacts with an artifact type and a subject,
found again through the referrers API and pulled back byte-identical."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import oras.client
import oras.oci
import pytest

from tests.images import OCI_INDEX, OCI_MANIFEST, Image, descriptor, make_image, sha256
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e

SBOM_TYPE = "application/vnd.cargohold.test.sbom.v1+json"
SIGNATURE_TYPE = "application/vnd.cargohold.test.signature.v1"
SPDX = "application/spdx+json"
EMPTY = "application/vnd.oci.empty.v1+json"
AUTH = (ADMIN_USER, ADMIN_PASSWORD)


class Oras:
    """An oras SDK client logged in to the server with a docker config file of its own."""

    def __init__(self, server: CargoholdServer, home: Path) -> None:
        self.server = server
        self.config = home / "config.json"
        self.client: Any = oras.client.OrasClient(
            hostname=server.host, insecure=True, auth_backend="basic"
        )
        status = self.client.login(
            username=ADMIN_USER,
            password=ADMIN_PASSWORD,
            hostname=server.host,
            config_path=str(self.config),
        )
        assert status == {"Status": "Login Succeeded"}
        assert server.host in json.loads(self.config.read_text())["auths"]

    def ref(self, name: str) -> str:
        return f"{self.server.host}/{name}"

    def upload(
        self,
        name: str,
        data: bytes,
        media_type: str,
        directory: Path,
        chunk_size: int | None = None,
    ) -> dict[str, object]:
        """Push one blob through oras (monolithic, or chunked with ``chunk_size``)."""
        path = directory / sha256(data).removeprefix("sha256:")
        path.write_bytes(data)
        layer = descriptor(media_type, data)
        if chunk_size is None:
            response = self.client.upload_blob(str(path), self.ref(name), layer)
        else:
            response = self.client.upload_blob(
                str(path), self.ref(name), layer, do_chunked=True, chunk_size=chunk_size
            )
        assert response.status_code in (200, 201), response.text
        return layer

    def download(self, name: str, digest: str, directory: Path) -> bytes:
        out = directory / digest.removeprefix("sha256:")
        written: str = self.client.download_blob(self.ref(name), digest, str(out))
        return Path(written).read_bytes()


@pytest.fixture(scope="module")
def client(server: CargoholdServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oras]:
    home = tmp_path_factory.mktemp("oras-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))  # the SDK also reads ~/.docker/config.json
        patch.delenv("DOCKER_CONFIG", raising=False)
        patch.delenv("ORAS_USER", raising=False)
        patch.delenv("ORAS_PASS", raising=False)
        logged_in = Oras(server, home)
        yield logged_in
        logged_in.client.session.close()


def push_image(client: Oras, name: str, tag: str, image: Image, directory: Path) -> None:
    """An image to refer to: blobs through oras, the manifest PUT as exact bytes."""
    client.upload(name, image.config, "application/vnd.oci.image.config.v1+json", directory)
    for layer in image.layers:
        client.upload(name, layer, "application/vnd.oci.image.layer.v1.tar+gzip", directory)
    put_manifest(client.server, name, tag, image.manifest)


def put_manifest(server: CargoholdServer, name: str, reference: str, body: bytes) -> httpx.Response:
    response = httpx.put(
        f"{server.url}/v2/{name}/manifests/{reference}",
        content=body,
        headers={"Content-Type": OCI_MANIFEST},
        auth=AUTH,
    )
    assert response.status_code == 201, response.text
    assert response.headers["docker-content-digest"] == sha256(body)
    return response


def subject_of(image: Image) -> Any:
    return oras.oci.Subject(mediaType=OCI_MANIFEST, digest=image.digest, size=len(image.manifest))


def referrers(
    server: CargoholdServer,
    name: str,
    digest: str,
    artifact_type: str | None = None,
) -> httpx.Response:
    params = {} if artifact_type is None else {"artifactType": artifact_type}
    response = httpx.get(f"{server.url}/v2/{name}/referrers/{digest}", params=params, auth=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == OCI_INDEX
    body = response.json()
    assert body["schemaVersion"] == 2
    assert body["mediaType"] == OCI_INDEX
    return response


def push_sbom(client: Oras, name: str, image: Image, directory: Path) -> tuple[str, bytes]:
    """``oras push`` of an SBOM file whose config media type is its artifact type."""
    directory.mkdir(parents=True, exist_ok=True)
    sbom = directory / "sbom.spdx.json"
    content = json.dumps({"spdxVersion": "SPDX-2.3", "name": image.digest}).encode()
    sbom.write_bytes(content)
    config = directory / "config.json"
    config.write_bytes(b'{"generator": "cargohold tests"}')
    response = client.client.push(
        target=client.ref(f"{name}:sbom"),
        files=[f"{sbom}:{SPDX}"],
        manifest_config=f"{config}:{SBOM_TYPE}",
        manifest_annotations={"org.opencontainers.image.description": "test sbom"},
        subject=subject_of(image),
        disable_path_validation=True,
        config_path=str(client.config),
        quiet=True,
    )
    assert response.status_code == 201, response.text
    assert response.headers["OCI-Subject"] == image.digest
    digest: str = response.headers["Docker-Content-Digest"]
    return digest, content


def test_push_artifact_with_subject_and_pull_it_through_referrers(
    client: Oras, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"app": b"the subject image"}], label="oras-subject")
    push_image(client, "dev/oras-app", "1", image, tmp_path)
    digest, content = push_sbom(client, "dev/oras-app", image, tmp_path / "sbom")

    served = httpx.get(
        f"{server.url}/v2/dev/oras-app/manifests/{digest}",
        headers={"Accept": OCI_MANIFEST},
        auth=AUTH,
    )
    assert served.status_code == 200
    manifest = json.loads(served.content)
    assert manifest["subject"] == {
        "mediaType": OCI_MANIFEST,
        "digest": image.digest,
        "size": len(image.manifest),
    }
    assert manifest["config"]["mediaType"] == SBOM_TYPE

    listed = referrers(server, "dev/oras-app", image.digest).json()["manifests"]
    assert listed == [
        {
            "mediaType": OCI_MANIFEST,
            "digest": digest,
            "size": len(served.content),
            # no artifactType in the manifest: the config media type stands in (OCI spec)
            "artifactType": SBOM_TYPE,
            "annotations": {"org.opencontainers.image.description": "test sbom"},
        }
    ]

    out = tmp_path / "pulled"
    files: list[str] = client.client.pull(
        target=client.ref(f"dev/oras-app@{listed[0]['digest']}"),
        outdir=str(out),
        config_path=str(client.config),
    )
    assert [Path(file).name for file in files] == ["sbom.spdx.json"]
    assert Path(files[0]).read_bytes() == content
    assert client.download("dev/oras-app", manifest["config"]["digest"], tmp_path) == (
        b'{"generator": "cargohold tests"}'
    )


def test_referrers_filtered_by_artifact_type(
    client: Oras, server: CargoholdServer, tmp_path: Path
) -> None:
    name = "dev/oras-signed"
    image = make_image([{"app": b"signed and described"}], label="oras-filter")
    push_image(client, name, "1", image, tmp_path)
    sbom_digest, _ = push_sbom(client, name, image, tmp_path / "sbom")

    signature = bytes(range(256)) * 20  # several chunks of 1000 bytes
    layer = client.upload(name, signature, "application/octet-stream", tmp_path, chunk_size=1000)
    empty = client.upload(name, b"{}", EMPTY, tmp_path)
    signature_manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": SIGNATURE_TYPE,
            "config": empty,
            "layers": [layer],
            "subject": descriptor(OCI_MANIFEST, image.manifest),
            "annotations": {"org.example.signer": "tests"},
        }
    ).encode()
    signature_digest = sha256(signature_manifest)
    pushed = put_manifest(server, name, signature_digest, signature_manifest)
    assert pushed.headers["oci-subject"] == image.digest

    everything = referrers(server, name, image.digest)
    assert "oci-filters-applied" not in everything.headers
    by_digest = {entry["digest"]: entry for entry in everything.json()["manifests"]}
    assert set(by_digest) == {sbom_digest, signature_digest}
    assert by_digest[signature_digest] == {
        "mediaType": OCI_MANIFEST,
        "digest": signature_digest,
        "size": len(signature_manifest),
        "artifactType": SIGNATURE_TYPE,
        "annotations": {"org.example.signer": "tests"},
    }

    signatures = referrers(server, name, image.digest, SIGNATURE_TYPE)
    assert signatures.headers["oci-filters-applied"] == "artifactType"
    assert [entry["digest"] for entry in signatures.json()["manifests"]] == [signature_digest]

    sboms = referrers(server, name, image.digest, SBOM_TYPE)
    assert sboms.headers["oci-filters-applied"] == "artifactType"
    assert [entry["digest"] for entry in sboms.json()["manifests"]] == [sbom_digest]

    none = referrers(server, name, image.digest, "application/vnd.cargohold.test.nothing")
    assert none.headers["oci-filters-applied"] == "artifactType"
    assert none.json()["manifests"] == []

    assert client.download(name, str(layer["digest"]), tmp_path / "out") == signature


def test_referrers_of_a_digest_nothing_refers_to_is_an_empty_index(
    client: Oras, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"app": b"lonely"}], label="oras-lonely")
    push_image(client, "dev/oras-lonely", "1", image, tmp_path)

    assert referrers(server, "dev/oras-lonely", image.digest).json()["manifests"] == []
    unknown = sha256(b"no manifest has this digest")
    assert referrers(server, "dev/oras-lonely", unknown).json()["manifests"] == []


def test_deleted_referrer_disappears_from_the_list(
    client: Oras, server: CargoholdServer, tmp_path: Path
) -> None:
    name = "dev/oras-retract"
    image = make_image([{"app": b"retracted sbom"}], label="oras-retract")
    push_image(client, name, "1", image, tmp_path)
    digest, _ = push_sbom(client, name, image, tmp_path / "sbom")
    assert [e["digest"] for e in referrers(server, name, image.digest).json()["manifests"]] == [
        digest
    ]

    deleted = httpx.delete(f"{server.url}/v2/{name}/manifests/{digest}", auth=AUTH)
    assert deleted.status_code == 202, deleted.text

    assert referrers(server, name, image.digest).json()["manifests"] == []
