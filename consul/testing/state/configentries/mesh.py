"""The ``mesh`` kind: the service mesh's global settings (the entry has no name: ``mesh``).

After ``agent/structs/config_entry_mesh.go`` (``MeshConfigEntry``, which
has no ``Name`` field and writes its ``Kind`` first, and
``validateMeshDirectionalTLSConfig``) and ``types/tls.go``. Anyone may
read it; writing needs ``mesh:write``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import RPCError
from ..gotypes import BOOL, STRING, Ptr, Slice, named, omitempty, struct
from .registry import Entry, Kind, can_write_mesh
from .types import META, tls_config_error, validate_meta

if TYPE_CHECKING:
    pass

__all__ = ["KIND", "MESH"]

#: ``structs.MeshConfigMesh``: the name the entry is kept under.
MESH = "mesh"

_DIRECTIONAL_TLS = struct(
    "structs.MeshDirectionalTLSConfig",
    aliases={
        "tls_min_version": "TLSMinVersion",
        "tls_max_version": "TLSMaxVersion",
        "cipher_suites": "CipherSuites",
    },
    TLSMinVersion=omitempty(named("types.TLSVersion")),
    TLSMaxVersion=omitempty(named("types.TLSVersion")),
    CipherSuites=omitempty(Slice(named("types.TLSCipherSuite"))),
)
MESH_CONFIG = struct(
    "structs.MeshConfigEntry",
    aliases={
        "transparent_proxy": "TransparentProxy",
        "allow_enabling_permissive_mutual_tls": "AllowEnablingPermissiveMutualTLS",
    },
    Kind=STRING,
    TransparentProxy=struct(
        "structs.TransparentProxyMeshConfig",
        aliases={"mesh_destinations_only": "MeshDestinationsOnly"},
        MeshDestinationsOnly=BOOL,
    ),
    AllowEnablingPermissiveMutualTLS=omitempty(BOOL),
    TLS=omitempty(
        Ptr(
            struct(
                "structs.MeshTLSConfig",
                Incoming=omitempty(Ptr(_DIRECTIONAL_TLS)),
                Outgoing=omitempty(Ptr(_DIRECTIONAL_TLS)),
            )
        )
    ),
    HTTP=omitempty(
        Ptr(
            struct(
                "structs.MeshHTTPConfig",
                aliases={"sanitize_x_forwarded_client_cert": "SanitizeXForwardedClientCert"},
                SanitizeXForwardedClientCert=BOOL,
            )
        )
    ),
    Peering=omitempty(
        Ptr(
            struct(
                "structs.PeeringMeshConfig",
                aliases={"peer_through_mesh_gateways": "PeerThroughMeshGateways"},
                PeerThroughMeshGateways=BOOL,
            )
        )
    ),
    Meta=META,
)


def normalize(entry: Entry) -> None:
    """``MeshConfigEntry.Normalize`` (nothing to change in Consul CE)."""
    entry["Kind"] = KIND.name


def validate(entry: Entry) -> None:
    """``MeshConfigEntry.Validate``: the metadata, then each direction's TLS settings."""
    validate_meta(entry["Meta"])
    tls = entry["TLS"]
    if tls is None:
        return
    for direction, label in (("Incoming", "incoming"), ("Outgoing", "outgoing")):
        config = tls[direction]
        if config is None:
            continue
        problem = tls_config_error(
            config["TLSMinVersion"], config["TLSMaxVersion"], config["CipherSuites"]
        )
        if problem:
            raise RPCError(f"error in {label} TLS configuration: {problem}")


KIND = Kind(
    MESH,
    MESH_CONFIG,
    normalize=normalize,
    validate=validate,
    can_write=can_write_mesh,
    get_name=lambda entry: MESH,
    lookup_name=lambda name: "",
)
