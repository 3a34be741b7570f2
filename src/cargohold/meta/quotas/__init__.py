"""Quotas and usage: what a repository holds (the bytes of the distinct blobs linked to it or
held by its files), what the instance stores, the check a write makes inside its
transaction before it adds bytes to a repository, and the storage report."""
