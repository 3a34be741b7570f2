"""Upstream gates: a failure closes an upstream's gate for a window that grows with failures
in a row; failures met while it is closed count once, from any number of processes at once;
a longer Retry-After stretches the window; an answer forgets it all."""

from __future__ import annotations

import threading

from cargohold.meta.store import MetadataStore, open_metadata_store

NOW = 1_700_000_000.0
HUB = "https://registry-1.docker.io:443"


def doubling(failures: int) -> float:
    return float(2 ** (failures - 1))


def test_an_upstream_that_never_failed_has_no_gate(meta: MetadataStore) -> None:
    assert meta.upstream_gates.get(HUB) is None
    assert meta.upstream_gates.reopen(HUB) is False


def test_failures_in_a_row_grow_the_window_and_an_answer_forgets_them(
    meta: MetadataStore,
) -> None:
    gate, closed = meta.upstream_gates.close(HUB, NOW, "answered 502", doubling)
    assert closed and (gate.failures, gate.closed_until) == (1, NOW + 1)
    assert meta.upstream_gates.get(HUB) == gate
    # Closed: another request that met the same outage does not count again.
    again, closed = meta.upstream_gates.close(HUB, NOW + 0.5, "answered 502", doubling)
    assert not closed and again.failures == 1 and again.closed_until == NOW + 1.5
    # Open again, and failing again: the next window is twice as long.
    gate, closed = meta.upstream_gates.close(HUB, NOW + 2, "timed out", doubling)
    assert closed and (gate.failures, gate.closed_until) == (2, NOW + 4)
    stored = meta.upstream_gates.get(HUB)
    assert stored is not None and stored.reason == "timed out" and stored.updated_at == NOW + 2
    assert meta.upstream_gates.get("https://other.example:443") is None

    assert meta.upstream_gates.reopen(HUB) is True
    assert meta.upstream_gates.get(HUB) is None
    gate, closed = meta.upstream_gates.close(HUB, NOW + 10, "answered 503", doubling)
    assert closed and gate.failures == 1


def test_a_longer_retry_after_stretches_a_closed_gate(meta: MetadataStore) -> None:
    meta.upstream_gates.close(HUB, NOW, "answered 502", doubling)
    gate, closed = meta.upstream_gates.close(HUB, NOW, "answered 429", lambda _: 30.0)
    assert not closed and gate.closed_until == NOW + 30 and gate.reason == "answered 429"
    shorter, _ = meta.upstream_gates.close(HUB, NOW + 1, "answered 429", lambda _: 2.0)
    assert shorter.closed_until == NOW + 30


def test_processes_failing_at_once_close_the_gate_once(meta: MetadataStore, meta_url: str) -> None:
    others = [open_metadata_store(meta_url, run_migrations=False) for _ in range(4)]
    ready = threading.Barrier(len(others))
    closed: list[bool] = []

    def fail(store: MetadataStore) -> None:
        ready.wait()
        closed.append(store.upstream_gates.close(HUB, NOW, "refused", doubling)[1])

    threads = [threading.Thread(target=fail, args=(store,)) for store in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in others:
        store.close()
    assert sorted(closed) == [False, False, False, True]
    gate = meta.upstream_gates.get(HUB)
    assert gate is not None and gate.failures == 1
