"""A Prometheus endpoint (`metrics.port`): Kafka's raft metrics, the workload's, the process's.

Kafka's `kafka.server:type=raft-metrics` are exported under Prometheus names:
`kafka_server_raft_metrics_` + the Kafka name with `_` for `-` (current_state{state=...},
current_leader, current_epoch, high_watermark, log_end_offset, log_end_epoch,
commit_latency_avg/max, append_records_rate, fetch_records_rate, election_latency_avg/max,
poll_idle_ratio_avg, number_unknown_voter_connections); the README's "Metrics" section says what
each one measures here. Rates, averages and maxima cover the last 30 s (Kafka's sample window);
an average or maximum with no sample is NaN; -1 stands for an unknown leader or high watermark.
Beside them: `pykraft_workload_*` (what the last status line said: committed records and bytes
per second, commit latency percentiles; the same interval, so a scrape agrees with the status
line), `pykraft_peer_connections` (open outbound connections), `pykraft_refused_connections_total`
(TLS and SASL failures) and prometheus-client's `process_*` and `python_*` figures.

Threads: prometheus-client serves scrapes from its own thread, so the trio side publishes one
immutable snapshot (`publish`, every `PUBLISH_INTERVAL_S`) and a scrape only reads the latest:
the figures of one scrape always belong together, and the scrape thread never touches the node.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import trio
from prometheus_client import (
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kraft.ready import LogAppend, LogTruncate, Ready
from kraft.roles import RoleName

WINDOW_MS = 30_000  # Kafka's metrics sample window (2 samples of 30 s); one window here
PUBLISH_INTERVAL_S = 0.5
RAFT_PREFIX = "kafka_server_raft_metrics_"
NO_LEADER = -1
UNKNOWN = -1
ELECTION_ROLES = frozenset({RoleName.CANDIDATE, RoleName.PROSPECTIVE})
LATENCY_QUANTILES = (("0.5", "commit_latency_ms_p50"), ("0.99", "commit_latency_ms_p99"))


class _Window:
    """(time, value) samples of the last `WINDOW_MS`."""

    def __init__(self) -> None:
        self._samples: deque[tuple[int, float]] = deque()

    def add(self, now_ms: int, value: float) -> None:
        self._samples.append((now_ms, value))

    def _trim(self, now_ms: int) -> None:
        while self._samples and self._samples[0][0] <= now_ms - WINDOW_MS:
            self._samples.popleft()

    def rate_per_s(self, now_ms: int, since_ms: int) -> float:
        self._trim(now_ms)
        span_ms = max(min(WINDOW_MS, now_ms - since_ms), 1)
        return sum(v for _, v in self._samples) * 1000 / span_ms

    def avg(self, now_ms: int) -> float:
        self._trim(now_ms)
        if not self._samples:
            return math.nan
        return sum(v for _, v in self._samples) / len(self._samples)

    def max(self, now_ms: int) -> float:
        self._trim(now_ms)
        return max((v for _, v in self._samples), default=math.nan)


@dataclass(frozen=True, slots=True)
class NodeFacts:
    role: str
    leader_id: int | None
    epoch: int
    log_end_offset: int
    log_end_epoch: int
    high_watermark: int | None


class RaftMetrics:
    """Kafka's raft metrics, fed by the node loop's Readys (`on_ready`, a ReadyListener)."""

    def __init__(self, start_ms: int) -> None:
        self._start_ms = start_ms
        self._role: str | None = None
        self._appended = _Window()
        self._fetched = _Window()
        self._commit_latency = _Window()
        self._election_latency = _Window()
        self._election_started_ms: int | None = None
        # (end offset, append time) of the leader's uncommitted appends, in offset order.
        self._pending: deque[tuple[int, int]] = deque()
        self.published: dict[str, Any] = {}
        self.last_interval: dict[str, Any] = {}
        self._idle_s_at = (0.0, 0.0)  # (loop idle seconds, trio time) at the last publish
        self.poll_idle_ratio = math.nan

    def on_ready(self, ready: Ready, now_ms: int) -> None:
        if ready.role_change is not None:
            self._role = ready.role_change
            if ready.role_change in ELECTION_ROLES and self._election_started_ms is None:
                self._election_started_ms = now_ms
            if ready.role_change != RoleName.LEADER:
                self._pending.clear()
        if (
            ready.leader_change is not None
            and ready.leader_change.leader_id is not None
            and self._election_started_ms is not None
        ):
            self._election_latency.add(now_ms, now_ms - self._election_started_ms)
            self._election_started_ms = None
        for op in ready.log_ops:
            if isinstance(op, LogAppend):
                records = op.records.end_offset - op.records.base_offset
                if self._role == RoleName.LEADER:
                    self._appended.add(now_ms, records)
                    self._pending.append((op.records.end_offset, now_ms))
                else:
                    self._fetched.add(now_ms, records)
            elif isinstance(op, LogTruncate):
                while self._pending and self._pending[-1][0] > op.end_offset:
                    self._pending.pop()
        if ready.high_watermark is not None:
            while self._pending and self._pending[0][0] <= ready.high_watermark:
                _, appended_ms = self._pending.popleft()
                self._commit_latency.add(now_ms, now_ms - appended_ms)

    def sample_idle(self, idle_s: float, now_s: float) -> None:
        """Kafka's poll-idle-ratio over the time since the last sample."""
        last_idle_s, last_now_s = self._idle_s_at
        if now_s > last_now_s and last_now_s > 0:
            self.poll_idle_ratio = min(max((idle_s - last_idle_s) / (now_s - last_now_s), 0.0), 1.0)
        self._idle_s_at = (idle_s, now_s)

    def publish(self, now_ms: int, facts: NodeFacts, extra: dict[str, float]) -> None:
        """Take one consistent snapshot for the scrape thread (a new dict: swapped, not edited)."""
        self.published = {
            "facts": facts,
            "commit_latency_avg": self._commit_latency.avg(now_ms),
            "commit_latency_max": self._commit_latency.max(now_ms),
            "append_records_rate": self._appended.rate_per_s(now_ms, self._start_ms),
            "fetch_records_rate": self._fetched.rate_per_s(now_ms, self._start_ms),
            "election_latency_avg": self._election_latency.avg(now_ms),
            "election_latency_max": self._election_latency.max(now_ms),
            "poll_idle_ratio_avg": self.poll_idle_ratio,
            "interval": self.last_interval,
            **extra,
        }


