"""Tables and queries of events and webhooks: stored events, webhooks and their deliveries."""
