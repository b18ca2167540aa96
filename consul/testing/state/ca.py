"""The Connect CA of one datacenter: Consul's built-in provider.

At a leader's start (``agent/consul/leader_connect_ca.go``,
``initializeCAConfig`` and ``newCARoot``) the CA gets its configuration and a
root made as ``agent/connect/ca/provider_consul.go`` (``generateCA``) makes
it: an EC P-256 key, a self-signed certificate for the trust domain
``<cluster id>.consul`` valid for ``RootCertTTL``. A new configuration whose
key settings differ makes a new root (``UpdateConfiguration``), cross-signed
by the old one, which is kept inactive. Leaf certificates are signed by the
active root (``Sign``). Every row is plain data (PEM text, strings, numbers),
so a snapshot carries the CA whole.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import RPCError
from .golang import format_duration, parse_duration_ns, quote

if TYPE_CHECKING:
    from .datacenter import Datacenter

__all__ = ["CAConfigError", "CARoot", "CAStore", "ProviderConfig", "colon_hex"]

#: ``DefaultConfig().CAConfig`` (``agent/consul/config.go``): what the leader stores first.
DEFAULT_CA_CONFIG: dict[str, Any] = {
    "LeafCertTTL": "72h",
    "IntermediateCertTTL": "8760h",
    "RootCertTTL": "87600h",
}

_HOUR = 3_600_000_000_000
_EC_CURVES: dict[int, ec.EllipticCurve] = {
    224: ec.SECP224R1(),
    256: ec.SECP256R1(),
    384: ec.SECP384R1(),
    521: ec.SECP521R1(),
}

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class CAConfigError(ValueError):
    """A provider configuration Consul refuses; ``str()`` is Consul's text."""


@dataclasses.dataclass(frozen=True)
class ProviderConfig:
    """``structs.ConsulCAProviderConfig``: the built-in provider's settings (TTLs in ns)."""

    leaf_cert_ttl: int = 72 * _HOUR
    intermediate_cert_ttl: int = 8760 * _HOUR
    root_cert_ttl: int = 87600 * _HOUR
    private_key_type: str = "ec"
    private_key_bits: int = 256
    private_key: str = ""
    root_cert: str = ""

    @property
    def identity(self) -> tuple[str, str, str, int]:
        """What names the provider's root: a change of it makes a new root.

        ``ConsulProvider.Configure`` hashes the key, the certificate and the
        key settings into the provider's ID.
        """
        return (self.private_key, self.root_cert, self.private_key_type, self.private_key_bits)

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> ProviderConfig:
        """``ca.ParseConsulCAConfig``: decode over the defaults, then validate.

        Keys match in any case (mapstructure); a duration is a Go duration
        string or a number of nanoseconds.
        """
        folded = {key.lower(): value for key, value in raw.items()}
        values: dict[str, Any] = {}
        errors: list[str] = []
        durations = ("LeafCertTTL", "IntermediateCertTTL", "RootCertTTL")
        for name in durations:
            value = folded.get(name.lower())
            if value is None:
                continue
            try:
                values[name] = _duration(value)
            except ValueError as exc:
                errors.append(f"error decoding '{name}': {exc}")
        for name in ("PrivateKeyType", "PrivateKey", "RootCert"):
            value = folded.get(name.lower())
            if value is not None:
                values[name] = str(value)
        bits = folded.get("privatekeybits")
        if bits is not None:
            try:
                values["PrivateKeyBits"] = int(bits)
            except (TypeError, ValueError):
                errors.append(f"cannot parse 'PrivateKeyBits' as int: {bits!r}")
        if errors:
            points = "\n".join(f"* {e}" for e in sorted(errors))
            raise CAConfigError(
                f"error decoding config: {len(errors)} error(s) decoding:\n\n{points}"
            )
        defaults = cls()
        config = cls(
            leaf_cert_ttl=values.get("LeafCertTTL", defaults.leaf_cert_ttl),
            intermediate_cert_ttl=values.get("IntermediateCertTTL", defaults.intermediate_cert_ttl),
            root_cert_ttl=values.get("RootCertTTL", defaults.root_cert_ttl),
            private_key_type=values.get("PrivateKeyType", defaults.private_key_type),
            private_key_bits=values.get("PrivateKeyBits", defaults.private_key_bits),
            private_key=values.get("PrivateKey", ""),
            root_cert=values.get("RootCert", ""),
        )
        config.validate()
        return config

    def validate(self) -> None:
        """``CommonCAProviderConfig.Validate`` (``agent/structs/connect_ca.go``), in its order."""
        if not self.private_key and self.root_cert:
            raise CAConfigError("must provide a private key when providing a root cert")
        leaf, inter, root = self.leaf_cert_ttl, self.intermediate_cert_ttl, self.root_cert_ttl
        if root != 0 and root < inter:
            raise CAConfigError(
                "root cert TTL is set and is not greater than intermediate cert ttl. "
                f"root cert ttl: {format_duration(root)}, "
                f"intermediate cert ttl: {format_duration(inter)}"
            )
        if leaf < _HOUR:
            raise CAConfigError("leaf cert TTL must be greater or equal than 1h0m0s")
        if leaf > 8760 * _HOUR:
            raise CAConfigError("leaf cert TTL must be less than 8760h0m0s")
        if inter < 3 * _HOUR:
            raise CAConfigError("Intermediate Cert TTL must be greater or equal than 3h")
        if inter < 3 * leaf:
            raise CAConfigError(
                "Intermediate Cert TTL must be greater or equal than 3 * LeafCertTTL "
                f"(>={format_duration(3 * leaf)})."
            )
        if self.private_key_type == "ec":
            if self.private_key_bits not in _EC_CURVES:
                raise CAConfigError("EC key length must be one of (224, 256, 384, 521) bits")
        elif self.private_key_type == "rsa":
            if self.private_key_bits not in (2048, 4096):
                raise CAConfigError("RSA key length must be 2048 or 4096 bits")
        else:
            raise CAConfigError("private key type must be either 'ec' or 'rsa'")


