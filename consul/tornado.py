"""The client for Tornado: ``consul.tornado.Consul``."""

from __future__ import annotations

from .adapters.tornado import Consul

__all__ = ["Consul"]
