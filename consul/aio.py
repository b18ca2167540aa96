"""The client for asyncio (aiohttp): ``consul.aio.Consul``."""

from __future__ import annotations

from .adapters.aio import Consul

__all__ = ["Consul"]
