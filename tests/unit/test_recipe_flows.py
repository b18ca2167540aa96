"""The recipes' flows, fed answers by hand: no I/O, no driver.

Each flow yields steps; a test sends back what Consul would answer (or
throws in its error) and checks the next step. The reads are stand-ins
(tuples naming the read and its arguments) so that steps compare equal.
"""

from __future__ import annotations

import json

import pytest

import consul
from consul._http import Call, Deliver, Request, Sleep, Stopped
from consul.recipes import (
    InvalidIndex,
    LockConflict,
    LockInUse,
    SemaphoreConflict,
    SemaphoreError,
    SemaphoreInUse,
    SessionExpired,
)
from consul.recipes.lock import LOCK_FLAG, acquire_lock, destroy_lock, monitor_lock
from consul.recipes.registration import heartbeat
from consul.recipes.semaphore import (
    SEMAPHORE_FLAG,
    acquire_slot,
    decode_lock,
    destroy_semaphore,
    encode_lock,
    monitor_slot,
    release_slot,
)
from consul.recipes.session import keep_alive
from consul.recipes.watch import Backoff, watch_events, watch_hash, watch_index

NO_JITTER = Backoff(first=1.0, factor=2.0, cap=5.0, jitter=0.0)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def read(index=None, wait=None):
    return ("read", index, wait)


def listing(index=None, wait=None):
    return ("list", index, wait)


def pair(session=None, flags=LOCK_FLAG, value=b"v", modify=7, key="k"):
    entry = {"Key": key, "Flags": flags, "Value": value, "ModifyIndex": modify, "LockIndex": 1}
    if session:
        entry["Session"] = session
    return entry


def unavailable():
    return consul.ConsulConnectionError("connection refused")


# -- watches -------------------------------------------------------------------------


def test_a_watch_delivers_the_first_value_at_once_then_only_changes():
    flow = watch_index(read, backoff=NO_JITTER)
    assert next(flow) == read(None)
    assert flow.send((5, "a")) == Deliver((5, "a"))
    assert next(flow) == read(5)
    # The wait ended with the same index: nothing new, block again.
    assert flow.send((5, "a")) == read(5)
    # A new index, the same value (a write that changed nothing): no delivery.
    assert flow.send((6, "a")) == read(6)
    assert flow.send((9, "b")) == Deliver((9, "b"))
    assert next(flow) == read(9)


def test_a_watch_resets_an_index_that_went_backwards():
    flow = watch_index(read, backoff=NO_JITTER)
    next(flow)
    flow.send((50, "a"))
    assert next(flow) == read(50)
    # The agent started over: its index is below ours. Deliver what changed,
    # then read afresh rather than block on an index the server is below.
    assert flow.send((3, None)) == Deliver((3, None))
    assert next(flow) == read(None)
    assert flow.send((3, None)) == read(3)


def test_a_watch_backs_off_after_errors_and_reads_afresh():
    errors = []
    flow = watch_index(read, backoff=NO_JITTER, on_error=lambda e, d: errors.append((e, d)))
    next(flow)
    flow.send((5, "a"))
    assert next(flow) == read(5)
    assert flow.throw(unavailable()) == Sleep(1.0)
    assert next(flow) == read(None)
    assert flow.throw(unavailable()) == Sleep(2.0)
    assert next(flow) == read(None)
    assert flow.throw(unavailable()) == Sleep(4.0)
    assert next(flow) == read(None)
    assert flow.throw(unavailable()) == Sleep(5.0)  # the cap
    assert next(flow) == read(None)
    assert [d for _, d in errors] == [1.0, 2.0, 4.0, 5.0]
    # Back: the same value is no change; the failures start over.
    assert flow.send((5, "a")) == read(5)
    assert flow.throw(unavailable()) == Sleep(1.0)
    next(flow)
    assert flow.send((8, "b")) == Deliver((8, "b"))


@pytest.mark.parametrize("index", [0, None])
def test_a_zero_or_missing_index_is_a_failure(index):
    errors = []
    flow = watch_index(read, backoff=NO_JITTER, on_error=lambda e, d: errors.append(e))
    next(flow)
    assert flow.send((index, "a")) == Sleep(1.0)
    assert isinstance(errors[0], InvalidIndex)
    assert next(flow) == read(None)


