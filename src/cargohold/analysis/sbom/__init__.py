"""Software bills of materials for an analysed artifact: CycloneDX 1.6 JSON and SPDX 2.3 JSON,
made from the same Inventory. Both are pure functions of their arguments, so the same
artifact, inventory and creation time give the same bytes."""

from __future__ import annotations

from cargohold.analysis.sbom.common import SbomSubject
from cargohold.analysis.sbom.cyclonedx import cyclonedx_json
from cargohold.analysis.sbom.spdx import spdx_json

__all__ = ["SbomSubject", "cyclonedx_json", "spdx_json"]
