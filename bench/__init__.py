"""Benchmarks: scripts that start real servers on loopback, load them and print numbers."""