def test_a_bad_request_ends_the_watch():
    flow = watch_index(read, backoff=NO_JITTER)
    next(flow)
    with pytest.raises(consul.BadRequest):
        flow.throw(consul.BadRequest("Invalid wait time", status=400))


def test_event_watches_deliver_each_event_once():
    def event(n):
        return {"ID": f"id-{n}", "Name": "deploy"}

    flow = watch_events(read, backoff=NO_JITTER)
    next(flow)
    assert flow.send((11, [event(1)])) == Deliver((11, [event(1)]))
    assert next(flow) == read(11)
    # The index is not ordered: a "lower" one is just another newest event.
    assert flow.send((4, [event(1), event(2)])) == Deliver((4, [event(2)]))
    assert next(flow) == read(4)
    assert flow.send((4, [event(1), event(2)])) == read(4)


def test_event_watches_deliver_an_empty_first_list():
    flow = watch_events(read, backoff=NO_JITTER)
    next(flow)
    assert flow.send((1, [])) == Deliver((1, []))


def test_hash_watches_block_on_the_content_hash_and_poll_an_absent_service():
    flow = watch_hash(read, backoff=NO_JITTER)
    assert next(flow) == read(None)
    assert flow.send(None) == Deliver(("", None))
    assert next(flow) == Sleep(1.0)
    assert next(flow) == read(None)
    assert flow.send(None) == Sleep(2.0)  # still absent: nothing to deliver
    assert next(flow) == read(None)
    service = {"ID": "web", "ContentHash": "abc"}
    assert flow.send(service) == Deliver(("abc", service))
    assert next(flow) == read("abc")
    assert flow.send(service) == read("abc")
    changed = {"ID": "web", "Port": 80, "ContentHash": "def"}
    assert flow.send(changed) == Deliver(("def", changed))


def test_backoff_is_capped_exponential_with_jitter():
    backoff = Backoff(first=0.5, factor=2, cap=3, jitter=0.5)
    assert [backoff.delay(n, lambda: 0.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 3, 3]
    assert backoff.delay(3, lambda: 1.0) == 1.0  # half of 2 drawn away at most
    assert backoff.delay(10_000, lambda: 0.0) == 3  # no overflow


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"first": 0}, "first"),
        ({"factor": 0.5}, "factor"),
        ({"first": 2, "cap": 1}, "cap"),
        ({"jitter": 1.5}, "jitter"),
    ],
)
def test_backoff_refuses_nonsense(arguments, name):
    with pytest.raises(ValueError, match=name):
        Backoff(**arguments)


# -- session keep-alive ------------------------------------------------------------------


def test_keep_alive_renews_at_half_the_ttl_taking_the_servers_ttl():
    clock = Clock()
    flow = keep_alive("renew", 10.0, destroy="destroy", clock=clock)
    assert next(flow) == Sleep(5.0)
    clock.now += 5
    assert next(flow) == "renew"
    assert flow.send({"TTL": "30s"}) == Sleep(15.0)


def test_keep_alive_rides_out_errors_while_the_ttl_lasts():
    clock = Clock()
    flow = keep_alive("renew", 10.0, clock=clock)
    next(flow)
    clock.now += 5
    next(flow)
    for left in (5, 4, 3, 2, 1):
        assert flow.throw(unavailable()) == Sleep(1.0), left
        clock.now += 1
        assert next(flow) == "renew"
    # Ten seconds since the last renewal: the session is at risk, give up.
    with pytest.raises(SessionExpired, match="within its TTL"):
        flow.throw(unavailable())


def test_keep_alive_gives_up_on_a_session_that_is_gone():
    flow = keep_alive("renew", 10.0, clock=Clock())
    next(flow)
    next(flow)
    with pytest.raises(SessionExpired):
        flow.throw(consul.NotFound("Session id 'x' not found", status=404))


def test_keep_alive_destroys_the_session_once_stopped():
    flow = keep_alive("renew", 10.0, destroy="destroy", clock=Clock())
    next(flow)
    assert flow.throw(Stopped()) == "destroy"
    with pytest.raises(StopIteration):
        flow.throw(unavailable())  # a failed destroy ends it all the same


