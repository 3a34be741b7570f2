"""The ``cargohold`` command."""
