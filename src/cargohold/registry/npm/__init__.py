"""npm repositories: publish, packuments, dist-tags, deprecation, unpublish, audit, and
remote and virtual npm repositories."""
