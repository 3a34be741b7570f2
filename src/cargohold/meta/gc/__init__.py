"""Garbage collection's queries: what keeps a blob alive (``holders``), the writers' side of
the protocol that lets the collector run while they push (``rows``), the collector's own
queries (``collector``) and the answer to "why is this blob still here" (``references``).

The protocol, in one place. A blob's row records when something last linked, referenced or
released it (``touched_at``) and whether the collector is deleting its bytes
(``deleting_since``).

- A writer claims a blob's row before it writes or relies on its bytes, and touches the rows
  of everything a new manifest or file refers to in the transaction that records it; both
  refuse a row being deleted (the writer waits for the deletion, or the push is refused and
  nothing is acknowledged).
- The collector marks a blob for deletion in a transaction that first locks its row (so a
  writer touching it either committed before, and is seen, or waits and then sees the mark),
  then checks, in a statement that sees every commit made before the lock, that nothing
  refers to it and that it was last touched before the grace period. Only then does it
  delete the bytes, and last the row.
"""
