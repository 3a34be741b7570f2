"""Generic repositories: any file at any path, its bytes in the content-addressed blob store;
deploy, read, list and delete, each committing its audit record, event and scan request with
the change.

Belongs here: the use cases ``/generic`` serves. Promotion of files is in ``lifecycle``."""
