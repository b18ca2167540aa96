"""The embedded agent's HTTP layer: routing, request context, and the handlers.

:mod:`.server` is what every request goes through (Go's ``ServeMux`` and
Consul's handler wrapper), over :mod:`.connection` (HTTP/1.1 connections as
Go's ``net/http`` serves them, parsed by httptools); :mod:`.context` is the
request a handler sees (:class:`~.context.Ctx`: query options, token,
ACLs, blocking queries); :mod:`.endpoints` lists the handler modules, one
per page of Consul's HTTP API docs, each with its
:class:`~.routes.Routes`. Handlers read and write
:mod:`consul.testing.state`; nothing here knows how the agent is started.
"""
