"""Networks as settings name them (CIDRs): the allowed targets of webhooks, who may scrape the
metrics, which proxies' forwarded headers count."""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

__all__ = ["Network"]
