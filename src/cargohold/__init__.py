"""cargohold: a universal artifact repository."""

__version__ = "0.1.0"
