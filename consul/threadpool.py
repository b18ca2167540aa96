"""The client for a thread pool: ``consul.threadpool.Consul``."""

from __future__ import annotations

from .adapters.threadpool import Consul

__all__ = ["Consul"]
