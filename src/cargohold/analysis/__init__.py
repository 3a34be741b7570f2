"""What is inside an artifact: unpacking (image layers, nested archives), catalogers, and
matching against vulnerability advisories. Plain synchronous code, run by job workers; it
knows nothing of HTTP or of the metadata store."""
