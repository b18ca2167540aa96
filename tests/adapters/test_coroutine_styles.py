"""The older coroutine styles: Tornado's ``gen.coroutine`` and Twisted's ``inlineCallbacks``.

Code written for the original python-consul yields each call instead of
awaiting it; the Futures and Deferreds our clients return must work there too.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from harness import CALL_TIMEOUT, Loop

from consul.testing import DevAgent


def test_tornado_gen_coroutine_yields_calls(
    loops: Callable[[str], Loop], consul_agent: DevAgent
) -> None:
    from tornado import gen

    import consul.tornado

    @gen.coroutine
    def scenario() -> Generator[Any, Any, Any]:
        c = consul.tornado.Consul(host=consul_agent.host, port=consul_agent.port)
        try:
            stored = yield c.kv.put("styles/tornado", "yielded")
            index, entry = yield c.kv.get("styles/tornado")
            changed = c.kv.get("styles/tornado", index=index, wait="5s")
            yield c.kv.put("styles/tornado", "again")
            _, after = yield changed
        finally:
            c.close()
        return stored, entry["Value"], after["Value"]

    done = loops("tornado").submit(scenario).result(CALL_TIMEOUT)
    assert done == (True, b"yielded", b"again")


def test_twisted_inline_callbacks_yield_calls(
    loops: Callable[[str], Loop], consul_agent: DevAgent
) -> None:
    from twisted.internet import defer

    import consul.twisted

    @defer.inlineCallbacks
    def scenario() -> Generator[Any, Any, Any]:
        c = consul.twisted.Consul(host=consul_agent.host, port=consul_agent.port)
        try:
            stored = yield c.kv.put("styles/twisted", "yielded")
            index, entry = yield c.kv.get("styles/twisted")
            changed = c.kv.get("styles/twisted", index=index, wait="5s")
            yield c.kv.put("styles/twisted", "again")
            _, after = yield changed
        finally:
            yield c.close()
        return stored, entry["Value"], after["Value"]

    done = loops("twisted").submit(scenario).result(CALL_TIMEOUT)
    assert done == (True, b"yielded", b"again")
