"""Cluster peering: the ``peering`` table of one datacenter, and peering tokens.

After ``agent/consul/state/peering.go`` (``PeeringWrite``, ``PeeringRead``,
``PeeringList``, ``PeeringDelete``) and the RPC side in
``agent/rpc/peering/service.go`` (``GenerateToken``, ``Establish``,
``PeeringDelete``, ``validatePeer``) with its checks in
``agent/rpc/peering/validate.go``. A token is base64 of the JSON of
``structs.PeeringToken`` (``agent/consul/peering_backend.go``
``EncodeToken``). The peering streams themselves (``peerstream``) are not
run: no peering here ever becomes ``ACTIVE``, and its ``StreamStatus`` is
empty, as Consul's is for a peering its stream tracker does not know.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography import x509

from .errors import RPCError
from .gojson import DecodeError, decode_json
from .gotypes import STRING, Ptr, Slice, struct
from .records import validate_meta_tags

if TYPE_CHECKING:
    from .datacenter import Datacenter

__all__ = [
    "PEERING_TOKEN",
    "Peering",
    "PeeringStore",
    "decode_token",
    "validate_peer_name",
    "validate_token",
]

#: ``structs.PeeringToken`` as ``json.Unmarshal`` reads it (unknown fields ignored).
PEERING_TOKEN = struct(
    "structs.PeeringToken",
    allow_unknown=True,
    CA=Slice(STRING),
    ManualServerAddresses=Slice(STRING),
    ServerAddresses=Slice(STRING),
    ServerName=STRING,
    PeerID=STRING,
    EstablishmentSecret=STRING,
    Remote=struct(
        "structs.PeeringTokenRemote",
        allow_unknown=True,
        Partition=STRING,
        Datacenter=STRING,
        Locality=Ptr(struct("structs.Locality", allow_unknown=True, Region=STRING, Zone=STRING)),
    ),
)

_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

#: ``validPeeringName`` (``agent/rpc/peering/validate.go``): a lower-case DNS label.
_PEER_NAME = re.compile(r"^[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?$")


def validate_peer_name(name: str) -> None:
    """``validatePeerName``, as ``GenerateToken`` and ``Establish`` report it."""
    if not _PEER_NAME.match(name):
        raise RPCError(
            f"{name} is not a valid peer name: a valid peering name must consist of lower case "
            "alphanumeric characters or '-', and must start and end with an alphanumeric character"
        )


def validate_meta(meta: dict[str, str] | None) -> None:
    """``structs.ValidateMetaTags`` on a peering's ``Meta``."""
    problem = validate_meta_tags(meta)
    if problem is not None:
        raise RPCError(f"meta tags failed validation: {problem}")


def _base64_error(text: str) -> str | None:
    """Why Go's ``base64.StdEncoding.DecodeString`` refuses ``text``, or None.

    Go skips ``\\r`` and ``\\n``. A byte out of the alphabet is reported at
    its offset; input that ends inside a 4-byte quantum at the quantum's
    start (``decodeQuantum``); misplaced padding at the first ``=``.
    """
    data = text.replace("\r", "").replace("\n", "")
    for position, char in enumerate(text):
        if char not in _BASE64 and char not in "=\r\n":
            return f"illegal base64 data at input byte {position}"
    if len(data) % 4:
        return f"illegal base64 data at input byte {len(data) // 4 * 4}"
    try:
        base64.b64decode(data, validate=True)
    except binascii.Error:
        return f"illegal base64 data at input byte {data.index('=')}"
    return None


def decode_token(token: str) -> dict[str, Any]:
    """``DecodeToken``: the ``structs.PeeringToken`` inside ``token``."""
    problem = _base64_error(token)
    if problem is not None:
        raise RPCError(f"failed to decode token: {problem}")
    raw = base64.b64decode(token.replace("\r", "").replace("\n", ""))
    try:
        decoded: dict[str, Any] = decode_json(raw, PEERING_TOKEN)
    except DecodeError as exc:
        raise RPCError(str(exc)) from None
    return decoded


def _address_ok(address: str) -> bool:
    """``validAddr`` of ``validatePeeringToken``: ``net.SplitHostPort``, a port of 1 to 65535."""
    if address.startswith("["):
        end = address.find("]")
        if end < 0 or not address[end + 1 :].startswith(":"):
            return False
        port = address[end + 2 :]
    else:
        host, colon, port = address.rpartition(":")
        if not colon or ":" in host:
            return False
    return port.isascii() and port.isdigit() and 1 <= int(port) <= 65535


