"""The ``inline-certificate`` and ``file-system-certificate`` kinds: an API gateway's certificates.

After ``agent/structs/config_entry_inline_certificate.go`` and
``agent/structs/config_entry_file_system_certificate.go``. An inline
certificate's PEM texts are checked as Consul checks them with Go's
``encoding/pem``, ``crypto/x509`` and ``crypto/tls.X509KeyPair``, here with
the ``cryptography`` library: the key's PEM block (an RSA key in a ``RSA
PRIVATE KEY`` block has at least 2048 bits), the certificate's, the pair
(the key is the certificate's), and its host names (common name, DNS and IP
SANs) as DNS names. A file-system certificate only names files on the
gateway's host, which Consul does not read. Both are read with
``mesh:read`` and written with ``mesh:write``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
)
from cryptography.x509.oid import NameOID

from ..errors import RPCError
from ..golang import quote
from ..gotypes import STRING, struct
from .gateway_api import is_domain_name
from .registry import Entry, Kind, can_read_mesh, can_write_mesh
from .types import HASH, META, entry_hash, validate_meta

__all__ = ["FILE_SYSTEM_KIND", "INLINE_KIND", "pem_blocks"]

INLINE_CERTIFICATE = struct(
    "structs.InlineCertificateConfigEntry",
    Kind=STRING,
    Name=STRING,
    Certificate=STRING,
    PrivateKey=STRING,
    Meta=META,
    Hash=HASH,
)
FILE_SYSTEM_CERTIFICATE = struct(
    "structs.FileSystemCertificateConfigEntry",
    Kind=STRING,
    Name=STRING,
    Certificate=STRING,
    PrivateKey=STRING,
    Meta=META,
    Hash=HASH,
)

#: ``structs.MinKeyLength``: Envoy refuses shorter RSA keys.
MIN_KEY_LENGTH = 2048
#: A PEM block: its type line, then (headers and) base64 lines, then its end line.
_PEM = re.compile(
    r"(?:\A|\n)-----BEGIN ([^\n]*?)-----[ \t\r]*\n(.*?)\n?-----END \1-----", re.DOTALL
)
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def pem_blocks(text: str) -> Iterator[tuple[str, bytes]]:
    """The PEM blocks of ``text`` in order, as ``pem.Decode`` finds them: (type, bytes).

    A block whose body is not base64 is passed over, as Go does; the
    ``Name: value`` header lines a block may have are skipped.
    """
    for match in _PEM.finditer(text):
        lines = match.group(2).split("\n")
        if any(":" in line for line in lines):
            # Headers end with the first empty line.
            blank = next((i for i, line in enumerate(lines) if not line.strip()), None)
            lines = lines[blank + 1 :] if blank is not None else lines
        body = "".join("".join(lines).split())
        try:
            yield match.group(1), base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            continue


def _first_block(text: str) -> tuple[str, bytes] | None:
    return next(pem_blocks(text), None)


def _load_key(der: bytes) -> PrivateKey | None:
    """``tls.parsePrivateKey``: an RSA, ECDSA or Ed25519 key in PKCS #1, PKCS #8 or SEC 1."""
    try:
        key = load_der_private_key(der, password=None)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, PrivateKey) else None


def _format_of(key: PrivateKey, der: bytes) -> str:
    """Which DER form ``der`` holds ``key`` in: ``pkcs8`` or the traditional one."""
    pkcs8 = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    return "pkcs8" if pkcs8 == der else "traditional"


def _check_key_length(block_type: str, der: bytes) -> None:
    """``validateKeyLength``: an ``RSA PRIVATE KEY`` block is a PKCS #1 key of 2048 bits or more.

    Other blocks are not checked (a short RSA key in PKCS #8 passes, as in Consul).
    """
    if block_type != "RSA PRIVATE KEY":
        return
    key = _load_key(der)
    if isinstance(key, rsa.RSAPrivateKey) and _format_of(key, der) == "traditional":
        if key.key_size < MIN_KEY_LENGTH:
            raise RPCError("key length must be at least 2048 bits")
        return
    if isinstance(key, ec.EllipticCurvePrivateKey) and _format_of(key, der) == "traditional":
        raise RPCError(
            "x509: failed to parse private key (use ParseECPrivateKey instead for this key format)"
        )
    if key is not None:
        raise RPCError(
            "x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key "
            "format)"
        )
    raise RPCError("x509: malformed private key")


