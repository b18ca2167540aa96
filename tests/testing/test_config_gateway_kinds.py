"""``/v1/config``: the gateway-API kinds, certificates, JWT providers and CE's refusals, raw HTTP.

After ``agent/structs/config_entry_gateways.go`` (``api-gateway``,
``bound-api-gateway``), ``config_entry_routes.go`` (``http-route``,
``tcp-route``), ``config_entry_inline_certificate.go``,
``config_entry_file_system_certificate.go``, ``config_entry_jwt_provider.go``,
``config_entry_sameness_group_ce.go`` and ``config_entry.go``
(``MakeConfigEntry``: the kinds Consul CE makes), and
``agent/consul/state/config_entry.go`` (a controlled entry's ``Status``).
"""

from __future__ import annotations

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID
from harness import RawHTTP

from consul.testing import DevAgent


def put(api, entry, **params):
    return api.put("/v1/config", json=entry, params=params)


def conditions(entry):
    """An entry's status conditions: (type, resource, status, reason, message)."""
    return [
        (
            condition["Type"],
            tuple(condition["Resource"].values()),
            condition["Status"],
            condition["Reason"],
            condition["Message"],
        )
        for condition in entry["Status"]["Conditions"] or []
    ]


def refused(api, entry):
    """The status and text of a write Consul refuses."""
    response = put(api, entry)
    return response.status_code, response.text


# -- certificates ------------------------------------------------------------------------


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key, private_format=PrivateFormat.PKCS8):
    return key.private_bytes(Encoding.PEM, private_format, NoEncryption()).decode()


def certificate_pem(key, common_name="gateway.example.com", dns=(), ips=()):
    """A self-signed certificate of ``key``'s public key."""
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    )
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "test")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    names = [x509.DNSName(name) for name in dns] + [
        x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips
    ]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(Encoding.PEM).decode()


def inline(name="cert", **fields):
    return {"Kind": "inline-certificate", "Name": name, **fields}


def test_an_inline_certificate_is_checked_and_stored(api):
    key = ec_key()
    certificate = certificate_pem(key, dns=["a.example.com"], ips=["127.0.0.1", "::1"])
    assert put(api, inline(Certificate=certificate, PrivateKey=key_pem(key))).json() is True
    entry = api.get("/v1/config/inline-certificate/cert").json()
    assert entry["Certificate"] == certificate
    assert entry["PrivateKey"] == key_pem(key)
    assert entry["Kind"] == "inline-certificate"
    assert entry["Hash"] > 0


def test_a_short_rsa_key_is_refused_only_in_a_pkcs1_block(api):
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    certificate = certificate_pem(key)
    pkcs1 = key_pem(key, PrivateFormat.TraditionalOpenSSL)
    assert pkcs1.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert refused(api, inline(Certificate=certificate, PrivateKey=pkcs1)) == (
        500,
        "key length must be at least 2048 bits",
    )
    # validateKeyLength looks at "RSA PRIVATE KEY" blocks only: PKCS #8 passes.
    assert put(api, inline(Certificate=certificate, PrivateKey=key_pem(key))).json() is True


def test_inline_certificate_errors_are_consuls(api):
    key, other = ec_key(), ec_key()
    certificate = certificate_pem(key)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = [
        (inline(Certificate=certificate, PrivateKey="nope"), "failed to parse private key PEM"),
        (inline(Certificate="nope", PrivateKey=key_pem(key)), "failed to parse certificate PEM"),
        (
            inline(
                Certificate="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                PrivateKey=key_pem(key),
            ),
            "failed to parse certificate: x509: malformed certificate",
        ),
        (
            inline(Certificate=certificate, PrivateKey=key_pem(other)),
            "tls: private key does not match public key",
        ),
        (
            inline(Certificate=certificate_pem(rsa_key), PrivateKey=key_pem(key)),
            "tls: private key type does not match public key type",
        ),
        (
            inline(Certificate=certificate, PrivateKey=certificate),
            "tls: found a certificate rather than a key in the PEM for the private key",
        ),
        (
            inline(Certificate=certificate_pem(key, common_name=""), PrivateKey=key_pem(key)),
            'host "" must be a valid DNS hostname',
        ),
        (
            inline(
                Certificate=certificate_pem(key, dns=["bad..example.com"]),
                PrivateKey=key_pem(key),
            ),
            'host "bad..example.com" must be a valid DNS hostname',
        ),
        (
            inline(Certificate=certificate, PrivateKey=key_pem(key), Meta={"k" * 129: "v"}),
            f'1 error occurred:\n\t* Meta key "{"k" * 129}" exceeds maximum length 128\n\n',
        ),
    ]
    for entry, text in cases:
        assert refused(api, entry) == (500, text)
    assert api.get("/v1/config/inline-certificate").json() == []


