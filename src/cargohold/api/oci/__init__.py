"""The OCI Distribution Spec v1.1 (``/v2``)."""

from cargohold.api.oci.app import build

__all__ = ["build"]
