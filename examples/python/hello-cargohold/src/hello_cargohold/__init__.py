"""A package to publish to cargohold's PyPI repositories."""


def greeting() -> str:
    return "hello from cargohold"