def test_a_file_system_certificate_names_files_consul_does_not_read(api):
    entry = {
        "Kind": "file-system-certificate",
        "Name": "files",
        "Certificate": "/etc/ssl/gateway.pem",
        "PrivateKey": "/etc/ssl/gateway.key",
    }
    assert put(api, entry).json() is True
    stored = api.get("/v1/config/file-system-certificate/files").json()
    assert {key: stored[key] for key in entry} == entry
    assert refused(api, {**entry, "Meta": {"k" * 129: "v"}})[0] == 500


# -- api-gateway and bound-api-gateway ---------------------------------------------------


def gateway(name="gw", *listeners, **fields):
    listeners = listeners or ({"Name": "http", "Port": 8080, "Protocol": "http"},)
    return {"Kind": "api-gateway", "Name": name, "Listeners": list(listeners), **fields}


def test_an_api_gateway_is_normalized_and_its_status_is_the_controllers(api):
    listener = {
        "Name": "https",
        "Port": 8443,
        "Protocol": "HTTP",
        "Hostname": "*.example.com",
        "TLS": {"Certificates": [{"Name": "cert"}], "MinVersion": "TLSv1_2"},
    }
    status = {"Conditions": [{"Type": "Accepted", "Status": "True"}]}
    assert put(api, gateway("gw", listener, Status=status)).json() is True
    entry = api.get("/v1/config/api-gateway/gw").json()
    assert entry["Listeners"] == [
        {
            "Name": "https",
            "Hostname": "*.example.com",
            "Port": 8443,
            "Protocol": "http",
            "TLS": {
                "Certificates": [{"Kind": "inline-certificate", "Name": "cert", "SectionName": ""}],
                "MaxVersion": "",
                "MinVersion": "TLSv1_2",
                "CipherSuites": None,
            },
        }
    ]
    # The Status a user writes is ignored: the controller's says the certificate is missing.
    assert conditions(entry) == [
        (
            "ResolvedRefs",
            ("api-gateway", "gw", "https"),
            "False",
            "InvalidCertificateRef",
            'certificate "cert" not found',
        ),
        (
            "Accepted",
            ("", "", ""),
            "False",
            "InvalidCertificates",
            "gateway references invalid certificates",
        ),
        (
            "Conflicted",
            ("api-gateway", "gw", "https"),
            "False",
            "NoConflict",
            "listener has no route conflicts",
        ),
    ]