def _certificate_problem(pem: str) -> str | None:
    """Why ``connect.ParseCert`` refuses ``pem``, or None."""
    match = re.search(r"-----BEGIN ([^-\n]*)-----", pem)
    if match is None or "-----END" not in pem[match.end() :]:
        return "no PEM-encoded data found"
    if match.group(1) != "CERTIFICATE":
        return "first PEM-block should be CERTIFICATE type"
    try:
        x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return "x509: malformed certificate"
    return None


def validate_token(token: dict[str, Any]) -> None:
    """``validatePeeringToken``: the CA certificates, addresses, server name and peer ID."""
    for pem in token.get("CA") or []:
        problem = _certificate_problem(pem)
        if problem is not None:
            raise RPCError(f"peering token invalid CA: {problem}")
    manual = token.get("ManualServerAddresses") or []
    servers = token.get("ServerAddresses") or []
    if not manual and not servers:
        raise RPCError("peering token server addresses value is empty")
    for address in (*manual, *servers):
        if not _address_ok(address):
            raise RPCError(f"{address} is not a valid peering server address")
    if token.get("CA") and not token.get("ServerName"):
        raise RPCError("peering token server name value is empty")
    if not token.get("PeerID"):
        raise RPCError("peering token peer ID value is empty")


def go_time(moment: datetime.datetime) -> str:
    """A UTC time as Go's ``time.Time`` marshals it (RFC 3339, nanoseconds trimmed)."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


@dataclass
class Peering:
    """A ``pbpeering.Peering`` as the state store keeps it."""

    ID: str
    Name: str
    State: str = "PENDING"
    Meta: dict[str, str] = field(default_factory=dict)
    PeerID: str = ""
    PeerCAPems: list[str] = field(default_factory=list)
    PeerServerName: str = ""
    PeerServerAddresses: list[str] = field(default_factory=list)
    ManualServerAddresses: list[str] = field(default_factory=list)
    #: ``Remote``: the peer's partition and datacenter (a dialer learns them from the token).
    RemotePartition: str = ""
    RemoteDatacenter: str = ""
    DeletedAt: datetime.datetime | None = None
    CreateIndex: int = 0
    ModifyIndex: int = 0

    def should_dial(self) -> bool:
        """``ShouldDial``: a peering made by ``Establish`` (it knows its peer's addresses)."""
        return bool(self.PeerServerAddresses or self.ManualServerAddresses)

    def to_api(self) -> dict[str, Any]:
        """``api.Peering`` (``PeeringToAPI``), in its field order, ``omitempty`` as there."""
        out: dict[str, Any] = {"ID": self.ID, "Name": self.Name}
        if self.DeletedAt is not None:
            out["DeletedAt"] = go_time(self.DeletedAt)
        if self.Meta:
            out["Meta"] = dict(self.Meta)
        out["State"] = self.State
        if self.PeerID:
            out["PeerID"] = self.PeerID
        if self.PeerCAPems:
            out["PeerCAPems"] = list(self.PeerCAPems)
        if self.PeerServerName:
            out["PeerServerName"] = self.PeerServerName
        if self.PeerServerAddresses:
            out["PeerServerAddresses"] = list(self.PeerServerAddresses)
        # What reconcilePeering gives a peering its stream tracker does not know.
        out["StreamStatus"] = {
            "ImportedServices": None,
            "ExportedServices": None,
            "LastHeartbeat": None,
            "LastReceive": None,
            "LastSend": None,
        }
        out["CreateIndex"] = self.CreateIndex
        out["ModifyIndex"] = self.ModifyIndex
        out["Remote"] = {"Partition": self.RemotePartition, "Datacenter": self.RemoteDatacenter}
        return out


class PeeringStore:
    """The ``peering`` table of one datacenter (CE: one partition, ``default``)."""

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: The peerings by lower-cased name.
        self.peerings: dict[str, Peering] = {}
        #: The establishment secrets of the peerings that accept, by peering ID.
        self.secrets: dict[str, str] = {}
        #: The table's index (what the list, and a read that finds nothing, report).
        self.index = 0

    def get(self, name: str) -> tuple[int, Peering | None]:
        """``PeeringRead``: the peering and its ModifyIndex, or the table's index."""
        peering = self.peerings.get(name.lower())
        return (peering.ModifyIndex if peering else self.index), peering

    def listing(self) -> tuple[int, list[Peering]]:
        """``PeeringList``: every peering, by name (memdb's ``name`` index order)."""
        return self.index, [self.peerings[key] for key in sorted(self.peerings)]

    def _new_id(self) -> str:
        taken = {p.ID for p in self.peerings.values()}
        # lib.GenerateUUID with CheckPeeringUUID: a UUID no other peering has.
        while (candidate := str(uuid.uuid4())) in taken:
            pass
        return candidate

    def write(self, idx: int, peering: Peering) -> None:
        """``PeeringWrite``: insert or update ``peering`` at index ``idx``."""
        existing = self.peerings.get(peering.Name.lower())
        if existing is not None:
            if peering.should_dial() != existing.should_dial():
                raise RPCError(
                    "Cannot switch peering dialing mode from "
                    f"{str(existing.should_dial()).lower()} to {str(peering.should_dial()).lower()}"
                )
            if existing.State == "DELETING" and peering.State == "DELETING":
                return  # a no-op deletion
            if existing.State == "DELETING":
                raise RPCError("cannot write to peering that is marked for deletion")
            if not peering.RemotePartition and not peering.RemoteDatacenter:
                peering.RemotePartition = existing.RemotePartition
                peering.RemoteDatacenter = existing.RemoteDatacenter
            peering.CreateIndex = existing.CreateIndex
        else:
            peering.CreateIndex = idx
        peering.ModifyIndex = idx
        if peering.State == "DELETING":
            self.secrets.pop(peering.ID, None)
        self.peerings[peering.Name.lower()] = peering
        self.index = idx
        self.dc.changed()

    def validate_peer(self, name: str, *, dial: bool) -> None:
        """``validatePeer``: a name is either dialed by its peer (a token's) or dials it.

        ``dial`` is True for ``Establish``, False for ``GenerateToken``.
        """
        existing = self.peerings.get(name.lower())
        if existing is None or existing.should_dial() == dial:
            return
        if dial:
            raise RPCError(
                f'cannot create peering with name: "{existing.Name}"; '
                "there is an existing peering expecting to be dialed"
            )
        raise RPCError(
            f'cannot create peering with name: "{existing.Name}"; '
            "there is already an established peering"
        )

    def generate_token(self, name: str, meta: dict[str, str], idx: int) -> tuple[Peering, str]:
        """``GenerateToken``'s write: the accepting peering (``PENDING``) and a new secret.

        A new token for a peering that accepts keeps its ID and rotates its
        secret. Call :meth:`validate_peer` first.
        """
        existing = self.peerings.get(name.lower())
        if existing is None:
            peering = Peering(ID=self._new_id(), Name=name, Meta=dict(meta))
        else:
            peering = Peering(ID=existing.ID, Name=name, Meta=dict(meta), State=existing.State)
        secret = str(uuid.uuid4())
        self.write(idx, peering)
        self.secrets[peering.ID] = secret
        return peering, secret

    def establish(
        self, name: str, meta: dict[str, str], token: dict[str, Any], idx: int
    ) -> Peering:
        """``Establish``'s first write: the dialing peering, before the secret exchange.

        Call :meth:`validate_peer` first.
        """
        existing = self.peerings.get(name.lower())
        remote = token.get("Remote") or {}
        peering = Peering(
            ID=existing.ID if existing is not None else self._new_id(),
            Name=name,
            State=existing.State if existing is not None else "PENDING",
            Meta=dict(meta),
            PeerID=token.get("PeerID") or "",
            PeerCAPems=list(token.get("CA") or []),
            PeerServerName=token.get("ServerName") or "",
            PeerServerAddresses=list(token.get("ServerAddresses") or []),
            ManualServerAddresses=list(token.get("ManualServerAddresses") or []),
            RemotePartition=remote.get("Partition") or "",
            RemoteDatacenter=remote.get("Datacenter") or "",
        )
        self.write(idx, peering)
        return peering

    def mark_deleted(self, name: str, idx: int, now: datetime.datetime) -> bool:
        """The RPC's ``PeeringDelete``: mark the peering ``DELETING``; False if nothing to do.

        Only its identity, addresses and remote are kept (``service.go``
        ``PeeringDelete`` writes nothing else); the leader removes it next
        (:meth:`remove`).
        """
        existing = self.peerings.get(name.lower())
        if existing is None or existing.State == "DELETING":
            return False
        self.write(
            idx,
            Peering(
                ID=existing.ID,
                Name=name,
                State="DELETING",
                PeerServerAddresses=list(existing.PeerServerAddresses),
                ManualServerAddresses=list(existing.ManualServerAddresses),
                DeletedAt=now,
            ),
        )
        return True

    def remove(self, name: str, idx: int) -> bool:
        """The state store's ``PeeringDelete``: drop a peering marked for deletion."""
        existing = self.peerings.get(name.lower())
        if existing is None or existing.State != "DELETING":
            return False
        del self.peerings[name.lower()]
        self.index = idx
        self.dc.changed()
        return True
