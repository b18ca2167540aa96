"""The five ways to send a request: each module here is the only place with I/O.

An adapter turns a :class:`consul.Request` into its HTTP library's request,
and the library's answer into a :class:`consul.Response`; it maps transport
failures (connection, timeout, TLS) to :mod:`consul.exceptions` and never
raises for an HTTP status. Each also drives multi-request flows in its loop.
"""