# -- lock ---------------------------------------------------------------------------


def test_acquire_a_free_lock():
    flow = acquire_lock(read, "acquire", "s1", clock=Clock())
    assert next(flow) == read(None, 15.0)
    assert flow.send((3, None)) == "acquire"
    with pytest.raises(StopIteration) as done:
        flow.send(True)
    assert done.value.value is True


def test_acquire_blocks_while_another_session_holds_the_lock():
    flow = acquire_lock(read, "acquire", "s1", wait=15.0, clock=Clock())
    next(flow)
    assert flow.send((8, pair("s2"))) == read(8, 15.0)
    assert flow.send((9, pair())) == "acquire"


def test_acquire_of_a_lock_already_ours_holds_it():
    flow = acquire_lock(read, "acquire", "s1", clock=Clock())
    next(flow)
    with pytest.raises(StopIteration) as done:
        flow.send((8, pair("s1")))
    assert done.value.value is True


def test_acquire_refuses_a_key_that_is_not_a_lock():
    flow = acquire_lock(read, "acquire", "s1", clock=Clock())
    next(flow)
    with pytest.raises(LockConflict, match="does not match lock use"):
        flow.send((8, pair(flags=0)))


def test_acquire_waits_out_a_lock_delay():
    flow = acquire_lock(read, "acquire", "s1", retry=5.0, clock=Clock())
    next(flow)
    flow.send((3, pair()))
    # Refused although free: why? Still free, so a lock-delay is in effect.
    assert flow.send(False) == read(None, None)
    assert flow.send((3, pair())) == Sleep(5.0)
    assert next(flow) == read(None, 15.0)
    assert flow.send((3, pair())) == "acquire"
    # Refused because someone took it meanwhile: block on it instead.
    assert flow.send(False) == read(None, None)
    assert flow.send((12, pair("s2"))) == read(12, 15.0)


def test_acquire_with_timeout_zero_tries_once():
    flow = acquire_lock(read, "acquire", "s1", timeout=0, clock=Clock())
    next(flow)
    with pytest.raises(StopIteration) as done:
        flow.send((8, pair("s2")))
    assert done.value.value is False


def test_acquire_with_timeout_shrinks_the_waits_and_gives_up():
    clock = Clock()
    flow = acquire_lock(read, "acquire", "s1", timeout=20.0, wait=15.0, retry=5.0, clock=clock)
    assert next(flow) == read(None, 15.0)
    clock.now += 1
    assert flow.send((8, pair("s2"))) == read(8, 15.0)
    clock.now += 15
    assert flow.send((9, pair("s3"))) == read(9, 4.0)
    clock.now += 2
    assert flow.send((10, pair())) == "acquire"
    flow.send(False)
    assert flow.send((10, pair())) == Sleep(2.0)  # the lock-delay wait, cut to what is left
    clock.now += 2
    with pytest.raises(StopIteration) as done:
        next(flow)
    assert done.value.value is False


def test_monitor_ends_when_the_session_no_longer_holds_the_lock():
    flow = monitor_lock(read, "s1")
    assert next(flow) == read(None, None)
    assert flow.send((8, pair("s1"))) == read(8, None)
    assert flow.send((9, pair("s1"))) == read(9, None)
    with pytest.raises(StopIteration):
        flow.send((10, pair()))


def test_monitor_ends_when_the_key_is_deleted():
    flow = monitor_lock(read, "s1")
    next(flow)
    with pytest.raises(StopIteration):
        flow.send((8, None))


def test_monitor_rides_out_as_many_failures_as_allowed():
    flow = monitor_lock(read, "s1", retries=2, retry_time=2.0)
    next(flow)
    flow.send((8, pair("s1")))
    assert flow.throw(consul.ServerError("leader lost", status=500)) == Sleep(2.0)
    assert next(flow) == read(None, None)
    assert flow.throw(unavailable()) == Sleep(2.0)
    assert next(flow) == read(None, None)
    # A success: the count starts over.
    assert flow.send((9, pair("s1"))) == read(9, None)
    assert flow.throw(unavailable()) == Sleep(2.0)
    next(flow)
    assert flow.throw(unavailable()) == Sleep(2.0)
    next(flow)
    with pytest.raises(consul.ConsulConnectionError):
        flow.throw(unavailable())


