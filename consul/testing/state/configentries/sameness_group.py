"""The ``sameness-group`` kind: a Consul Enterprise feature Consul CE decodes and refuses.

After ``agent/structs/config_entry_sameness_group.go`` (the struct, its
ACL rules: anyone reads, ``mesh:write`` writes) and
``agent/structs/config_entry_sameness_group_ce.go``, whose ``Validate``
refuses every entry: a body is decoded (its unknown keys refused) and then
answered with a 500, so no entry of this kind is ever stored.
"""

from __future__ import annotations

from ..errors import RPCError
from ..gotypes import BOOL, STRING, Slice, omitempty, struct
from .registry import Entry, Kind, can_write_mesh
from .types import HASH, META, entry_hash

__all__ = ["KIND", "SAMENESS_GROUP"]

#: ``structs.SamenessGroupConfigEntry``: no ``Kind`` field (its ``MarshalJSON`` adds it).
SAMENESS_GROUP = struct(
    "structs.SamenessGroupConfigEntry",
    aliases={"default_for_failover": "DefaultForFailover", "include_local": "IncludeLocal"},
    Name=STRING,
    DefaultForFailover=omitempty(BOOL),
    IncludeLocal=omitempty(BOOL),
    Members=Slice(
        struct(
            "structs.SamenessGroupMember",
            Partition=omitempty(STRING),
            Peer=omitempty(STRING),
        )
    ),
    Meta=META,
    Hash=HASH,
)


def normalize(entry: Entry) -> None:
    """``SamenessGroupConfigEntry.Normalize``: the hash (and the kind the agent files it under)."""
    entry["Kind"] = KIND.name
    entry["Hash"] = entry_hash(entry)


def validate(entry: Entry) -> None:
    """``Validate`` in Consul CE: always refused."""
    raise RPCError("sameness-groups are an enterprise-only feature")


KIND = Kind(
    "sameness-group",
    SAMENESS_GROUP,
    normalize=normalize,
    validate=validate,
    can_write=can_write_mesh,
)
