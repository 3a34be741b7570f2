"""Queries of the package formats (PyPI, npm): versions, their files, dist-tags."""