def test_monitor_does_not_retry_what_retrying_cannot_fix():
    flow = monitor_lock(read, "s1", retries=5)
    next(flow)
    with pytest.raises(consul.ACLPermissionDenied):
        flow.throw(consul.ACLPermissionDenied("Permission denied", status=403))


def test_destroy_a_lock():
    flow = destroy_lock(read, lambda index: ("delete", index))
    assert next(flow) == read(None, None)
    assert flow.send((9, pair(modify=9))) == ("delete", 9)
    with pytest.raises(LockInUse):
        flow.send(False)  # taken between the read and the delete
    flow = destroy_lock(read, lambda index: ("delete", index))
    next(flow)
    with pytest.raises(LockInUse):
        flow.send((9, pair("s2")))
    flow = destroy_lock(read, lambda index: ("delete", index))
    next(flow)
    with pytest.raises(LockConflict):
        flow.send((9, pair(flags=1)))


# -- semaphore -------------------------------------------------------------------------


def document(limit, *holders, modify=5):
    value = encode_lock({"Limit": limit, "Holders": dict.fromkeys(holders, True)})
    return pair(key="p/.lock", flags=SEMAPHORE_FLAG, value=value, modify=modify)


def contender(session):
    return pair(session, key=f"p/{session}", flags=SEMAPHORE_FLAG)


def write(value, index):
    return ("write", value, index)


def test_the_lock_document_is_written_as_go_writes_it():
    assert (
        encode_lock({"Limit": 3, "Holders": {"b": True, "a": True}})
        == b'{"Limit":3,"Holders":{"a":true,"b":true}}'
    )
    assert decode_lock(None, 2) == {"Limit": 2, "Holders": {}}
    assert decode_lock(document(3, "x"), 2) == {"Limit": 3, "Holders": {"x": True}}
    go = json.dumps({"Limit": 2, "Holders": {"go-session": True}}).encode()
    found = decode_lock(pair(key="p/.lock", flags=SEMAPHORE_FLAG, value=go), 2)
    assert found == {"Limit": 2, "Holders": {"go-session": True}}
    with pytest.raises(SemaphoreError, match="lock decoding failed"):
        decode_lock(pair(key="p/.lock", flags=SEMAPHORE_FLAG, value=b"[1, 2]"), 2)


def test_acquire_a_slot_in_a_new_semaphore():
    flow = acquire_slot(listing, write, "p", 2, "s1", clock=Clock())
    assert next(flow) == listing(None, 15.0)
    expected = b'{"Limit":2,"Holders":{"s1":true}}'
    assert flow.send((4, [contender("s1")])) == write(expected, 0)
    with pytest.raises(StopIteration) as done:
        flow.send(True)
    assert done.value.value is True


def test_acquire_prunes_dead_holders_and_retries_a_lost_race():
    flow = acquire_slot(listing, write, "p", 2, "s1", clock=Clock())
    next(flow)
    # s9 holds a slot but its contender key has no session any more: dead.
    pairs = [document(2, "s2", "s9", modify=5), contender("s1"), contender("s2"), pair(key="p/s9")]
    expected = b'{"Limit":2,"Holders":{"s1":true,"s2":true}}'
    assert flow.send((6, pairs)) == write(expected, 5)
    # Another contender wrote the document first: read it again.
    assert flow.send(False) == listing(6, 15.0)


def test_acquire_blocks_while_the_semaphore_is_full():
    flow = acquire_slot(listing, write, "p", 1, "s1", clock=Clock())
    next(flow)
    pairs = [document(1, "s2"), contender("s1"), contender("s2")]
    assert flow.send((6, pairs)) == listing(6, 15.0)


