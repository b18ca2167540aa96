"""Access control lists: ``/v1/acl`` (Consul docs: *ACLs*)."""

from __future__ import annotations

from typing import TypeVar

from ..._endpoint import Group

M = TypeVar("M")

__all__ = ["ACL"]


class ACL(Group[M]):
    """Endpoints of this group (to be written)."""
