"""Queries of remote repositories: checks of mutable names, fetches in progress (the lease
that makes one process the only one to ask the upstream), and upstream gates."""
