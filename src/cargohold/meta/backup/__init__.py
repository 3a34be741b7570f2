"""Backing up the metadata: the online snapshot of the embedded SQLite database (and putting
one in place on restore), and what a backup, a restore and ``cargohold verify`` read from a
database: the blobs it records and which of them it holds, what it contains, its revision.

A snapshot is taken with SQLite's online backup API, in one step: it reads the live database
(WAL and all) in one read transaction, so it is the database as one commit left it, while the
server goes on writing. The copy is then made self-consistent: no upload sessions (their
bytes are not copied) and no blobs a collection was deleting.
"""
