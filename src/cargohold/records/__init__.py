"""Records: the values every layer above ``core`` shares — rows as the metadata store returns
them and as the use cases and protocols pass them on. Pure data, no I/O; one module per
capability, like ``meta/`` and ``registry/``."""
