"""Debian repositories: packages uploaded into a pool and listed in distributions and
components, whose signed indexes (``dists/DIST/InRelease``, ``Packages``) apt reads."""
