"""Retention: policies that say which tags and untagged manifests of docker repositories go
(by tag pattern, count and age), runs of them (dry or real, on demand or on a schedule) and
what no policy ever removes (immutable tags, recent promotions, ``retention.protect``, the
manifests a kept one needs).

Belongs here: deciding what goes and removing it as metadata, audited, with an event per
removal. Not here: the bytes, which garbage collection reclaims once nothing refers to them."""
