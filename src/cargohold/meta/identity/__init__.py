"""Tables and queries of identity and access: users, groups, permissions, API tokens, login
failures, the audit log and the keys registry tokens are signed with."""
