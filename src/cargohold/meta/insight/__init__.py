"""Tables and queries of insight: advisories, scans with their components and findings, the
per-layer index cache, and where-used."""
