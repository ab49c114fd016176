"""ApiVersions as the router answers it, and the stats arithmetic."""

from __future__ import annotations

from typing import Any

from kraft.ready import LogAppend, LogTruncate, Ready
from kraft.shell.router import SERVED_API_KEYS, Router
from kraft.shell.stats import NodeFigures, Stats, status_line, weighted_percentile
from kraft.types import BatchInfo, Records
from wire.headers import decode_response
from wire.messages.api_versions import ApiVersionsRequest
from wire.registry import API_SPECS, API_VERSIONS_KEY


def api_versions(version: int, request: ApiVersionsRequest) -> Any:
    router = Router(loop=None)  # type: ignore[arg-type]
    frame = router._api_versions(version, 5, request)
    correlation_id, body = decode_response(API_VERSIONS_KEY, version, frame[4:])
    assert correlation_id == 5
    return body


def test_api_versions_advertises_exactly_what_is_served_and_decodable() -> None:
    body = api_versions(
        4, ApiVersionsRequest(client_software_name="a", client_software_version="1")
    )
    assert body.error_code == 0
    advertised = {k.api_key: (k.min_version, k.max_version) for k in body.api_keys}
    assert set(advertised) == set(SERVED_API_KEYS)
    for key, versions in advertised.items():
        assert versions == (API_SPECS[key].min_version, API_SPECS[key].max_version)
    assert 0 in advertised  # Produce: librdkafka will not fetch otherwise
    assert 10 not in advertised  # FindCoordinator: would start group coordination
    assert {52, 53, 54, 55, 1, 18} <= set(advertised)


def test_api_versions_v0_and_invalid_software_name() -> None:
    assert api_versions(0, ApiVersionsRequest()).error_code == 0
    bad = api_versions(
        3, ApiVersionsRequest(client_software_name="-bad", client_software_version="1")
    )
    assert bad.error_code == 42


def test_weighted_percentile_is_exact_nearest_rank() -> None:
    samples = [(10, 98), (50, 1), (90, 1)]
    assert weighted_percentile(samples, 0.5) == 10
    assert weighted_percentile(samples, 0.99) == 50
    assert weighted_percentile(samples, 0.999) == 90
    assert weighted_percentile([(7, 1)], 0.99) == 7


def _append(base: int, count: int, size: int) -> LogAppend:
    info = BatchInfo(base, base + count - 1, 1, size, False)
    return LogAppend(Records(b"x" * size, (info,)))


def test_interval_figures() -> None:
    stats = Stats(start_ms=0)
    stats.on_ready(Ready(log_ops=[_append(0, 10, 1000), _append(10, 10, 1000)]), 0)
    stats.on_ready(Ready(high_watermark=0), 0)
    stats.on_ready(Ready(high_watermark=10), 100)
    stats.record_latency(20, 9)
    stats.record_latency(40, 1)
    figures = NodeFigures(1, "leader", 1, 3, 20, 10)
    first = stats.take_interval(1000, figures)
    assert first["committed_records_per_s"] == 10.0
    assert first["committed_bytes_per_s"] == 1000.0
    assert first["commit_latency_ms_p50"] == 20 and first["commit_latency_ms_p99"] == 40
    assert first["commit_latency_ms_max"] == 40
    assert "node 1 leader (leader 1, epoch 3)" in status_line(first)
    stats.on_ready(Ready(log_ops=[LogTruncate(15)]), 1100)
    stats.on_ready(Ready(high_watermark=20), 1500)  # beyond what is priced: no bytes invented
    second = stats.take_interval(2000, NodeFigures(1, "follower", 2, 3, 20, 20))
    assert second["committed_records_per_s"] == 10.0
    assert second["commit_latency_ms_p50"] is None


def test_append_history_keeps_only_the_uncommitted_tail() -> None:
    stats = Stats(start_ms=0)
    for batch in range(10_000):
        stats.on_ready(Ready(log_ops=[_append(batch * 10, 10, 100)]), batch)
        stats.on_ready(Ready(high_watermark=batch * 10 + 5), batch)  # HW inside the newest batch
    assert len(stats._marks) <= 2
    figures = stats.take_interval(10_000, NodeFigures(1, "leader", 1, 1, 100_000, 99_995))
    # 9,999 whole batches of 100 bytes lie below the HW; the first HW seen was 5 (no batch yet).
    assert figures["committed_bytes_per_s"] == 9_999 * 100 / 10.0
