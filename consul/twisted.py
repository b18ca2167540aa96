"""The client for Twisted (treq): ``consul.twisted.Consul``."""

from __future__ import annotations

from .adapters.twisted import Consul

__all__ = ["Consul"]
