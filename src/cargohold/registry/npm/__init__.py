"""npm repositories' use cases: packuments (full and abbreviated) of local, remote and virtual
repositories, tarballs, publishing with what the tarball says of itself checked, dist-tags,
deprecation, unpublishing, and ``npm audit`` answered from the advisory database."""
