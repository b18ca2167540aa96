"""The agent telling of itself: host, version, metrics, the metrics stream and the monitor.

After ``agent/agent_endpoint.go`` (``AgentHost``, ``AgentVersion``,
``AgentMetrics``, ``AgentMetricsStream``, ``AgentMonitor``), go-metrics'
``InmemSink`` and hclog's line formats.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

import pytest
from harness import CALL_TIMEOUT, RawHTTP, json_documents, wait_until

from consul.testing import DevAgent


@pytest.fixture
def quick_agent() -> Iterator[DevAgent]:
    """An agent whose metrics intervals last a tenth of a second."""
    with DevAgent(metrics_interval=0.1) as agent:
        yield agent


def lines_until(response, pattern: str) -> list[str]:
    """Lines of a streamed answer up to the first that matches ``pattern``."""
    seen = []
    for line in response.iter_lines(decode_unicode=True):
        seen.append(line)
        if re.search(pattern, line):
            return seen
    raise AssertionError(f"stream ended before {pattern!r}: {seen}")


# -- version and host ----------------------------------------------------------------


def test_version_needs_no_token(anon):
    response = anon.get("/v1/agent/version")
    assert response.status_code == 200
    assert response.json() == {
        "SHA": "",
        "BuildDate": "1970-01-01T00:00:01Z",
        "HumanVersion": "1.22.0",
        "FIPS": "",
    }


def test_host_needs_operator_read(anon, root):
    # AgentHost checks operator:read, not agent:read.
    denied = anon.get("/v1/agent/host")
    assert denied.status_code == 403
    assert "lacks permission 'operator:read'" in denied.text
    info = root.get("/v1/agent/host").json()
    assert set(info) == {"Memory", "CPU", "Host", "Disk", "CollectionTime", "Errors"}
    assert info["Memory"]["total"] >= info["Memory"]["available"] > 0
    assert info["CPU"]
    assert info["CPU"][0]["cpu"] == 0
    assert info["Host"]["hostname"]
    assert info["Host"]["bootTime"] > 0
    assert info["Disk"]["path"] == "/"
    assert info["Disk"]["total"] > 0
    assert info["Errors"] is None


# -- metrics ---------------------------------------------------------------------------


def test_metrics_need_agent_read(anon):
    response = anon.get("/v1/agent/metrics")
    assert response.status_code == 403
    assert "lacks permission 'agent:read'" in response.text


def test_metrics_show_the_requests_of_the_last_finished_interval(quick_agent):
    with RawHTTP(quick_agent.url) as api:
        assert api.put("/v1/kv/k", data=b"v").status_code == 200

        def measured() -> bool:
            samples = api.get("/v1/agent/metrics").json()["Samples"]
            return any(s["Labels"] == {"method": "PUT", "path": "v1_kv_"} for s in samples)

        wait_until(measured)
        summary = api.get("/v1/agent/metrics").json()
    assert set(summary) == {"Timestamp", "Gauges", "Points", "Counters", "Samples"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC", summary["Timestamp"])
    sample = next(s for s in summary["Samples"] if s["Labels"].get("path") == "v1_kv_")
    assert sample["Name"] == "consul.api.http"
    assert list(sample) == [
        "Name", "Count", "Rate", "Sum", "Min", "Max", "Mean", "Stddev", "Labels",
    ]  # fmt: skip
    assert sample["Count"] >= 1
    assert sample["Min"] <= sample["Mean"] <= sample["Max"]
    gauges = {g["Name"]: g["Value"] for g in summary["Gauges"]}
    assert gauges["consul.state.nodes"] == 1
    assert gauges["consul.state.services"] == 1  # the consul service


def test_prometheus_output_is_refused_as_a_dev_agent_refuses_it(api):
    # telemetry.prometheus_retention_time is 0 on a dev agent: CodeWithPayloadError 415.
    for kwargs in (
        {"params": {"format": "prometheus"}},
        {"headers": {"Accept": "application/openmetrics-text"}},
    ):
        response = api.get("/v1/agent/metrics", **kwargs)
        assert response.status_code == 415
        assert response.text == "Prometheus is not enabled since its retention time is not positive"
        assert response.headers["Content-Type"] == "text/plain"


def test_metrics_stream_writes_each_interval_as_it_ends(quick_agent):
    with RawHTTP(quick_agent.url) as api:
        response = api.get("/v1/agent/metrics/stream", stream=True)
        try:
            assert response.status_code == 200
            assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
            chunks: list[str] = []
            read = (chunks.append(c) or c for c in response.iter_content(None, decode_unicode=True))
            documents = list(itertools.islice(json_documents(read), 2))
        finally:
            response.close()
    assert all(set(d) >= {"Timestamp", "Gauges", "Counters", "Samples"} for d in documents)
    # json.Encoder with SetIndent("", "    ").
    assert chunks[-1].startswith('{\n    "Timestamp"') or '\n    "Gauges"' in chunks[-1]


# -- monitor ---------------------------------------------------------------------------


def test_monitor_level_must_be_known(api):
    response = api.get("/v1/agent/monitor", params={"loglevel": "loud"})
    assert response.status_code == 400
    assert response.text == "Unknown log level: loud"


def test_monitor_needs_agent_read(anon):
    response = anon.get("/v1/agent/monitor")
    assert response.status_code == 403


def test_monitor_streams_what_the_agent_does_from_its_level_up(api):
    response = api.get("/v1/agent/monitor", params={"loglevel": "info"}, stream=True)
    try:
        assert response.status_code == 200
        api.get("/v1/kv/missing")  # a DEBUG line: below the monitor's level
        api.put("/v1/agent/service/register", json={"Name": "web"})
        seen = lines_until(response, r"Synced service")
    finally:
        response.close()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d{4}) \[INFO\]  agent: "
        r"Synced service: service=web",
        seen[-1],
    )
    assert not any("[DEBUG]" in line for line in seen)


def test_monitor_at_debug_shows_requests_without_their_token(api):
    response = api.get("/v1/agent/monitor", params={"loglevel": "DEBUG"}, stream=True)
    try:
        api.get("/v1/kv/k", params={"token": "s3cret", "recurse": ""})
        seen = lines_until(response, r"url=/v1/kv/k")
    finally:
        response.close()
    # HTTPHandlers.wrap hides the token and re-encodes the query (sorted).
    assert (
        "agent.http: Request finished: method=GET url=/v1/kv/k?recurse=&token=%3Chidden%3E"
        in (seen[-1])
    )
    assert "s3cret" not in "".join(seen)


def test_monitor_in_json_and_errors_at_error_level(api):
    response = api.get("/v1/agent/monitor", params={"loglevel": "err", "logjson": ""}, stream=True)
    try:
        api.get("/v1/kv/missing")  # a 404 is no error of the handler
        refused = api.put("/v1/kv/k", params={"cas": "x"})
        assert refused.status_code == 500  # a strconv error, answered by handleErr
        seen = lines_until(response, r"cas")
    finally:
        response.close()
    records = [json.loads(line) for line in seen]
    assert all(r["@level"] == "error" for r in records)
    last = records[-1]
    assert list(last)[:4] == ["@level", "@message", "@module", "@timestamp"]
    assert last["@module"] == "agent.http"
    assert last["@message"] == "Request error"
    assert last["method"] == "PUT"
    assert last["error"] == refused.text


def test_a_reset_ends_the_monitors(consul_agent):
    with RawHTTP(consul_agent.url) as api:
        response = api.get("/v1/agent/monitor", stream=True)
        consul_agent.reset()
        assert list(response.iter_lines()) == []
        response.close()


def test_monitor_lines_flow_within_the_flush_interval(api):
    # A line logged now reaches the monitor without the request ending.
    response = api.get("/v1/agent/monitor", stream=True, timeout=CALL_TIMEOUT)
    try:
        api.put("/v1/agent/maintenance", params={"enable": "true"})
        assert lines_until(response, r"Node entered maintenance mode")
    finally:
        response.close()
