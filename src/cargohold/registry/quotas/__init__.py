"""Quotas and storage usage as use cases: the check a push makes before the work when its
size is known up front (the write checks again, authoritatively, in its own transaction:
``meta.quotas``), each repository's usage, and the storage report."""
