"""Tables and queries of retention: the policies, what one image holds (tags, manifests, and
what keeps them: immutable tags, recent promotions, ``retention.protect`` properties), and
the removal of what a run chose, re-checked in the transaction that removes it."""