@pytest.mark.parametrize(
    ("lock_pair", "message"),
    [
        (pair(key="p/.lock", flags=0), "does not match semaphore use"),
        (document(5), r"limit conflict \(lock: 5, local: 2\)"),
    ],
)
def test_acquire_refuses_another_semaphore(lock_pair, message):
    flow = acquire_slot(listing, write, "p", 2, "s1", clock=Clock())
    next(flow)
    with pytest.raises(SemaphoreConflict, match=message):
        flow.send((6, [lock_pair, contender("s1")]))


def test_monitor_a_slot_until_dropped_from_the_holders():
    flow = monitor_slot(listing, "p", 2, "s1")
    assert next(flow) == listing(None, None)
    pairs = [document(2, "s1"), contender("s1")]
    assert flow.send((6, pairs)) == listing(6, None)
    with pytest.raises(StopIteration):
        flow.send((7, [document(2, "s1"), pair(key="p/s1")]))  # our session is gone


def test_release_a_slot_with_a_cas_loop():
    flow = release_slot("read", write, "remove", 2, "s1")
    assert next(flow) == "read"
    assert flow.send((6, document(2, "s1", "s2", modify=6))) == write(
        b'{"Limit":2,"Holders":{"s2":true}}', 6
    )
    assert flow.send(False) == "read"  # raced: again
    assert flow.send((7, document(2, "s1", modify=7))) == write(b'{"Limit":2,"Holders":{}}', 7)
    assert flow.send(True) == "remove"


def test_destroy_a_semaphore_only_without_live_holders():
    flow = destroy_semaphore(listing, lambda index: ("delete", index), "p", 2)
    next(flow)
    assert flow.send((6, [document(2, "s9", modify=6), pair(key="p/s9")])) == ("delete", 6)
    flow = destroy_semaphore(listing, lambda index: ("delete", index), "p", 2)
    next(flow)
    with pytest.raises(SemaphoreInUse):
        flow.send((6, [document(2, "s1"), contender("s1")]))


# -- registration heartbeat ----------------------------------------------------------------


def test_heartbeat_passes_the_check_and_registers_again_when_forgotten():
    flow = heartbeat("pass", "register", 5.0, retry=1.0)
    assert next(flow) == Sleep(5.0)
    assert next(flow) == "pass"
    assert flow.send(True) == Sleep(5.0)
    next(flow)
    assert flow.throw(consul.NotFound("Unknown check ID", status=404)) == "register"
    assert flow.send(True) == "pass"
    assert flow.send(True) == Sleep(5.0)
    next(flow)
    assert flow.throw(unavailable()) == Sleep(1.0)


# -- answers of the wrong shape ------------------------------------------------------


def _fed(response):
    raise AssertionError("never decoded: the tests feed the answers")


def call(method, path):
    """A real call (these flows name its request in their InvalidResponse)."""
    return Call(Request(method, path), _fed)


LOCK_READ = call("GET", "/v1/kv/service/lock")
SLOTS_READ = call("GET", "/v1/kv/service/sem/")


def lock_read(index=None, wait=None):
    return LOCK_READ


def slots_read(index=None, wait=None):
    return SLOTS_READ


def begun(flow):
    """``flow`` at its first read."""
    next(flow)
    return flow


def after_a_refused_acquire():
    flow = acquire_lock(lock_read, "acquire", "s1", clock=Clock())
    next(flow)
    flow.send((5, pair()))
    assert flow.send(False) == LOCK_READ  # refused: who holds it now?
    return flow


def delete(index):
    return ("delete", index)


