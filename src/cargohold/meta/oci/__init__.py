"""Tables and queries of OCI content: blobs and their links to repositories, upload
sessions, manifests, their references and tags."""
