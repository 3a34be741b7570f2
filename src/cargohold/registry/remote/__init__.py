"""Remote and virtual repositories, for every format: fetching from an upstream once
whatever the crowd (one request per object across processes), freshness of what is cached,
serving it stale when the upstream is down or throttles, the offline switch, and resolving
a name through the ordered members of a virtual repository. A format's own part (how its
names map to upstream URLs, how its content is stored) lives in its package and drives this
one; nothing here knows Docker."""
