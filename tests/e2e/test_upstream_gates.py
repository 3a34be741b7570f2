"""Failing and throttling upstreams through ``Upstream`` and its gates: scripted servers on
loopback answer 429 with Retry-After, 5xx, too slowly or cut short, and a second ``Upstream``
(another process) shares the gates in a SQLite database. Time moves by a clock the test
turns, not by sleeping."""

from __future__ import annotations

import logging
import time

import pytest

from cargohold.core.errors import UpstreamThrottled, UpstreamUnavailable
from cargohold.meta.store import MetadataStore
from cargohold.metrics import UPSTREAM_REQUESTS
from cargohold.records.repositories import Remote
from cargohold.registry.remote.gates import UpstreamGates, origin_of
from cargohold.registry.remote.upstream import Upstream
from cargohold.upstream.client import HttpUpstreamClient
from tests.scripted_http import Answer, Clock, Scripted, run

pytestmark = pytest.mark.e2e


def test_429_closes_the_gate_for_every_process_until_retry_after(
    scripted: Scripted, meta: MetadataStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    answers = iter([Answer(429, {"Retry-After": "2"}, b"slow down")])
    scripted.answer = lambda _: next(answers, Answer(200, body=b"fine"))
    remote = Remote(scripted.url)
    throttled = UPSTREAM_REQUESTS.labels("throttled")
    counted = throttled.value

    async def scenario() -> None:
        client = HttpUpstreamClient()
        here = Upstream(client, UpstreamGates(meta, clock), clock)
        there = Upstream(client, UpstreamGates(meta, clock), clock)  # another process
        try:
            with pytest.raises(UpstreamThrottled) as first:
                async with here.open("hub", remote, "GET", "/v2/a"):
                    pass
            assert first.value.detail == {"retry_after": 2}
            assert f"upstream {scripted.url} of remote repository 'hub'" in first.value.message
            for upstream in (here, there):
                with pytest.raises(UpstreamThrottled) as again:
                    async with upstream.open("hub", remote, "GET", "/v2/a"):
                        pass
                assert again.value.detail in ({"retry_after": 2}, {"retry_after": 1})
            assert len(scripted.asked) == 1  # the refused requests never reached it
            clock.ahead += 2.1
            async with there.open("hub", remote, "GET", "/v2/a") as reply:
                assert (reply.status, await reply.read(10)) == (200, b"fine")
        finally:
            await client.aclose()

    with caplog.at_level(logging.INFO, logger="cargohold.remote"):
        run(scenario)
    assert len(scripted.asked) == 2
    assert meta.upstream_gates.get(origin_of(scripted.url)) is None
    assert throttled.value - counted == 3
    messages = [r.getMessage() for r in caplog.records if r.name == "cargohold.remote"]
    assert len(messages) == 2, messages
    assert "answered 429" in messages[0] and "for 2 s" in messages[0]
    assert "answers again" in messages[1]


def test_failures_in_a_row_back_off_and_an_answer_reopens(
    scripted: Scripted, meta: MetadataStore
) -> None:
    clock = Clock()
    statuses = iter([502, 503, 404])
    scripted.answer = lambda _: Answer(next(statuses), body=b"")
    remote = Remote(scripted.url)
    origin = origin_of(scripted.url)

    async def scenario() -> None:
        client = HttpUpstreamClient()
        upstream = Upstream(client, UpstreamGates(meta, clock), clock)
        try:
            for status, window in ((502, 1), (503, 2)):
                with pytest.raises(UpstreamUnavailable) as failed:
                    async with upstream.open("hub", remote, "GET", "/v2/a"):
                        pass
                assert failed.value.message == (
                    f"upstream {scripted.url} of remote repository 'hub' answered {status}; "
                    "try again later"
                )
                gate = meta.upstream_gates.get(origin)
                assert gate is not None and round(gate.closed_until - clock()) == window
                with pytest.raises(UpstreamThrottled):
                    async with upstream.open("hub", remote, "GET", "/v2/a"):
                        pass
                clock.ahead += window + 0.1
            async with upstream.open("hub", remote, "GET", "/v2/a") as reply:
                assert reply.status == 404  # the caller's to decide
        finally:
            await client.aclose()

    run(scenario)
    assert len(scripted.asked) == 3
    assert meta.upstream_gates.get(origin) is None


def test_an_offline_repository_never_asks(scripted: Scripted, meta: MetadataStore) -> None:
    async def scenario() -> str:
        client = HttpUpstreamClient()
        upstream = Upstream(client, UpstreamGates(meta), time.time)
        try:
            with pytest.raises(UpstreamUnavailable) as refused:
                async with upstream.open("hub", Remote(scripted.url, offline=True), "GET", "/"):
                    pass
            return refused.value.message
        finally:
            await client.aclose()

    assert run(scenario) == (
        "remote repository 'hub' is offline: it serves only what it holds, and does not ask "
        f"its upstream {scripted.url}"
    )
    assert scripted.asked == []


def test_unreachable_slow_and_cut_short_are_said_so(
    scripted: Scripted, meta: MetadataStore
) -> None:
    gone = Scripted()
    gone.stop()  # its port: nothing listens there now
    clock = Clock()

    async def failure(remote: Remote) -> str:
        client = HttpUpstreamClient()
        upstream = Upstream(client, UpstreamGates(meta, clock), clock)
        try:
            with pytest.raises(UpstreamUnavailable) as failed:
                async with upstream.open("hub", remote, "GET", "/v2/a") as reply:
                    await reply.read(1000)
            return failed.value.message
        finally:
            await client.aclose()

    refused = run(lambda: failure(Remote(gone.url)))
    assert refused.startswith(f"upstream {gone.url} of remote repository 'hub' could not be")
    assert meta.upstream_gates.get(origin_of(gone.url)) is not None

    scripted.answer = lambda _: Answer(200, body=b"late", delay=1.0)
    started = time.monotonic()
    slow = run(lambda: failure(Remote(scripted.url, timeout_seconds=0.3)))
    assert time.monotonic() - started < 1.0
    assert slow == f"upstream {scripted.url} of remote repository 'hub' did not answer within 0.3 s"

    clock.ahead += 1.1  # past the gate the slow answer closed
    scripted.answer = lambda _: Answer(200, body=b"x" * 100, cut_after=10)
    cut = run(lambda: failure(Remote(scripted.url)))
    assert cut.startswith(f"upstream {scripted.url} of remote repository 'hub' ")
    assert "broke off the body after 10 of 100 bytes" in cut, cut