class _Collector(Collector):
    def __init__(self, metrics: RaftMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        snapshot = self._metrics.published
        facts: NodeFacts | None = snapshot.get("facts")
        if facts is None:
            return
        state = GaugeMetricFamily(
            RAFT_PREFIX + "current_state", "The current state of this node", labels=["state"]
        )
        state.add_metric([facts.role], 1)
        yield state

        def gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
            return GaugeMetricFamily(RAFT_PREFIX + name, text, value=value)

        leader = NO_LEADER if facts.leader_id is None else facts.leader_id
        hw = UNKNOWN if facts.high_watermark is None else facts.high_watermark
        yield gauge("current_leader", "The current leader's id; -1 when unknown", leader)
        yield gauge("current_epoch", "The current quorum epoch", facts.epoch)
        yield gauge("high_watermark", "The high watermark; -1 when unknown", hw)
        yield gauge("log_end_offset", "The current raft log end offset", facts.log_end_offset)
        yield gauge("log_end_epoch", "The epoch of the last log entry", facts.log_end_epoch)
        for name, text in (
            ("commit_latency_avg", "Average ms from append to commit (leader), last 30 s"),
            ("commit_latency_max", "Max ms from append to commit (leader), last 30 s"),
            ("append_records_rate", "Records appended by the leader per second"),
            ("fetch_records_rate", "Records fetched from the leader per second"),
            ("election_latency_avg", "Average ms to elect a leader, last 30 s"),
            ("election_latency_max", "Max ms to elect a leader, last 30 s"),
            ("poll_idle_ratio_avg", "Share of time the node loop waited for work"),
        ):
            yield gauge(name, text, snapshot[name])
        yield gauge(
            "number_unknown_voter_connections",
            "Voters whose connection information is unknown (0 with static voters)",
            0,
        )
        yield GaugeMetricFamily(
            "pykraft_peer_connections",
            "Open outbound connections to voters and bootstrap servers",
            value=snapshot.get("peer_connections", 0),
        )
        refused = CounterMetricFamily(
            "pykraft_refused_connections",
            "Inbound connections refused for a failed TLS handshake or SASL authentication",
        )
        refused.add_metric([], snapshot.get("refused_connections", 0))
        yield refused
        interval: dict[str, Any] = snapshot.get("interval") or {}
        if not interval:
            return

        def figure(key: str) -> float:
            value = interval.get(key)
            return math.nan if value is None else float(value)

        yield GaugeMetricFamily(
            "pykraft_workload_committed_records_per_second",
            "Committed records per second in the last report interval (the status line's)",
            value=figure("committed_records_per_s"),
        )
        yield GaugeMetricFamily(
            "pykraft_workload_committed_bytes_per_second",
            "Committed bytes per second in the last report interval (the status line's)",
            value=figure("committed_bytes_per_s"),
        )
        latency = GaugeMetricFamily(
            "pykraft_workload_commit_latency_ms",
            "Commit latency of the last report interval (leader), by quantile",
            labels=["quantile"],
        )
        for quantile, key in (*LATENCY_QUANTILES, ("0.999", "commit_latency_ms_p999")):
            latency.add_metric([quantile], figure(key))
        latency.add_metric(["1"], figure("commit_latency_ms_max"))
        yield latency


class MetricsServer:
    """The HTTP endpoint: `start` binds (OSError when the port is taken), `stop` closes it."""

    def __init__(self, metrics: RaftMetrics) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_Collector(metrics))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self._server: Any = None
        self.port = 0

    def start(self, host: str, port: int) -> None:
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._server = server
        self.port = server.server_port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


async def publish_forever(
    metrics: RaftMetrics,
    now_ms: Callable[[], int],
    facts: Callable[[], NodeFacts],
    idle_s: Callable[[], float],
    extra: Callable[[], dict[str, float]],
) -> None:
    while True:
        metrics.sample_idle(idle_s(), trio.current_time())
        metrics.publish(now_ms(), facts(), extra())
        await trio.sleep(PUBLISH_INTERVAL_S)
