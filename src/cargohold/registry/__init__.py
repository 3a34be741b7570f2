"""The use cases, protocol-neutral: repositories, uploads, blobs, manifests, access."""

from cargohold.registry.identity.access import AccessControl, Action, Principal
from cargohold.registry.registry import Registry

__all__ = ["AccessControl", "Action", "Principal", "Registry"]
