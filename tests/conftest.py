"""Shared fixtures: pytest runs with the repository root on sys.path (tests is a package)."""
