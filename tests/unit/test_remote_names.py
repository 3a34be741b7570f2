"""How a remote repository names an image at its upstream: Docker Hub's official images
live under ``library/``, which docker adds to single-segment names; other registries take
the name as it is."""

from __future__ import annotations

import pytest

from cargohold.records.repositories import Remote
from cargohold.registry.oci.docker_upstream import upstream_image


@pytest.mark.parametrize(
    ("upstream", "image", "expected"),
    [
        ("https://registry-1.docker.io", "alpine", "library/alpine"),
        ("https://registry-1.docker.io/", "library/alpine", "library/alpine"),
        ("https://index.docker.io", "nginx", "library/nginx"),
        ("https://registry-1.docker.io", "bitnami/redis", "bitnami/redis"),
        ("https://ghcr.io", "alpine", "alpine"),
        ("http://127.0.0.1:5001", "tool", "tool"),
        ("http://127.0.0.1:5001", "dev/tool", "dev/tool"),
    ],
)
def test_upstream_image(upstream: str, image: str, expected: str) -> None:
    assert upstream_image(Remote(upstream), image) == expected
