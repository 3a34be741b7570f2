"""What the package formats (PyPI, npm) share: storing an uploaded package file, publishing
a version with its files in one step, reading, dist-tags, yanking and deleting, with the
access checks, audit records, events, scans and download policies every format has."""
