"""Insight: what is inside an artifact. Scans (indexing layers and files once per digest),
the advisory database (OSV import and re-match), reports, SBOMs and their referrers, and
where-used.

Belongs here: use cases over inventories and findings. The unpacking and cataloguing
themselves are in ``cargohold.analysis``; what policies make of findings is in ``policy``."""
