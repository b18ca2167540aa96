"""The error the state layer reports: Consul's server-side errors.

In Consul an HTTP handler calls an RPC endpoint of the servers, which checks
the request, asks the ACL authorizer and applies a write to the state store;
any of them may return an error, which the HTTP layer answers with 500, or
403 when its text names a permission problem (``agent/http.go``
``handleErr``). The stores and checks of :mod:`consul.testing.state` raise
:class:`RPCError` with the text Consul's would carry; the HTTP layer
(:mod:`consul.testing.http`) chooses the status.
"""

from __future__ import annotations

__all__ = ["RPCError"]


class RPCError(Exception):
    """An error from the server side (an RPC or the state store); ``str()`` is Consul's text."""