@pytest.mark.parametrize(
    ("listeners", "text"),
    [
        ([], "api gateway must have at least one listener"),
        (
            [{"Name": "Web", "Port": 80, "Protocol": "http"}],
            'listener name "Web" is invalid, must be at least 1 character and contain only '
            "letters, numbers, or dashes",
        ),
        (
            [{"Name": "a", "Port": 80, "Protocol": "http"}, {"Name": "a", "Port": 81}],
            'found multiple listeners with the name "a"',
        ),
        (
            [
                {"Name": "a", "Port": 80, "Protocol": "http"},
                {"Name": "b", "Port": 80, "Protocol": "tcp"},
            ],
            'listeners "a" and "b" cannot be merged',
        ),
        (
            [{"Name": "a", "Port": 80, "Protocol": "udp"}],
            "unsupported listener protocol \"udp\", must be one of 'tcp', or 'http'",
        ),
        (
            [{"Name": "a", "Port": 80, "Protocol": "tcp", "Hostname": "example.com"}],
            "hostname specification is not supported when using TCP",
        ),
        (
            [{"Name": "a", "Port": 0, "Protocol": "http"}],
            "listener port 0 not in the range 1-65535",
        ),
        (
            [{"Name": "a", "Port": 80, "Protocol": "http", "Hostname": "a.*.example.com"}],
            'host "a.*.example.com" is not valid, a wildcard specifier is only allowed as the '
            "left-most label",
        ),
        (
            [
                {
                    "Name": "a",
                    "Port": 80,
                    "Protocol": "http",
                    "TLS": {"Certificates": [{"Kind": "file-system-certificate", "Name": "c"}]},
                }
            ],
            'unsupported certificate kind: "file-system-certificate", must be '
            "'inline-certificate'",
        ),
        (
            [{"Name": "a", "Port": 80, "Protocol": "http", "TLS": {"Certificates": [{}]}}],
            "certificate reference must have a name",
        ),
        (
            [{"Name": "a", "Port": 80, "Protocol": "http", "TLS": {"MinVersion": "TLSv9"}}],
            "no matching TLS version found for TLSv9, please specify one of "
            "[TLS_AUTO, TLSv1_0, TLSv1_1, TLSv1_2, TLSv1_3]",
        ),
        (
            [
                {
                    "Name": "a",
                    "Port": 80,
                    "Protocol": "http",
                    "TLS": {"MinVersion": "TLSv1_3", "MaxVersion": "TLSv1_2"},
                }
            ],
            "configuring max version TLSv1_2 less than the configured min version TLSv1_3 "
            "is invalid",
        ),
        (
            [
                {
                    "Name": "a",
                    "Port": 80,
                    "Protocol": "http",
                    "TLS": {
                        "MinVersion": "TLSv1_3",
                        "CipherSuites": ["TLS_RSA_WITH_AES_128_CBC_SHA"],
                    },
                }
            ],
            "configuring CipherSuites is only applicable to connections negotiated with TLS 1.2 "
            "or earlier, TLSMinVersion is set to TLSv1_3",
        ),
        (
            [
                {
                    "Name": "a",
                    "Port": 80,
                    "Protocol": "http",
                    "TLS": {"CipherSuites": ["TLS_RSA_WITH_AES_128_CBC_SHA", "NOPE", "NADA"]},
                }
            ],
            "no matching Envoy TLS cipher suite found for NOPE,NADA",
        ),
    ],
)
def test_api_gateway_validation_errors(api, listeners, text):
    entry = {"Kind": "api-gateway", "Name": "gw", "Listeners": listeners}
    assert refused(api, entry) == (500, text)


def test_api_gateway_jwt_is_an_enterprise_feature(api):
    listener = {
        "Name": "a",
        "Port": 80,
        "Protocol": "http",
        "Override": {"JWT": {"Providers": [{"Name": "okta"}]}},
    }
    assert refused(api, gateway("gw", listener)) == (
        400,
        "Request decoding failed: 1 error occurred:\n"
        '\t* invalid config key "Listeners[0].Override.JWT.Providers", api-gateway jwt '
        "validation is a consul enterprise feature\n\n",
    )


def test_a_rewrite_keeps_the_status_and_bound_gateways_are_the_controllers(api):
    put(api, gateway())
    first = api.get("/v1/config/api-gateway/gw").json()
    put(api, gateway(Meta={"team": "edge"}, Status={"Conditions": [{"Type": "Accepted"}]}))
    second = api.get("/v1/config/api-gateway/gw").json()
    assert second["Status"] == first["Status"]
    assert second["ModifyIndex"] > first["ModifyIndex"]
    bound = {"Kind": "bound-api-gateway", "Name": "gw", "Listeners": [{"Name": "http"}]}
    assert refused(api, bound) == (403, "Permission denied: only writeable by controller")
    response = api.delete("/v1/config/bound-api-gateway/gw")
    assert (response.status_code, response.text) == (
        403,
        "Permission denied: only writeable by controller",
    )
    # Validate runs before CanWrite.
    bound["Listeners"][0]["Routes"] = [{"Kind": "service-router", "Name": "r"}]
    assert refused(api, bound) == (
        500,
        "unsupported route kind: \"service-router\", must be one of 'http-route', or 'tcp-route'",
    )
    assert api.get("/v1/config/bound-api-gateway/gw").json()["Listeners"] == [
        {"Name": "http", "Routes": None, "Certificates": None}
    ]


# -- routes ------------------------------------------------------------------------------


def http_route(name="web", **fields):
    return {"Kind": "http-route", "Name": name, "Parents": [{"Name": "gw"}], **fields}