def _check_key_pair(certificate_pem: str, key_pem: str) -> None:
    """``tls.X509KeyPair``: a ``CERTIFICATE`` block, a ``PRIVATE KEY`` block, and they match."""
    certificates: list[bytes] = []
    skipped: list[str] = []
    for block_type, der in pem_blocks(certificate_pem):
        if block_type == "CERTIFICATE":
            certificates.append(der)
        else:
            skipped.append(block_type)
    if not certificates:
        if len(skipped) == 1 and skipped[0].endswith("PRIVATE KEY"):
            raise RPCError(
                "tls: failed to find certificate PEM data in certificate input, but did find a "
                "private key; PEM inputs may have been switched"
            )
        raise RPCError(
            'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping '
            f"PEM blocks of the following types: [{' '.join(skipped)}]"
        )
    skipped = []
    key_der = None
    for block_type, der in pem_blocks(key_pem):
        if block_type == "PRIVATE KEY" or block_type.endswith(" PRIVATE KEY"):
            key_der = der
            break
        skipped.append(block_type)
    if key_der is None:
        if skipped == ["CERTIFICATE"]:
            raise RPCError(
                "tls: found a certificate rather than a key in the PEM for the private key"
            )
        raise RPCError(
            'tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after '
            f"skipping PEM blocks of the following types: [{' '.join(skipped)}]"
        )
    try:
        certificate = x509.load_der_x509_certificate(certificates[0])
    except ValueError:
        raise RPCError("x509: malformed certificate") from None
    key = _load_key(key_der)
    if key is None:
        raise RPCError("tls: failed to parse private key")
    public = certificate.public_key()
    for public_type, private_type in (
        (rsa.RSAPublicKey, rsa.RSAPrivateKey),
        (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey),
        (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey),
    ):
        if isinstance(public, public_type):
            if not isinstance(key, private_type):
                raise RPCError("tls: private key type does not match public key type")
            if key.public_key() != public:
                raise RPCError("tls: private key does not match public key")
            return
    raise RPCError("tls: unknown public key algorithm")


def certificate_hosts(certificate: x509.Certificate) -> list[str]:
    """``InlineCertificateConfigEntry.Hosts``: the common name, the DNS SANs, the IP SANs."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    hosts = [str(names[-1].value) if names else ""]
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return hosts
    hosts.extend(sans.get_values_for_type(x509.DNSName))
    hosts.extend(str(ip) for ip in sans.get_values_for_type(x509.IPAddress))
    return hosts


def _normalize_inline(entry: Entry) -> None:
    entry["Kind"] = INLINE_KIND.name
    entry["Hash"] = entry_hash(entry)


def validate_inline(entry: Entry) -> None:
    """``InlineCertificateConfigEntry.Validate``: the first problem found."""
    validate_meta(entry["Meta"])
    key_block = _first_block(entry["PrivateKey"])
    if key_block is None:
        raise RPCError("failed to parse private key PEM")
    _check_key_length(*key_block)
    certificate_block = _first_block(entry["Certificate"])
    if certificate_block is None:
        raise RPCError("failed to parse certificate PEM")
    try:
        certificate = x509.load_der_x509_certificate(certificate_block[1])
    except ValueError:
        raise RPCError("failed to parse certificate: x509: malformed certificate") from None
    _check_key_pair(entry["Certificate"], entry["PrivateKey"])
    for host in certificate_hosts(certificate):
        if not is_domain_name(host):
            raise RPCError(f"host {quote(host)} must be a valid DNS hostname")


INLINE_KIND = Kind(
    "inline-certificate",
    INLINE_CERTIFICATE,
    normalize=_normalize_inline,
    validate=validate_inline,
    can_read=can_read_mesh,
    can_write=can_write_mesh,
)


def _normalize_file_system(entry: Entry) -> None:
    entry["Kind"] = FILE_SYSTEM_KIND.name
    entry["Hash"] = entry_hash(entry)


def _validate_file_system(entry: Entry) -> None:
    """``FileSystemCertificateConfigEntry.Validate``: only its ``Meta`` (the files are not read)."""
    validate_meta(entry["Meta"])


FILE_SYSTEM_KIND = Kind(
    "file-system-certificate",
    FILE_SYSTEM_CERTIFICATE,
    normalize=_normalize_file_system,
    validate=_validate_file_system,
    can_read=can_read_mesh,
    can_write=can_write_mesh,
)
