"""Online garbage collection: space comes back while clients push and pull.

``claims`` is the writers' side (a blob is claimed before its bytes are written or counted
on), ``collector`` the collection itself, ``service`` the use cases (run it, now or on a
schedule; say why a blob is still here). The protocol that makes the two sides safe
together is written down in ``cargohold.meta.gc``.
"""