def test_an_http_route_is_normalized(api):
    rules = [
        {
            "Matches": [{"Method": "get"}, {"Path": {"Match": "exact", "Value": "/x"}}],
            "Services": [{"Name": "web"}, {"Name": "api", "Weight": 3}],
            "Filters": {"TimeoutFilter": {"RequestTimeout": "5s"}},
        }
    ]
    assert put(api, http_route(Rules=rules, Hostnames=["web.example.com"])).json() is True
    entry = api.get("/v1/config/http-route/web").json()
    assert entry["Parents"] == [{"Kind": "api-gateway", "Name": "gw", "SectionName": ""}]
    rule = entry["Rules"][0]
    assert [match["Method"] for match in rule["Matches"]] == ["GET", ""]
    assert rule["Matches"][0]["Path"] == {"Match": "prefix", "Value": "/"}
    assert rule["Matches"][1]["Path"] == {"Match": "exact", "Value": "/x"}
    assert [service["Weight"] for service in rule["Services"]] == [1, 3]
    assert rule["Filters"]["TimeoutFilter"] == {"RequestTimeout": 5_000_000_000, "IdleTimeout": 0}
    # The services are tcp (no service-defaults) and there is no gateway "gw".
    assert conditions(entry) == [
        (
            "Accepted",
            ("", "", ""),
            "False",
            "InvalidDiscoveryChain",
            "route protocol does not match targeted service protocol",
        ),
        ("Bound", ("api-gateway", "gw", ""), "False", "GatewayNotFound", "gateway was not found"),
    ]


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"Hostnames": ["bad..host"]}, 'host "bad..host" must be a valid DNS hostname'),
        ({"Hostnames": ["*.example.com"]}, 'host "*.example.com" must not be a wildcard'),
        (
            {"Parents": [{"Kind": "ingress-gateway", "Name": "gw"}]},
            "unsupported parent kind: \"ingress-gateway\", must be 'api-gateway'",
        ),
        ({"Parents": [{"Name": "gw"}, {"Name": "gw"}]}, "route parents must be unique"),
        (
            {"Rules": [{}, {"Matches": [{"Method": "FETCH"}]}]},
            'Rule[1], Match[0], Method contains an invalid method "FETCH"',
        ),
        (
            {"Rules": [{"Matches": [{"Query": [{"Match": "exact"}]}]}]},
            "Rule[0], Match[0], Query[0], missing required Name field",
        ),
        (
            {"Rules": [{"Matches": [{"Query": [{"Name": "q", "Match": "prefix"}]}]}]},
            "Rule[0], Match[0], Query[0], match type should be one of present, exact, or regex",
        ),
        (
            {"Rules": [{"Matches": [{"Headers": [{"Name": "h", "Match": "glob"}]}]}]},
            "Rule[0], Match[0], Headers[0], match type should be one of present, exact, prefix, "
            "suffix, or regex",
        ),
        (
            {"Rules": [{"Matches": [{}, {"Path": {"Match": "prefix", "Value": "x"}}]}]},
            "Rule[0], Match[1], Path, prefix type match doesn't start with '/': \"x\"",
        ),
        (
            {"Rules": [{"Matches": [{"Path": {"Match": "glob", "Value": "/"}}]}]},
            "Rule[0], Match[0], Path, match type should be one of exact, prefix, or regex",
        ),
    ],
)
def test_http_route_validation_errors(api, fields, text):
    assert refused(api, http_route(**fields)) == (500, text)


def test_tcp_routes(api):
    route = {"Kind": "tcp-route", "Name": "db", "Parents": [{"Name": "gw", "SectionName": "tcp"}]}
    assert put(api, {**route, "Services": [{"Name": "db"}]}).json() is True
    entry = api.get("/v1/config/tcp-route/db").json()
    assert entry["Services"] == [{"Name": "db"}]
    assert entry["Parents"] == [{"Kind": "api-gateway", "Name": "gw", "SectionName": "tcp"}]
    assert refused(api, {**route, "Services": [{"Name": "a"}, {"Name": "b"}]}) == (
        500,
        "tcp-route currently only supports one service",
    )
    two = {**route, "Parents": [{"Name": "gw"}, {"Kind": "api-gateway", "Name": "gw"}]}
    assert refused(api, two) == (500, "route parents must be unique")


# -- the API gateway controller (agent/consul/gateways/controller_gateways.go) ----------


def edge(**fields):
    """A gateway with an HTTP listener for *.example.com and a TCP listener."""
    return gateway(
        "edge",
        {"Name": "web", "Port": 8080, "Protocol": "http", "Hostname": "*.example.com"},
        {"Name": "db", "Port": 5432, "Protocol": "tcp"},
        **fields,
    )


