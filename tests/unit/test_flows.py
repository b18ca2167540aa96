"""The flow drivers, fed results and errors without any I/O.

A flow yields calls and sleeps; each driver (blocking and thread pool share
one; asyncio, Tornado and Twisted, with its reactor's sleep, another) must
send back each call's result, throw in its ConsulException, sleep as asked,
return what the flow returns, and close the flow on anything else.
"""

from __future__ import annotations

import asyncio

import pytest
from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure

import consul
from consul._http import Call, Request, Sleep, bounded, single
from consul.adapters._drive import drive, drive_async
from consul.adapters.twisted import TwistedRunner

FIRST = Call(Request("GET", "/v1/kv/first"), lambda r: r)
SECOND = Call(Request("GET", "/v1/kv/second"), lambda r: r)


class Script:
    """What each call answers (a value or an exception), and what happened."""

    def __init__(self, answers):
        self.answers = dict(answers)
        self.log = []

    def run(self, call):
        self.log.append(call.request.path)
        answer = self.answers[call.request.path]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def send(self, request):
        """As a transport: the calls here decode any answer as itself."""
        return self.run(Call(request, lambda r: r))

    def sleep(self, seconds):
        self.log.append(seconds)


def recovering():
    """A flow that handles a NotFound, sleeps, and returns both results."""
    try:
        first = yield FIRST
    except consul.NotFound as exc:
        first = f"absent ({exc.status})"
    yield Sleep(0.01)
    second = yield SECOND
    return first, second


class Tracked:
    """A flow wrapper noting whether the flow was closed, and what it caught."""

    def __init__(self):
        self.closed = False
        self.caught = []

    def flow(self):
        try:
            yield FIRST
            yield Sleep(0.01)
            yield SECOND
            return "done"
        except Exception as exc:
            self.caught.append(type(exc).__name__)
            raise
        finally:
            self.closed = True


def run_blocking(flow, script):
    return drive(flow, script.run, script.sleep)


def run_asyncio(flow, script):
    async def call(c):
        await asyncio.sleep(0)
        return script.run(c)

    async def sleep(seconds):
        await asyncio.sleep(0)
        script.sleep(seconds)

    async def main():
        return await drive_async(flow, call, sleep)

    return asyncio.run(main())


def run_twisted(flow, script):
    clock = MemoryReactorClock()
    done = TwistedRunner(script, clock).run_flow(flow)
    while not done.called:  # each pause is a Sleep, on the clock
        (sleeping,) = clock.getDelayedCalls()
        script.sleep(sleeping.getTime() - clock.seconds())
        clock.advance(sleeping.getTime() - clock.seconds())
    outcome = []
    done.addBoth(outcome.append)
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    return outcome[0]


DRIVERS = {"blocking": run_blocking, "asyncio": run_asyncio, "twisted": run_twisted}


@pytest.fixture(params=sorted(DRIVERS))
def run(request):
    return DRIVERS[request.param]


def test_results_go_back_into_the_flow(run):
    script = Script({FIRST.request.path: "one", SECOND.request.path: "two"})
    assert run(recovering(), script) == ("one", "two")
    assert script.log == ["/v1/kv/first", 0.01, "/v1/kv/second"]


def test_a_consul_error_is_thrown_into_the_flow(run):
    missing = consul.NotFound("no such key", status=404)
    script = Script({FIRST.request.path: missing, SECOND.request.path: "two"})
    assert run(recovering(), script) == ("absent (404)", "two")


def test_an_unhandled_consul_error_ends_the_flow(run):
    tracked = Tracked()
    script = Script({FIRST.request.path: consul.ServerError("boom", status=500)})
    with pytest.raises(consul.ServerError, match="boom"):
        run(tracked.flow(), script)
    assert tracked.caught == ["ServerError"]
    assert tracked.closed


def test_any_other_error_closes_the_flow_without_entering_it(run):
    tracked = Tracked()
    script = Script({FIRST.request.path: RuntimeError("a bug")})
    with pytest.raises(RuntimeError, match="a bug"):
        run(tracked.flow(), script)
    assert tracked.caught == []  # closed with GeneratorExit, not thrown into
    assert tracked.closed


