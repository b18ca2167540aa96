"""The client for Twisted (treq): ``consul.twisted.Consul``, and its ``TwistedStream``."""

from __future__ import annotations

from .adapters.twisted import Consul, TwistedStream

__all__ = ["Consul", "TwistedStream"]