def entry_of(api, kind, name):
    return api.get(f"/v1/config/{kind}/{name}").json()


def test_the_controller_binds_routes_to_the_listeners_of_their_protocol(api):
    put(api, {"Kind": "service-defaults", "Name": "web", "Protocol": "http"})
    assert put(api, edge()).json() is True
    web = http_route(Parents=[{"Name": "edge"}], Rules=[{"Services": [{"Name": "web"}]}])
    assert put(api, web).json() is True
    db = {
        "Kind": "tcp-route",
        "Name": "db",
        "Parents": [{"Name": "edge", "SectionName": "db"}],
        "Services": [{"Name": "db"}],
    }
    assert put(api, db).json() is True
    bound = entry_of(api, "bound-api-gateway", "edge")
    assert bound["Listeners"] == [
        {
            "Name": "web",
            "Routes": [{"Kind": "http-route", "Name": "web", "SectionName": ""}],
            "Certificates": None,
        },
        {
            "Name": "db",
            "Routes": [{"Kind": "tcp-route", "Name": "db", "SectionName": ""}],
            "Certificates": None,
        },
    ]
    assert bound["Services"] == {
        "web": [{"Kind": "http-route", "Name": "web", "SectionName": ""}],
        "db": [{"Kind": "tcp-route", "Name": "db", "SectionName": ""}],
    }
    assert conditions(entry_of(api, "http-route", "web")) == [
        ("Accepted", ("", "", ""), "True", "Accepted", "route is valid"),
        ("Bound", ("api-gateway", "edge", ""), "True", "Bound", "successfully bound route"),
    ]
    stamp = entry_of(api, "http-route", "web")["Status"]["Conditions"][0]["LastTransitionTime"]
    assert stamp.endswith("Z")
    assert ("Accepted", ("", "", ""), "True", "Accepted", "gateway is valid") in conditions(
        entry_of(api, "api-gateway", "edge")
    )
    # Deleting the route unbinds it.
    api.delete("/v1/config/http-route/web")
    bound = entry_of(api, "bound-api-gateway", "edge")
    assert bound["Listeners"][0]["Routes"] is None
    assert list(bound["Services"]) == ["db"]


def test_a_route_that_cannot_bind_says_why(api):
    put(api, edge())
    wrong_listener = {
        "Kind": "tcp-route",
        "Name": "db",
        "Parents": [{"Name": "edge", "SectionName": "web"}],
        "Services": [{"Name": "db"}],
    }
    put(api, wrong_listener)
    assert conditions(entry_of(api, "tcp-route", "db"))[1] == (
        "Bound",
        ("api-gateway", "edge", "web"),
        "False",
        "FailedToBind",
        "failed to bind route db to gateway edge: listener web is not a tcp listener",
    )
    # The route's service is tcp: the route is not accepted, so it binds nowhere.
    put(api, http_route(Parents=[{"Name": "edge"}], Rules=[{"Services": [{"Name": "web"}]}]))
    assert conditions(entry_of(api, "http-route", "web"))[1][2:] == (
        "False",
        "FailedToBind",
        "failed to bind route to gateway edge: route has not been accepted",
    )
    put(api, {"Kind": "service-defaults", "Name": "web", "Protocol": "http"})
    other_host = http_route(
        Parents=[{"Name": "edge"}],
        Hostnames=["web.example.org"],
        Rules=[{"Services": [{"Name": "web"}]}],
    )
    put(api, other_host)
    assert conditions(entry_of(api, "http-route", "web"))[1][2:] == (
        "False",
        "FailedToBind",
        "failed to bind route to gateway edge: listener web is does not have any hostnames "
        "that match the route",
    )
    assert entry_of(api, "bound-api-gateway", "edge")["Listeners"][0]["Routes"] is None


def test_a_route_is_accepted_once_its_service_speaks_its_protocol(api):
    put(api, edge())
    put(api, http_route(Parents=[{"Name": "edge"}], Rules=[{"Services": [{"Name": "web"}]}]))
    assert conditions(entry_of(api, "http-route", "web"))[0][2] == "False"
    # Any write re-runs the controller: here the service's defaults.
    put(api, {"Kind": "service-defaults", "Name": "web", "Protocol": "http"})
    assert [c[2] for c in conditions(entry_of(api, "http-route", "web"))] == ["True", "True"]
    assert entry_of(api, "bound-api-gateway", "edge")["Services"] == {
        "web": [{"Kind": "http-route", "Name": "web", "SectionName": ""}]
    }


