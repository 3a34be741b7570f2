"""Backup, restore and verification of an instance: local administration of its stores.

``layout`` is what a backup directory holds (written down there), ``copying`` moves and
checks blobs through the BlobStore interface, ``backup`` takes an online backup while the
server runs, ``restore`` rebuilds an instance from one, ``verify`` checks that every blob the
metadata holds is in the store and hashes right.
"""
