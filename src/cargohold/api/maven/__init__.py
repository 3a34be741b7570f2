"""Maven repositories: the Maven 2 layout that mvn and Gradle deploy to and resolve from."""

from cargohold.api.maven.app import build

__all__ = ["build"]
