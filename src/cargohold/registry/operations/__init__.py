"""What administrators run: repositories and the job queue (later metrics and backups).

Each use case here checks who asks and, for a change, commits its audit record with it. It
sits above identity (who may) and over the bottom layers it administers
(``registry.repositories``, ``registry.jobs``), which the rest of registry/ looks things up
in without any check.
"""
