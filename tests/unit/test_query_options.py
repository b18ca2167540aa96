"""The query options of reads, as requests carry them (no server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import consul
from consul.api.catalog import Catalog
from consul.api.health import Health
from consul.api.kv import KV


@pytest.fixture
def client() -> Iterator[consul.Consul]:
    client = consul.Consul()
    yield client
    client.close()


def test_every_option_on_the_wire(client: consul.Consul) -> None:
    request = Health.service(
        client.health,
        "web",
        filter_expr="Service.Port == 80",
        near="_agent",
        node_meta={"rack": "r1", "env": "a:b"},
        tag=["v1", "primary"],
        cached=True,
        max_age=30,
        stale_if_error="1m",
        peer="east",
        ns="team",
        partition="part",
        merge_central_config=True,
    ).request
    assert list(request.params) == [
        ("filter", "Service.Port == 80"),
        ("near", "_agent"),
        ("peer", "east"),
        ("ns", "team"),
        ("partition", "part"),
        ("node-meta", "rack:r1"),
        ("node-meta", "env:a:b"),
        ("tag", "v1"),
        ("tag", "primary"),
        ("merge-central-config", ""),
        ("cached", ""),
    ]
    # api/api.go setQueryOptions: whole seconds, joined with ", ".
    assert ("Cache-Control", "max-age=30, stale-if-error=60") in request.headers


def test_nothing_is_sent_unless_given(client: consul.Consul) -> None:
    # Consul CE answers 400 to any ?ns or ?partition, even an empty one.
    for call in (
        Health.service(client.health, "web", ns="", partition="", peer="", near=""),
        Catalog.services(client.catalog, ns=None, partition=None, cached=False),
        KV.get(client.kv, "k"),
    ):
        names = {name for name, _ in call.request.params}
        assert names.isdisjoint({"ns", "partition", "peer", "near", "cached", "filter"})
        assert "Cache-Control" not in dict(call.request.headers)


def test_cache_control_rounds_to_whole_seconds(client: consul.Consul) -> None:
    def cache_control(**options: object) -> str | None:
        request = Catalog.service(client.catalog, "web", cached=True, **options).request  # type: ignore[arg-type]
        return dict(request.headers).get("Cache-Control")

    assert cache_control() is None
    assert cache_control(max_age=0) == "max-age=0"
    assert cache_control(max_age=2.5) == "max-age=2"
    assert cache_control(max_age=3.5) == "max-age=4"
    assert cache_control(max_age="1h") == "max-age=3600"
    assert cache_control(stale_if_error=10) == "stale-if-error=10"


def test_bad_options_are_refused_before_any_request(client: consul.Consul) -> None:
    with pytest.raises(ValueError, match="cached cannot be combined with consistency"):
        Catalog.service(client.catalog, "web", cached=True, consistency="consistent")
    client.consistency = "consistent"
    with pytest.raises(ValueError, match="cached cannot be combined with consistency"):
        Health.service(client.health, "web", cached=True)
    client.consistency = "default"
    with pytest.raises(ValueError, match="max_age only applies with cached=True"):
        Catalog.service(client.catalog, "web", max_age=5)
    with pytest.raises(ValueError, match="stale_if_error only applies with cached=True"):
        Catalog.services(client.catalog, stale_if_error=5)
    with pytest.raises(ValueError, match="max_age must not be negative"):
        Catalog.services(client.catalog, cached=True, max_age=-1)
    with pytest.raises(ValueError, match="max_age must be a duration"):
        Catalog.services(client.catalog, cached=True, max_age="soon")
    with pytest.raises(TypeError, match="cached must be a bool"):
        Catalog.services(client.catalog, cached="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="merge_central_config must be a bool"):
        Catalog.service(client.catalog, "web", merge_central_config=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ns must be a str"):
        KV.get(client.kv, "k", ns=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="partition must be a str"):
        Catalog.nodes(client.catalog, partition=b"p")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="peer must be a str"):
        Health.connect(client.health, "web", peer=["p"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tag must be a str or a list of str"):
        Health.ingress(client.health, "web", tag=[1])  # type: ignore[list-item]