#: Each flow at a read, an answer of the wrong shape to it, and that read.
WRONG_SHAPES = {
    # A pair without its Flags; a pair that is a list; a string.
    "acquire-lock-no-flags": (
        lambda: begun(acquire_lock(lock_read, "acquire", "s1", clock=Clock())),
        (5, {"Key": "k"}),
        LOCK_READ,
    ),
    "acquire-lock-a-list": (
        lambda: begun(acquire_lock(lock_read, "acquire", "s1", clock=Clock())),
        (5, ["k"]),
        LOCK_READ,
    ),
    "acquire-lock-reread-a-string": (after_a_refused_acquire, (6, "k"), LOCK_READ),
    "monitor-lock-a-list": (lambda: begun(monitor_lock(lock_read, "s1")), (8, ["k"]), LOCK_READ),
    "destroy-lock-no-modify-index": (
        lambda: begun(destroy_lock(lock_read, delete)),
        (9, {"Flags": LOCK_FLAG}),
        LOCK_READ,
    ),
    # A listing entry without its Key; a null one; a .lock without Value or Flags.
    "acquire-slot-no-key": (
        lambda: begun(acquire_slot(slots_read, write, "service/sem", 2, "s1", clock=Clock())),
        (5, [{"Flags": 0}]),
        SLOTS_READ,
    ),
    "monitor-slot-null": (
        lambda: begun(monitor_slot(slots_read, "service/sem", 2, "s1")),
        (5, [None]),
        SLOTS_READ,
    ),
    "release-slot-no-value": (
        lambda: begun(release_slot(LOCK_READ, write, "remove", 2, "s1")),
        (5, {"Key": "service/sem/.lock"}),
        LOCK_READ,
    ),
    "destroy-semaphore-no-flags": (
        lambda: begun(destroy_semaphore(slots_read, delete, "service/sem", 2)),
        (5, [{"Key": "service/sem/.lock", "Value": None}]),
        SLOTS_READ,
    ),
}


@pytest.mark.parametrize(
    ("start", "answer", "read_call"), list(WRONG_SHAPES.values()), ids=list(WRONG_SHAPES)
)
def test_an_answer_of_the_wrong_shape_is_an_invalid_response(start, answer, read_call):
    flow = start()
    with pytest.raises(consul.InvalidResponse, match="unreadable answer") as caught:
        flow.send(answer)
    error = caught.value
    assert (error.method, error.path) == (read_call.request.method, read_call.request.path)
    assert isinstance(error.__cause__, LookupError | TypeError | AttributeError)


def test_a_renewal_answer_of_the_wrong_shape_is_a_failed_renewal():
    renew = call("PUT", "/v1/session/renew/s1")
    clock = Clock()
    flow = keep_alive(renew, 10.0, clock=clock)
    next(flow)
    clock.now += 5
    assert next(flow) == renew
    # A TTL that is not a duration: retried while the TTL lasts, as a failed renewal is.
    assert flow.send({"TTL": "soon"}) == Sleep(1.0)
    clock.now += 1
    assert next(flow) == renew
    clock.now += 9
    with pytest.raises(SessionExpired, match="within its TTL") as caught:
        flow.send(["not", "a", "session"])
    error = caught.value.__cause__
    assert isinstance(error, consul.InvalidResponse)
    assert (error.method, error.path) == ("PUT", "/v1/session/renew/s1")


@pytest.mark.parametrize(
    ("watch", "answer"),
    [
        (watch_events, (5, [{"Name": "deploy"}])),  # an event without its ID
        (watch_hash, {"ContentHash": 7}),  # a hash that is not a string
    ],
    ids=["events", "hash"],
)
def test_a_watch_takes_an_answer_of_the_wrong_shape_for_a_failed_read(watch, answer):
    fetch = call("GET", "/v1/watched")
    errors = []
    flow = watch(lambda _: fetch, backoff=NO_JITTER, on_error=lambda e, d: errors.append((e, d)))
    assert next(flow) == fetch
    assert flow.send(answer) == Sleep(1.0)
    [(error, delay)] = errors
    assert isinstance(error, consul.InvalidResponse)
    assert (error.method, error.path, delay) == ("GET", "/v1/watched", 1.0)
    assert next(flow) == fetch  # read again after the backoff


def test_a_leader_value_or_a_session_ttl_of_the_wrong_shape():
    with consul.Consul() as client:  # nothing is sent: the flows are fed by hand
        flow = client.election("service/leader")._leader_value()
        assert next(flow).request.path == "/v1/kv/service/leader"
        with pytest.raises(consul.InvalidResponse) as caught:
            flow.send((5, {"Session": "s1", "Value": b"me"}))  # no Flags
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/kv/service/leader")
        flow = client.session.keep_alive("s1")._start()
        assert next(flow).request.path == "/v1/session/info/s1"
        with pytest.raises(consul.InvalidResponse) as caught:
            flow.send((5, {"ID": "s1", "TTL": ["10s"]}))
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/session/info/s1")
