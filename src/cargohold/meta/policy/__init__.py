"""Tables and queries of policy: policies, watches and exceptions."""