def _duration(value: Any) -> int:
    """A duration of the config map in nanoseconds (``structs.ParseDurationFunc``)."""
    if isinstance(value, str):
        return parse_duration_ns(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a duration, got {type(value).__name__}")
    return int(value)


def colon_hex(data: bytes) -> str:
    """``connect.HexString``: lower-case hex bytes joined by colons."""
    return ":".join(f"{b:02x}" for b in data)


def _key_id(key: SigningKey) -> bytes:
    """``connect.KeyId``: SHA-256 of the PKIX public key."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return digest.finalize()


def _go_time(moment: datetime.datetime) -> str:
    """A UTC time as Go's ``time.Time`` marshals it (whole seconds here)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key: SigningKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A root's CertSign|CRLSign|DigitalSignature, or a leaf's (``provider_consul.go``)."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=not ca,
        key_agreement=not ca,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclasses.dataclass
class CARoot:
    """``structs.CARoot``: one root certificate, with its key (never shown)."""

    id: str
    name: str
    serial_number: int
    signing_key_id: str
    external_trust_domain: str
    not_before: str
    not_after: str
    root_cert: str
    intermediate_certs: list[str] | None
    signing_key: str
    private_key_type: str
    private_key_bits: int
    active: bool
    create_index: int
    modify_index: int

    def to_json(self) -> dict[str, Any]:
        """The root as ``/v1/connect/ca/roots`` shows it (``SigningKey`` left out)."""
        return {
            "ID": self.id,
            "Name": self.name,
            "SerialNumber": self.serial_number,
            "SigningKeyID": self.signing_key_id,
            "ExternalTrustDomain": self.external_trust_domain,
            "NotBefore": self.not_before,
            "NotAfter": self.not_after,
            "RootCert": self.root_cert,
            "IntermediateCerts": self.intermediate_certs,
            "Active": self.active,
            "PrivateKeyType": self.private_key_type,
            "PrivateKeyBits": self.private_key_bits,
            "CreateIndex": self.create_index,
            "ModifyIndex": self.modify_index,
        }


class CAStore:
    """The ``connect-ca-roots`` and ``connect-ca-config`` tables of one datacenter."""

    #: The agent's leaf certificate cache is no Raft state.
    transient: ClassVar[tuple[str, ...]] = ("leaves",)

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: ``CAConfiguration.ClusterID``: names the trust domain.
        self.cluster_id = ""
        #: ``CAConfiguration`` (``Provider``, ``Config``, ``State``...), once written.
        self.configuration: dict[str, Any] | None = None
        self.roots: list[CARoot] = []
        #: The index of the roots table (what blocking queries on roots watch).
        self.roots_index = 0
        #: The provider's serial counter (``provider_consul.go`` keeps one in its state).
        self.serial = 0
        #: The agent's leaf certificates by service: (roots index, IssuedCert).
        self.leaves: dict[str, tuple[int, dict[str, Any]]] = {}

    @property
    def trust_domain(self) -> str:
        """``<cluster id>.consul``: the SPIFFE trust domain of the CA."""
        return f"{self.cluster_id}.consul"

    def bootstrap(self) -> None:
        """The leader initializes the CA at start: its configuration and first root."""
        if self.configuration is not None:
            return
        idx = self.dc.apply()
        self.cluster_id = str(uuid.uuid4())
        self.configuration = {
            "Provider": "consul",
            "Config": dict(DEFAULT_CA_CONFIG),
            "State": None,
            "ForceWithoutCrossSigning": False,
            "CreateIndex": idx,
            "ModifyIndex": idx,
        }
        self.roots = [self._new_root(idx, ProviderConfig.parse(DEFAULT_CA_CONFIG))]
        self.roots_index = idx

    def update(
        self, provider: str, raw: dict[str, Any], state: dict[str, str] | None, force: bool
    ) -> None:
        """``CAManager.UpdateConfiguration``: store a new configuration, rotate if need be.

        Raises :class:`CAConfigError` for a configuration refused (the
        handler answers 400 for the state, 500 for the rest).
        """
        current = self.configuration
        assert current is not None
        if state and state != current.get("State"):
            raise CAConfigError(
                "Provider State is read-only. It must be omitted or identical to the current value"
            )
        if provider == current["Provider"] and raw == current["Config"]:
            return  # nothing changes, not even the index
        if provider != "consul":
            raise RPCError(f"could not initialize provider: unknown CA provider {quote(provider)}")
        try:
            config = ProviderConfig.parse(raw)
        except CAConfigError as exc:
            raise RPCError(f"error configuring provider: {exc}") from None
        old = ProviderConfig.parse(current["Config"])
        idx = self.dc.apply()
        # The new root is made before anything is stored: a key that cannot
        # be used leaves the configuration as it was.
        root = self._new_root(idx, config) if config.identity != old.identity else None
        self.configuration = {
            **current,
            "Provider": provider,
            "Config": dict(raw),
            "ForceWithoutCrossSigning": force,
            "ModifyIndex": idx,
        }
        if root is not None:
            self._rotate(idx, root)
        self.dc.changed()

    def _rotate(self, idx: int, root: CARoot) -> None:
        """``root`` becomes the active one, cross-signed by the old one (its first intermediate)."""
        previous = self.active_root()
        if root.id == previous.id:
            return
        root.intermediate_certs = [self._cross_sign(previous, root)]
        for old in self.roots:
            if old.active:
                old.active = False
                old.modify_index = idx
        self.roots.append(root)
        self.roots_index = idx

    def _cross_sign(self, signer: CARoot, root: CARoot) -> str:
        """``ConsulProvider.CrossSignCA``: the new root's certificate, issued by the old root."""
        key = _load_key(signer.signing_key)
        issuer = x509.load_pem_x509_certificate(signer.root_cert.encode())
        cert = x509.load_pem_x509_certificate(root.root_cert.encode())
        self.serial += 1
        builder = (
            x509.CertificateBuilder()
            .subject_name(cert.subject)
            .issuer_name(issuer.subject)
            .public_key(cert.public_key())
            .serial_number(self.serial)
            .not_valid_before(cert.not_valid_before_utc)
            .not_valid_after(cert.not_valid_after_utc)
        )
        for extension in cert.extensions:
            if isinstance(extension.value, x509.AuthorityKeyIdentifier):
                continue
            builder = builder.add_extension(extension.value, extension.critical)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(_key_id(key), None, None), critical=False
        )
        return _pem(builder.sign(key, hashes.SHA256()))

    def _new_root(self, idx: int, config: ProviderConfig) -> CARoot:
        """``generateCA`` + ``newCARoot``: the configured root, or a new self-signed one."""
        if config.private_key:
            key = _load_key(config.private_key)
        elif config.private_key_type == "rsa":
            key = rsa.generate_private_key(65537, config.private_key_bits)
        else:
            key = ec.generate_private_key(_EC_CURVES[config.private_key_bits])
        if config.root_cert:
            try:
                cert = x509.load_pem_x509_certificate(config.root_cert.encode())
            except ValueError as exc:
                raise RPCError(
                    f"error configuring provider: error parsing root cert: {exc}"
                ) from None
        else:
            cert = self._self_signed(key, config)
        try:
            skid = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except x509.ExtensionNotFound:
            skid = _key_id(key)
        return CARoot(
            id=colon_hex(cert.fingerprint(hashes.SHA1())),  # noqa: S303 - Consul's root ID
            name="Consul CA Primary Cert",
            serial_number=cert.serial_number,
            signing_key_id=colon_hex(skid),
            external_trust_domain=self.cluster_id,
            not_before=_go_time(cert.not_valid_before_utc),
            not_after=_go_time(cert.not_valid_after_utc),
            root_cert=_pem(cert),
            intermediate_certs=None,
            signing_key=_key_pem(key),
            private_key_type="rsa" if isinstance(key, rsa.RSAPrivateKey) else "ec",
            private_key_bits=key.key_size,
            active=True,
            create_index=idx,
            modify_index=idx,
        )

    def _self_signed(self, key: SigningKey, config: ProviderConfig) -> x509.Certificate:
        self.serial += 1
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        key_id = _key_id(key)
        # connect.CACN: pri-<uid>.consul.ca.<first 8 of the cluster id>.consul
        common_name = f"pri-{uuid.uuid4().hex[:8]}.consul.ca.{self.cluster_id[:8]}.consul"
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(self.serial)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(microseconds=config.root_cert_ttl // 1000))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier(key_id), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier(key_id, None, None), critical=False)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(f"spiffe://{self.trust_domain}")]
                ),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )

    def active_root(self) -> CARoot:
        """The root that signs (there is always one once the CA is initialized)."""
        return next(r for r in self.roots if r.active)

    def leaf(self, service: str) -> tuple[int, dict[str, Any]]:
        """The agent's leaf certificate for ``service`` and its index, signed on first use.

        ``agent/leafcert/generate.go``: a new EC P-256 key, the service's
        SPIFFE ID as URI SAN, signed by the active root (``provider_consul.go``
        ``Sign``: valid from a minute ago for ``LeafCertTTL``). The agent keeps
        it until the roots change, when a new one is signed.
        """
        cached = self.leaves.get(service)
        if cached is not None and cached[0] == self.roots_index:
            return cached
        assert self.configuration is not None
        ttl = ProviderConfig.parse(self.configuration["Config"]).leaf_cert_ttl
        root = self.active_root()
        signer = _load_key(root.signing_key)
        issuer = x509.load_pem_x509_certificate(root.root_cert.encode())
        key = ec.generate_private_key(ec.SECP256R1())
        uri = f"spiffe://{self.trust_domain}/ns/default/dc/{self.dc.name}/svc/{service}"
        self.serial += 1
        not_before = datetime.datetime.now(datetime.UTC).replace(
            microsecond=0
        ) - datetime.timedelta(minutes=1)
        not_after = not_before + datetime.timedelta(microseconds=ttl // 1000)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(issuer.subject)
            .public_key(key.public_key())
            .serial_number(self.serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
                ),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier(_key_id(key)), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier(_key_id(signer), None, None), critical=False)
            # An empty subject makes the SAN critical (RFC 5280 4.2.1.6).
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), critical=True
            )
            .sign(signer, hashes.SHA256())
        )
        serial = self.serial.to_bytes((self.serial.bit_length() + 7) // 8 or 1, "big")
        issued = {
            "SerialNumber": colon_hex(serial),
            "CertPEM": _pem(cert),
            "PrivateKeyPEM": _key_pem(key),
            "Service": service,
            "ServiceURI": uri,
            "ValidAfter": _go_time(not_before),
            "ValidBefore": _go_time(not_after),
            "CreateIndex": self.roots_index,
            "ModifyIndex": self.roots_index,
        }
        self.leaves[service] = (self.roots_index, issued)
        return self.leaves[service]

    def roots_json(self) -> dict[str, Any]:
        """``structs.IndexedCARoots``: the roots and which one signs."""
        return {
            "ActiveRootID": self.active_root().id,
            "TrustDomain": self.trust_domain,
            "Roots": [r.to_json() for r in self.roots],
        }


def _load_key(text: str) -> SigningKey:
    """A PEM private key (``connect.ParseSigner``): EC or RSA."""
    try:
        key = serialization.load_pem_private_key(text.encode(), None)
    except ValueError as exc:
        raise RPCError(f"error configuring provider: error parsing private key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise RPCError("error configuring provider: only EC and RSA keys are supported")
    return key
