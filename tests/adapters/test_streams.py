"""Streams on every client: what bounds them, and what ends them.

A stream's ``timeout`` bounds connecting and the wait for the answer's
headers; a download's reads then each get ``timeout``, a live stream's
none (it runs until stopped). Closing a stream, or the client, closes the
connection.
"""

from __future__ import annotations

import concurrent.futures
import time

import pytest
from adapters.faults import STALL_BODY, TRICKLE_BODY, TRICKLE_HEADERS
from harness import close_stream, take, wait_until

import consul


def test_the_headers_must_come_within_the_timeout(fault_server, client):
    fault_server.default = TRICKLE_HEADERS
    c = client(fault_server, timeout=0.3)
    started = c.loop.clock()
    with pytest.raises(consul.Timeout) as caught:
        c.agent.monitor()
    assert 0.3 <= c.loop.clock() - started < 1.3
    assert caught.value.path == "/v1/agent/monitor"
    with pytest.raises(consul.Timeout):
        c.snapshot.save_to("unused")


def test_a_download_may_take_longer_than_its_timeout_while_bytes_come(fault_server, client):
    # A byte every 0.2 s: each read is within the timeout, the whole is not.
    fault_server.default = TRICKLE_BODY
    c = client(fault_server, timeout=0.5)
    stream = c.snapshot.stream()
    started = time.monotonic()
    try:
        parts = take(c, stream, 5)
    finally:
        close_stream(c, stream)
    assert time.monotonic() - started > 0.5
    assert len(b"".join(parts)) >= 5


def test_a_download_whose_bytes_stop_coming_times_out(fault_server, client, tmp_path):
    fault_server.default = STALL_BODY
    c = client(fault_server, timeout=0.3)
    target = tmp_path / "snap"
    with pytest.raises(consul.Timeout):
        c.snapshot.save_to(target)
    assert list(tmp_path.iterdir()) == []
    wait_until(lambda: fault_server.ended == 1)


def test_closing_a_stream_closes_its_connection(fault_server, client):
    fault_server.default = STALL_BODY
    c = client(fault_server, timeout=0.5)
    stream = c.agent.monitor()
    # A live stream has no read timeout: still open once its timeout has passed.
    time.sleep(0.6)
    assert fault_server.ended == 0
    close_stream(c, stream)
    wait_until(lambda: fault_server.ended == 1)
    assert take(c, stream, 1) == []


def test_closing_the_client_closes_its_streams(fault_server, client, adapter):
    fault_server.default = STALL_BODY
    c = client(fault_server)
    stream = c.agent.monitor()
    c.close()
    wait_until(lambda: fault_server.ended == 1)
    with pytest.raises(consul.ClientClosed):
        take(c, stream, 1)


@pytest.mark.parametrize("adapter", ["std", "threadpool"])
def test_a_blocked_read_ends_when_another_thread_closes_the_stream(fault_server, client):
    fault_server.default = STALL_BODY
    c = client(fault_server)
    stream = c.agent.monitor()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        reading = pool.submit(take, c, stream, 1)
        stream.close()  # before or during the read: it ends either way
        assert reading.result(10) == []
    wait_until(lambda: fault_server.ended == 1)
