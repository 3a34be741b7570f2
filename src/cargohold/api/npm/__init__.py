"""npm repositories: the npm registry API."""
