"""``/v1/catalog``: nodes, services and checks of a datacenter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._server import Routes

if TYPE_CHECKING:
    from .._state import Datacenter

routes = Routes()


class CatalogStore:
    """The catalog tables (nodes, services, checks) of one datacenter.

    The interface other stores and the agent's local state rely on:
    :meth:`register` and :meth:`deregister` are ``ensureRegistrationTxn`` and
    the deregistration of ``agent/consul/state/catalog.go``; the reads return
    Consul's JSON shapes. Check status changes and deletions notify
    ``dc.sessions`` so that sessions are invalidated as Consul does.
    """

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc

    def bootstrap(self) -> None:
        """Register the datacenter's server node, as its leader does at start."""

    def register(self, idx: int, request: dict[str, Any]) -> bool:
        """Apply a decoded ``RegisterRequest``; True if anything changed."""
        raise NotImplementedError

    def deregister(
        self, idx: int, node: str, service_id: str | None = None, check_id: str | None = None
    ) -> bool:
        """Remove a service (and its checks), a check, or a whole node."""
        raise NotImplementedError

    def node(self, name: str) -> dict[str, Any] | None:
        """The ``structs.Node`` JSON of ``name``, or None."""
        raise NotImplementedError

    def check(self, node: str, check_id: str) -> dict[str, Any] | None:
        """The ``structs.HealthCheck`` JSON of a check, or None."""
        raise NotImplementedError
