"""What each client's calls return, as type checkers see it.

Checked by ``mypy --strict`` (and pyright) over this directory, never run:
one endpoint method returns a value on ``consul.Consul``, a
``concurrent.futures.Future`` on ``consul.threadpool.Consul``, a coroutine on
``consul.aio.Consul``, an asyncio ``Future`` on ``consul.tornado.Consul`` and a
``Deferred`` on ``consul.twisted.Consul``. A ``type: ignore`` marks a line that
must be an error (mypy's ``warn_unused_ignores`` fails if it is not).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, assert_type

from twisted.internet.defer import Deferred

import consul
import consul.aio
import consul.base
import consul.std
import consul.threadpool
import consul.tornado
import consul.twisted
from consul._endpoint import AsyncIO, Blocking
from consul.api.acl import ACLAuthMethod, ACLTemplatedPolicyResponse, ACLToken
from consul.api.agent import AgentService
from consul.api.catalog import GatewayService, Node
from consul.api.config import ConfigEntry
from consul.api.config_entries import APIGatewayEntry, HTTPRouteEntry
from consul.api.connect import CAConfiguration
from consul.api.discovery_chain import CompiledDiscoveryChain, DiscoveryChainResponse
from consul.api.event import UserEvent
from consul.api.exported_services import ResolvedExportedService
from consul.api.health import HealthCheck, ServiceEntry
from consul.api.intentions import Intention
from consul.api.kv import KVPair
from consul.api.query import ExecuteResponse, ExplainResponse, PreparedQuery
from consul.recipes import Lock
from consul.transport import MockTransport, respond

Entry = consul.Indexed[KVPair | None]


def blocking() -> None:
    with consul.Consul(host="consul", port=8501, scheme="https", verify="/ca.pem") as c:
        assert_type(c, consul.Consul)
        assert_type(c.kv.get("k"), Entry)
        assert_type(c.kv.get("k", index=3, wait="10s", consistency="stale"), Entry)
        assert_type(c.kv.list("prefix/"), consul.Indexed[list[KVPair]])
        assert_type(c.kv.keys("prefix/", separator="/"), consul.Indexed[list[str]])
        assert_type(c.kv.put("k", b"v", cas=0), bool)
        assert_type(c.kv.delete("k"), bool)
        assert_type(c.acl.auth_method.read("m"), ACLAuthMethod | None)
        assert_type(c.acl.login("m", "jwt"), ACLToken)
        assert_type(c.acl.templated_policy.list(), dict[str, ACLTemplatedPolicyResponse])
        assert_type(c.status.leader(), str)
        assert_type(c.status.peers(), list[str])
        c.kv.get(1)  # type: ignore[arg-type]
        c.kv.get("k", recurse=True)  # type: ignore[arg-type]
        c.kv.put("k", 3)  # type: ignore[arg-type]
        c.kv.get("k", bogus=1)  # type: ignore[call-arg]
        # A call's own timeout: seconds or None, by keyword only.
        assert_type(c.kv.get("k", timeout=2.5), Entry)
        assert_type(c.kv.put("k", b"v", timeout=None), bool)
        assert_type(c.status.leader(timeout=1), str)
        assert_type(c.acl.token.list(timeout=3), list[ACLToken])
        c.kv.get("k", timeout="5s")  # type: ignore[arg-type]
        # The registers keep python-consul's timeout (a check's).
        registered = c.agent.service.register(
            "web", http="http://127.0.0.1/health", interval="10s", timeout="1s", call_timeout=5
        )
        assert_type(registered, bool)
        c.agent.check.register("up", ttl="10s", call_timeout="5s")  # type: ignore[arg-type]


def metadata_and_query_options() -> None:
    with consul.Consul() as c:
        # The pair of python-consul, with the answer's metadata besides.
        index, entry = c.kv.get("k")
        assert_type(index, int)
        assert_type(entry, KVPair | None)
        pair: tuple[int, KVPair | None] = c.kv.get("k")
        result = c.health.service("web", cached=True, max_age=5, merge_central_config=True)
        assert_type(result.data, list[ServiceEntry])
        assert_type(result.meta, consul.QueryMeta)
        assert_type(result.meta.cache_hit, bool | None)
        assert_type(result.meta.last_contact, float | None)
        assert_type(c.health.ingress("web", peer="p"), consul.Indexed[list[ServiceEntry]])
        assert_type(c.catalog.gateway_services("gw"), consul.Indexed[list[GatewayService]])
        assert_type(c.catalog.datacenters(cached=True), list[str])
        c.catalog.service("web", ns="team", partition="p", tag=["a", "b"], node_meta={"k": "v"})
        c.catalog.service("web", cached="yes")  # type: ignore[arg-type]
        c.catalog.nodes(ns="team")  # type: ignore[call-arg]
        assert_type(c.connect.ca.configuration(), CAConfiguration)
        assert_type(c.connect.ca.set_configuration("consul", {"LeafCertTTL": "24h"}), bool)
        assert_type(c.connect.intentions.list(), consul.Indexed[list[Intention]])
        assert_type(c.connect.intentions.get_exact("web", "db").data, Intention | None)
        assert_type(c.connect.intentions.upsert("web", "db", "allow"), bool)
        assert_type(c.connect.intentions.check("web", "db"), bool)
        assert_type(
            c.connect.intentions.match("source", ["web"]).data, dict[str, list[Intention] | None]
        )
        assert_type(c.connect.intentions.create("web", "db", "allow"), str)
        c.connect.intentions.upsert("web", "db", permissions={"Action": "allow"})  # type: ignore[arg-type]
        del pair


def prepared_queries() -> None:
    with consul.Consul() as c:
        assert_type(c.query.create("web", name="q", query_token="t"), dict[str, str])
        assert_type(c.query.list(), list[PreparedQuery])
        assert_type(c.query.get("id"), list[PreparedQuery] | None)
        assert_type(c.query.update("id", "web", template=True), bool)
        assert_type(c.query.delete("id"), bool)
        assert_type(c.query.execute("q", near="_agent", limit=2), ExecuteResponse | None)
        assert_type(c.query.explain("q"), ExplainResponse | None)
        c.query.create("web", template="yes")  # type: ignore[arg-type]
        c.query.execute("q", limit="2")  # type: ignore[arg-type]


async def prepared_queries_asyncio() -> None:
    async with consul.aio.Consul() as a:
        pending = assert_type(a.query.list(), Coroutine[Any, Any, list[PreparedQuery]])
        assert_type(await pending, list[PreparedQuery])
        assert_type(await a.query.execute("q"), ExecuteResponse | None)


def config_entries() -> None:
    with consul.Consul() as c:
        entry = {"Kind": "service-defaults", "Name": "web", "Protocol": "http"}
        assert_type(c.config.set(entry, cas=0), bool)
        assert_type(c.config.get("service-defaults", "web"), consul.Indexed[ConfigEntry | None])
        assert_type(
            c.config.list("service-defaults", filter_expr='Protocol == "http"'),
            consul.Indexed[list[ConfigEntry]],
        )
        assert_type(c.config.delete("service-defaults", "web", cas=3), bool)
        assert_type(c.exported_services(), consul.Indexed[list[ResolvedExportedService]])
        assert_type(c.settings.timeout, float | None)
        c.config.set(entry, cas="3")  # type: ignore[arg-type]
        c.config.get("service-defaults")  # type: ignore[call-arg]


async def config_entries_asyncio() -> None:
    async with consul.aio.Consul() as a:
        assert_type(await a.config.set({"Kind": "mesh"}), bool)
        assert_type(await a.exported_services(), consul.Indexed[list[ResolvedExportedService]])


def discovery_chain() -> None:
    with consul.Consul() as c:
        assert_type(c.discovery_chain.get("web"), consul.Indexed[DiscoveryChainResponse])
        _, answer = c.discovery_chain.get("web", compile_dc="dc2", override_connect_timeout=7)
        assert_type(answer["Chain"], CompiledDiscoveryChain)
        c.discovery_chain.get("web", override_mesh_gateway_mode=1)  # type: ignore[arg-type]


async def discovery_chain_asyncio() -> None:
    async with consul.aio.Consul() as a:
        chain = await a.discovery_chain.get("web", override_protocol="http")
        assert_type(chain, consul.Indexed[DiscoveryChainResponse])


def gateway_config_entries() -> None:
    with consul.Consul() as c:
        gateway: APIGatewayEntry = {
            "Kind": "api-gateway",
            "Name": "edge",
            "Listeners": [{"Name": "http", "Port": 80, "Protocol": "http"}],
        }
        assert_type(c.config.set(gateway), bool)
        route: HTTPRouteEntry = {"Kind": "http-route", "Name": "web", "Hostnames": ["a.example"]}
        assert_type(c.config.set(route, cas=0), bool)
        bad: HTTPRouteEntry = {"Kind": "http-route", "Rules": "x"}  # type: ignore[typeddict-item]
        del bad


def blocking_at_python_consuls_path() -> None:
    c = consul.std.Consul()
    assert_type(c, consul.Consul)
    assert_type(c.kv.get("k"), Entry)
    c.token = "new"
    c.dc = None
    c.consistency = "stale"
    c.token = 3  # type: ignore[assignment]


class OwnHTTP(consul.base.Consul):
    def http_connect(
        self, host: str, port: int, scheme: str, verify: bool | str = True, cert: Any = None
    ) -> consul.std.HTTPClient:
        return consul.std.HTTPClient(host, port, scheme, verify, cert)


def callback_protocol() -> None:
    # What a call returns is what the http object returns: unknown to checkers.
    c = OwnHTTP(token="t")
    assert_type(c.kv.get("k"), Any)
    assert_type(c.kv.get("k", timeout=1.0), Any)
    assert_type(c.http, Any)
    c.kv.get(1)  # type: ignore[arg-type]
    assert_type(consul.base.CB.json(index=True), Callable[[consul.base.Response], Any])


def thread_pool() -> None:
    with consul.threadpool.Consul(max_workers=4, max_blocking_workers=8, timeout=None) as c:
        assert_type(c.kv.get("k"), concurrent.futures.Future[Entry])
        assert_type(c.kv.put("k", "v"), concurrent.futures.Future[bool])
        assert_type(c.status.leader().result(), str)
        assert_type(c.connect.intentions.check("web", "db"), concurrent.futures.Future[bool])
        assert_type(c.kv.get("k", timeout=None), concurrent.futures.Future[Entry])


async def asyncio_client() -> None:
    async with consul.aio.Consul(cert=("/c.pem", "/k.pem"), max_connections=50) as c:
        assert_type(c, consul.aio.Consul)
        pending = assert_type(c.kv.get("k"), Coroutine[Any, Any, Entry])
        assert_type(await pending, Entry)
        assert_type(await c.kv.put("k", "v"), bool)
        assert_type(await c.status.peers(), list[str])
        assert_type(await c.kv.get("k", timeout=0.5), Entry)
        assert_type(await c.connect.intentions.create("web", "db", "deny"), str)
    assert_type(await c.close(), None)


async def tornado_client() -> None:
    c = consul.tornado.Consul(token="t", dc="dc2", max_blocking_connections=20)
    assert_type(c.kv.get("k"), asyncio.Future[Entry])
    assert_type(await c.kv.get("k"), Entry)
    assert_type(await c.kv.delete("k", recurse=True), bool)
    assert_type(c.kv.get("k", timeout=2), asyncio.Future[Entry])
    assert_type(c.close(), None)
    with consul.tornado.Consul() as managed:
        assert_type(managed, consul.tornado.Consul)
    async with consul.tornado.Consul(max_connections=10) as managed:
        assert_type(managed, consul.tornado.Consul)


def twisted_client() -> None:
    c = consul.twisted.Consul(tls_server_name="server.dc1.consul", http_auth=("u", "p"))
    assert_type(c.kv.get("k"), Deferred[Entry])
    assert_type(c.kv.put("k", b"v"), Deferred[bool])
    assert_type(c.status.leader(), Deferred[str])
    assert_type(c.status.leader(timeout=2), Deferred[str])
    assert_type(c.connect.intentions.delete_exact("web", "db"), Deferred[bool])
    assert_type(c.close(), Deferred[None])


async def twisted_coroutine() -> None:
    async with consul.twisted.Consul() as c:
        assert_type(await c.kv.get("k"), Entry)


def errors() -> None:
    try:
        consul.Consul().kv.get("k")
    except consul.Timeout as exc:
        assert_type(exc.status, int | None)
    except (consul.ClientClosed, consul.EventLoopError, consul.InvalidResponse) as exc:
        assert_type(exc.method, str | None)
    except consul.ConsulException as exc:
        assert_type(exc.message, str)
        assert_type(exc.path, str | None)


class AsyncSend:
    async def send(self, request: consul.Request) -> consul.Response:
        return respond(request, json=True)


def transports() -> None:
    mock = MockTransport(lambda request: respond(request, json=True, index=3))
    with consul.Consul(transport=mock) as c:
        assert_type(c.kv.put("k", "v"), bool)
        assert_type(mock.requests, list[consul.Request])
    consul.threadpool.Consul(transport=mock)
    consul.aio.Consul(transport=mock)
    consul.tornado.Consul(transport=mock)
    consul.twisted.Consul(transport=mock)
    consul.aio.Consul(transport=AsyncSend())
    consul.twisted.Consul(transport=AsyncSend())
    consul.Consul(transport=AsyncSend())  # type: ignore[arg-type]
    MockTransport(lambda request: None)  # type: ignore[arg-type,return-value]


# -- recipes ------------------------------------------------------------------------


def recipes_blocking() -> None:
    c = consul.Consul()
    lock = c.lock("locks/a", value="me", lock_wait="15s")
    assert_type(lock, Lock[Blocking])
    assert_type(lock.acquire(timeout=0), bool)
    assert_type(lock.acquire(timeout=1, call_timeout=5), bool)
    assert_type(lock.release(timeout=None), None)
    assert_type(lock.release(), None)
    assert_type(lock.held, bool)
    assert_type(lock.lost, concurrent.futures.Future[None])
    with lock as held:
        assert_type(held, Lock[Blocking])
    for index, entry in c.watch.key("config/x", wait="5m"):
        assert_type(index, int)
        assert_type(entry, KVPair | None)
    for _, services in c.watch.services():
        assert_type(services, dict[str, list[str]])
    for content_hash, service in c.watch.agent_service("web"):
        assert_type(content_hash, str)
        assert_type(service, AgentService | None)
    c.watch.key("k").start(print)  # type: ignore[misc]  # iterate on a blocking client
    semaphore = c.semaphore("sem/jobs", 2)
    assert_type(semaphore.acquire(), bool)
    with c.election("service/leader", on_elected=lambda: None) as election:
        assert_type(election.leader, bool)
        assert_type(election.leader_value(), bytes | None)
    with c.session.keep_alive(ttl=15) as keeper:
        assert_type(keeper.session_id, str | None)
    with c.agent.service.keep_registered("web", ttl="10s") as registration:
        assert_type(registration.service_id, str)


def recipes_thread_pool() -> None:
    c = consul.threadpool.Consul()
    lock = c.lock("locks/a")
    assert_type(lock.acquire(), concurrent.futures.Future[bool])
    assert_type(lock.lost, concurrent.futures.Future[None])
    with lock:
        pass
    assert_type(c.watch.prefix("app/").start(lambda i, v: None), concurrent.futures.Future[None])
    assert_type(c.election("k").start(), concurrent.futures.Future[None])


async def recipes_asyncio() -> None:
    c = consul.aio.Consul()
    lock = c.lock("locks/a")
    assert_type(await lock.acquire(timeout=1.5), bool)
    assert_type(lock.lost, asyncio.Future[None])
    async with lock as held:
        assert_type(held, Lock[AsyncIO])
    with lock:  # type: ignore[misc]  # an asyncio client takes 'async with'
        pass
    async for index, checks in c.watch.checks(state="critical"):
        assert_type(index, int)
        assert_type(checks, list[HealthCheck])
    async for _, events in c.watch.events("deploy"):
        assert_type(events, list[UserEvent])
    assert_type(await c.session.keep_alive().start(), str)
    async with c.semaphore("sem", 3) as semaphore:
        assert_type(semaphore.held, bool)


async def recipes_tornado() -> None:
    c = consul.tornado.Consul()
    assert_type(c.lock("locks/a").acquire(), asyncio.Future[bool])
    async for _, nodes in c.watch.nodes():
        assert_type(nodes, list[Node])
    async with c.agent.service.keep_registered("web"):
        pass


async def recipes_twisted() -> None:
    c = consul.twisted.Consul()
    lock = c.lock("locks/a")
    assert_type(lock.acquire(), Deferred[bool])
    assert_type(lock.lost, Deferred[None])
    assert_type(c.watch.service("web", passing=True).start(print), Deferred[None])
    assert_type(c.election("k").stop(), Deferred[None])
    async with c.lock("locks/b"):
        pass


def streams_and_exchanges() -> None:
    with consul.Consul() as c:
        assert_type(c.agent.monitor(loglevel="debug"), consul.Stream[str])
        assert_type(c.agent.metrics_stream(), consul.Stream[dict[str, Any]])
        assert_type(c.snapshot.stream(), consul.Stream[bytes])
        assert_type(c.snapshot.save(), bytes)
        assert_type(c.snapshot.save_to("backup.snap", timeout=60), int)
        assert_type(c.snapshot.restore("backup.snap"), bool)
        assert_type(c.debug.heap(), bytes)
        assert_type(c.operator.raft_config()["Servers"][0]["Leader"], bool)
        assert_type(c.operator.update_autopilot_configuration(min_quorum=3), bool)
        assert_type(c.agent.connect.authorize("db", "spiffe://x")["Authorized"], bool)
        assert_type(c.agent.token.set_default("s"), bool)
        for line in c.agent.monitor():
            assert_type(line, str)
        c.snapshot.save_to(3)  # type: ignore[arg-type]
    with consul.threadpool.Consul() as pool:
        assert_type(pool.agent.monitor(), concurrent.futures.Future[consul.Stream[str]])
        assert_type(pool.snapshot.save_to("s"), concurrent.futures.Future[int])


async def async_streams() -> None:
    async with consul.aio.Consul() as c:
        pending = assert_type(c.agent.monitor(), Coroutine[Any, Any, consul.AsyncStream[str]])
        async with await pending as lines:
            async for line in lines:
                assert_type(line, str)
        assert_type(await c.snapshot.save(), bytes)
    t = consul.tornado.Consul()
    assert_type(t.agent.metrics_stream(), asyncio.Future[consul.AsyncStream[dict[str, Any]]])
    assert_type(await t.snapshot.restore(b"..."), bool)
    tw = consul.twisted.Consul()
    assert_type(tw.agent.monitor(), Deferred[consul.twisted.TwistedStream[str]])
    assert_type(tw.snapshot.save_to("s"), Deferred[int])
    stream = await tw.agent.monitor()
    assert_type(stream.consume(print), Deferred[None])


def raw_requests() -> None:
    with consul.Consul() as c:
        assert_type(c.raw.query("/v1/kv/k"), consul.Indexed[Any])
        assert_type(c.raw.write("/v1/kv/k", {"a": 1}), Any)
        c.raw.query("/v1/kv/k", {"flags": 1})  # type: ignore[dict-item]
