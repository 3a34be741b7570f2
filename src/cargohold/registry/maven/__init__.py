"""Maven repositories: the Maven 2 layout (``group/path/artifact/version/file``), deploys
checked against their path (checksums, POM coordinates, immutable releases), and the
``maven-metadata.xml`` the server keeps from its own rows."""