def test_a_closed_client_ends_the_flow_without_entering_it(run):
    # A flow that retries on every ConsulException would otherwise spin.
    def retrying():
        while True:
            try:
                return (yield FIRST)
            except consul.ConsulException:
                yield Sleep(0.01)

    script = Script({FIRST.request.path: consul.ClientClosed("the client was closed")})
    with pytest.raises(consul.ClientClosed):
        run(retrying(), script)
    assert script.log == ["/v1/kv/first"]


def test_a_single_call(run):
    assert run(single(FIRST), Script({FIRST.request.path: 42})) == 42


def test_asyncio_cancellation_closes_the_flow():
    tracked = Tracked()

    async def forever(call):
        await asyncio.Event().wait()

    async def main():
        task = asyncio.ensure_future(drive_async(tracked.flow(), forever))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert tracked.closed
    assert tracked.caught == []


def test_twisted_cancellation_closes_the_flow():
    tracked = Tracked()
    clock = MemoryReactorClock()
    script = Script({FIRST.request.path: "one", SECOND.request.path: "two"})
    done = TwistedRunner(script, clock).run_flow(tracked.flow())
    assert not done.called  # sleeping on the clock
    done.cancel()
    failures = []
    done.addErrback(failures.append)
    assert failures[0].check(defer.CancelledError)
    assert tracked.closed
    assert not clock.getDelayedCalls()


class Clock:
    """A clock that moves only when told: each call answered takes ``step`` seconds."""

    def __init__(self, step=1.0):
        self.now = 100.0
        self.step = step
        self.timeouts = []

    def __call__(self):
        return self.now

    def run(self, call):
        self.timeouts.append(call.request.timeout)
        self.now += self.step
        return call.request.path

    def sleep(self, seconds):
        self.now += seconds


class TestBounded:
    """A flow method's own timeout= bounds the whole flow (``bounded``)."""

    def test_each_request_gets_the_time_left(self):
        clock = Clock()
        flow = bounded(recovering(), 5.0, clock)
        assert drive(flow, clock.run, clock.sleep) == ("/v1/kv/first", "/v1/kv/second")
        # 1 s per call, and the flow's sleep of 0.01 s in between.
        assert clock.timeouts == [5.0, pytest.approx(3.99)]

    def test_a_request_after_the_deadline_is_a_timeout(self):
        closed = []

        def two_calls():
            try:
                yield FIRST
                yield SECOND
            finally:
                closed.append(True)

        clock = Clock(step=3.0)
        with pytest.raises(consul.Timeout) as caught:
            drive(bounded(two_calls(), 2.5, clock), clock.run, clock.sleep)
        assert caught.value.message == "the call cannot finish within its timeout of 2.5 s"
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/kv/second")
        assert clock.timeouts == [2.5]  # the second request was never sent
        assert closed

    def test_a_sleep_past_the_deadline_is_a_timeout(self):
        clock = Clock(step=0.995)
        tracked = Tracked()
        with pytest.raises(consul.Timeout, match=r"within its timeout of 1 s"):
            drive(bounded(tracked.flow(), 1.0, clock), clock.run, clock.sleep)
        assert clock.now == 100.995  # the 0.01 s sleep did not start
        assert tracked.closed

    def test_none_lets_every_request_wait_forever(self):
        clock = Clock(step=1000.0)
        drive(bounded(recovering(), None, clock), clock.run, clock.sleep)
        assert clock.timeouts == [None, None]

    def test_errors_and_results_pass_through(self, run):
        missing = consul.NotFound("no such key", status=404)
        script = Script({FIRST.request.path: missing, SECOND.request.path: "two"})
        assert run(bounded(recovering(), 60.0), script) == ("absent (404)", "two")

    def test_a_blocking_query_keeps_its_wait_on_top(self):
        seen = []

        def blocking():
            return (yield Call(Request("GET", "/v1/kv/k", wait=10.0), lambda r: r))

        def record(call):
            seen.append(call.request)

        drive(bounded(blocking(), 2.0, Clock()), record, Clock().sleep)
        assert seen[0].wait == 10.0
        assert seen[0].time_limit() == 2.0 + 10.0 + 10.0 / 16 + 5.0
