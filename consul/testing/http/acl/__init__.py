"""``/v1/acl``: bootstrap, tokens, policies and roles, one module each.

Request handling from ``agent/acl_endpoint.go`` (the HTTP layer: 401 while
ACLs are off, decoding, 404s, URL/body checks) and
``agent/consul/acl_endpoint.go`` (the RPCs: ``acl:read``/``acl:write``,
validation and its messages). The tables are
:class:`~consul.testing.state.acl.store.ACLStore`'s.

The legacy endpoints (``/v1/acl/create``, ``/info``, ...) were removed in
Consul 1.11 and are not registered: they answer as unknown paths.
"""