def test_two_routes_on_a_tcp_listener_conflict(api):
    put(api, edge())
    for name in ("a", "b"):
        route = {
            "Kind": "tcp-route",
            "Name": name,
            "Parents": [{"Name": "edge", "SectionName": "db"}],
            "Services": [{"Name": name}],
        }
        put(api, route)
    assert (
        "Conflicted",
        ("api-gateway", "edge", "db"),
        "True",
        "RouteConflict",
        "TCP-based listeners currently only support binding a single route",
    ) in conditions(entry_of(api, "api-gateway", "edge"))


def test_a_gateway_is_accepted_once_its_certificate_exists_and_its_bound_gateway_goes_with_it(
    api,
):
    listener = {
        "Name": "https",
        "Port": 8443,
        "Protocol": "http",
        "TLS": {"Certificates": [{"Name": "cert"}]},
    }
    put(api, gateway("gw", listener))
    assert conditions(entry_of(api, "api-gateway", "gw"))[1][2] == "False"
    assert entry_of(api, "bound-api-gateway", "gw")["Listeners"][0]["Certificates"] is None
    key = ec_key()
    put(api, inline(Certificate=certificate_pem(key), PrivateKey=key_pem(key)))
    entry = entry_of(api, "api-gateway", "gw")
    assert conditions(entry)[:2] == [
        ("ResolvedRefs", ("api-gateway", "gw", "https"), "True", "ResolvedRefs", "resolved refs"),
        ("Accepted", ("", "", ""), "True", "Accepted", "gateway is valid"),
    ]
    assert entry_of(api, "bound-api-gateway", "gw")["Listeners"][0]["Certificates"] == [
        {"Kind": "inline-certificate", "Name": "cert", "SectionName": ""}
    ]
    # A write that changes no condition leaves the status (and its times) as it was.
    put(api, gateway("gw", listener, Meta={"team": "edge"}))
    assert entry_of(api, "api-gateway", "gw")["Status"] == entry["Status"]
    api.delete("/v1/config/api-gateway/gw")
    assert api.get("/v1/config/bound-api-gateway/gw").status_code == 404


def test_the_controllers_entries_are_copied_to_the_other_datacenters():
    with DevAgent(extra_datacenters=("dc2",)) as agent, RawHTTP(agent.url) as api:
        assert put(api, edge(), dc="dc2").json() is True
        primary = entry_of(api, "api-gateway", "edge")
        secondary = api.get("/v1/config/api-gateway/edge", params={"dc": "dc2"}).json()
        assert secondary["Status"] == primary["Status"]
        assert conditions(secondary)[2][:3] == ("Accepted", ("", "", ""), "True")
        bound = api.get("/v1/config/bound-api-gateway/edge", params={"dc": "dc2"}).json()
        assert [listener["Name"] for listener in bound["Listeners"]] == ["web", "db"]


# -- jwt-provider ------------------------------------------------------------------------


def provider(**fields):
    return {"Kind": "jwt-provider", "Name": "okta", **fields}


REMOTE = {"Remote": {"URI": "https://example.com/.well-known/jwks.json"}}


