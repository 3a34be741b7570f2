"""One package per protocol, each a small ASGI app with its own error renderer."""
