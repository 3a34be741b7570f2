"""The S3 blob store: content-addressed blobs and resumable uploads in an S3-compatible
object store that every node shares.

``location`` parses the storage URL without loading the S3 library (settings use it);
``store`` is the driver, imported by the composition root only when an S3 store is wanted;
``connection`` runs the blocking S3 calls; ``state`` is what an upload in progress records.
"""