def test_a_jwt_provider_gets_the_default_clock_skew(api):
    body = provider(
        json_web_key_set={"remote": {"uri": REMOTE["Remote"]["URI"], "cache_duration": "5m"}},
        Locations=[{"Header": {"Name": "Authorization", "value_prefix": "Bearer "}}],
    )
    assert put(api, body).json() is True
    entry = api.get("/v1/config/jwt-provider/okta").json()
    assert entry["ClockSkewSeconds"] == 30
    assert entry["JSONWebKeySet"] == {
        "Remote": {"URI": REMOTE["Remote"]["URI"], "CacheDuration": 300_000_000_000}
    }
    assert entry["Locations"] == [{"Header": {"Name": "Authorization", "ValuePrefix": "Bearer "}}]


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"Name": ""}, "Name is required"),
        ({}, "JSONWebKeySet is required"),
        (
            {"JSONWebKeySet": {**REMOTE, "Local": {"Filename": "/jwks.json"}}},
            "must specify exactly one of Local or Remote JSON Web key set",
        ),
        ({"JSONWebKeySet": {"Remote": {}}}, "Remote JWKS URI is required"),
        (
            {"JSONWebKeySet": {"Remote": {"URI": "example.com"}}},
            'Remote JWKS URI is invalid: parse "example.com": invalid URI for request, '
            "uri: example.com",
        ),
        (
            {
                "JSONWebKeySet": {
                    "Remote": {
                        **REMOTE["Remote"],
                        "RetryPolicy": {
                            "RetryPolicyBackOff": {"BaseInterval": "10s", "MaxInterval": "1s"}
                        },
                    }
                }
            },
            "retry policy backoff's MaxInterval should be greater or equal to BaseInterval",
        ),
        (
            {
                "JSONWebKeySet": {
                    "Remote": {**REMOTE["Remote"], "JWKSCluster": {"DiscoveryType": "DNS"}}
                }
            },
            'unsupported jwks cluster discovery type: "DNS"',
        ),
        (
            {
                "JSONWebKeySet": {
                    "Remote": {**REMOTE["Remote"], "JWKSCluster": {"TLSCertificates": {}}}
                }
            },
            "must specify exactly one of: CaCertificateProviderInstance or TrustedCA for JKWS' "
            "TLSCertificates",
        ),
        (
            {
                "JSONWebKeySet": {
                    "Remote": {
                        **REMOTE["Remote"],
                        "JWKSCluster": {"TLSCertificates": {"TrustedCA": {}}},
                    }
                }
            },
            "must specify exactly one of: Filename, EnvironmentVariable, InlineString or "
            "InlineBytes for JWKS' TrustedCA",
        ),
        (
            {"JSONWebKeySet": {"Local": {}}},
            "must specify exactly one of String or filename for local keyset",
        ),
        (
            {"JSONWebKeySet": {"Local": {"JWKS": "not base64!"}}},
            "JWKS must be valid base64 encoded string",
        ),
        (
            {"JSONWebKeySet": REMOTE, "Locations": [{}, {"Cookie": {}}]},
            "2 errors occurred:\n"
            "\t* must set exactly one of: JWT location header, query param or cookie\n"
            "\t* JWT location cookie name must be specified\n\n",
        ),
        (
            {"JSONWebKeySet": REMOTE, "Forwarding": {"PadForwardPayloadHeader": True}},
            "Header name required for forwarding config",
        ),
    ],
)
def test_jwt_provider_validation_errors(api, fields, text):
    assert refused(api, provider(**fields)) == (500, text)


# -- what Consul CE refuses ---------------------------------------------------------------


def test_sameness_groups_are_decoded_then_refused(api):
    group = {"Kind": "sameness-group", "Name": "east", "Members": [{"Peer": "west"}]}
    assert refused(api, group) == (500, "sameness-groups are an enterprise-only feature")
    assert refused(api, {**group, "Bogus": 1}) == (
        400,
        'Request decoding failed: 1 error occurred:\n\t* invalid config key "Bogus"\n\n',
    )
    response = api.get("/v1/config/sameness-group/east")
    assert response.status_code == 404
    assert api.get("/v1/config/sameness-group").json() == []


@pytest.mark.parametrize("kind", ["control-plane-request-limit", "registration"])
def test_kinds_consul_ce_does_not_make(api, kind):
    assert refused(api, {"Kind": kind, "Name": "x"}) == (
        400,
        f"Request decoding failed: invalid config entry kind: {kind}",
    )
    response = api.get(f"/v1/config/{kind}/x")
    assert (response.status_code, response.text) == (500, f"invalid config entry kind: {kind}")


# -- ACLs --------------------------------------------------------------------------------


def test_the_acl_rules_of_the_gateway_kinds(root, anon):
    assert put(root, gateway()).json() is True
    assert put(root, http_route()).json() is True
    response = put(anon, gateway())
    assert response.status_code == 403
    assert "lacks permission 'mesh:write'" in response.text
    response = anon.get("/v1/config/api-gateway/gw")
    assert (response.status_code, "lacks permission 'service:read' on \"gw\"" in response.text) == (
        403,
        True,
    )
    response = anon.get("/v1/config/http-route/web")
    assert (response.status_code, "lacks permission 'mesh:read'" in response.text) == (403, True)
    assert anon.get("/v1/config/http-route").json() == []
    # Bound gateways refuse even the management token.
    response = root.delete("/v1/config/bound-api-gateway/gw")
    assert (response.status_code, response.text) == (
        403,
        "Permission denied: only writeable by controller",
    )
