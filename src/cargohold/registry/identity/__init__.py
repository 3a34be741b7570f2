"""Identity and access: accounts and groups, passwords, API tokens, the registry's bearer
tokens and their signing keys, permissions and the decision whether a caller may act, login
throttling, and the audit log of who did what.

Belongs here: anything that answers "who is calling, and may they?". Not here: what a
repository holds (``oci``, ``generic``) or how it moves (``lifecycle``)."""
