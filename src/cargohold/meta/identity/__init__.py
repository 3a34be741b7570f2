"""Tables and queries of identity and access: users, groups, permissions, API tokens, login
failures and the audit log."""
