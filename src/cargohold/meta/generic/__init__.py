"""Tables and queries of generic repositories: files by path, with their checksums."""
