"""The embedded agent's state: pure Python, no HTTP.

Everything an agent knows lives here, shaped as Consul's state store and
servers shape it: each datacenter's tables behind a Raft-like index
(:mod:`.datacenter`: KV, sessions, catalog, coordinates), the ACL tables and
authorizer (:mod:`.acl`), the agent's local services and checks
(:mod:`.local`), its event buffer (:mod:`.event`), and the whole of it
(:class:`.core.AgentCore`). Stores raise :class:`.errors.RPCError` with
Consul's texts; blocking queries wait on :class:`.wakeups.Wakeups`.

The Go types Consul decodes request bodies into, and filters with
``?filter``, are modelled once (:mod:`.gojson`, :mod:`.filter`,
:mod:`.structs`). Nothing here imports an HTTP library or the HTTP layer above it
(:mod:`consul.testing.http`).
"""
