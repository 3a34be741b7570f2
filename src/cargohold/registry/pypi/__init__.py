"""PyPI repositories: uploads read from the file itself, the project index, and remote and
virtual PyPI repositories."""
