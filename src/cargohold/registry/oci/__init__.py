"""OCI content: blobs and uploads, manifests and tags, referrers, as the distribution-spec
names them; a push or delete commits its audit record, event and scan request with it.

Belongs here: the use cases ``/v2`` serves. Not here: promotion of images (``lifecycle``),
what is inside them (``insight``)."""
