"""The workload: a replicated counter (the idea of Kafka's `ReplicatedCounter`).

Theory of operation: at every workload tick each node that is leader proposes the next one to
three counter values (8-byte big-endian records, all of one call in one batch). A leader starts
counting from the last value in its own log, committed or not: a leader's log is the one that
wins, so in a correct cluster the committed data records read exactly 1, 2, 3, ... in offset order,
which `InvariantChecker` verifies as batches become committed (CommittedCounterSequence). A lost
or duplicated or reordered committed record breaks the sequence.
"""

from __future__ import annotations

import random

from kraft.node import ProposeError
from kraft.sim.cluster import SimCluster
from kraft.sim.codec import counter_values, encode_counter
from kraft.sim.disk import SimLog
from kraft.types import BatchInfo
from wire.records import iter_batches


class Workload:
    def __init__(self, cluster: SimCluster, rng: random.Random) -> None:
        self.cluster = cluster
        self.rng = rng
        self.proposed = 0
        self.refused = 0

    def tick(self) -> None:
        """Every leader proposes the next counter values."""
        cluster = self.cluster
        now = cluster.scheduler.now_ms
        for node in cluster.leaders():
            raft = node.raft
            assert raft is not None
            if node.paused_until_ms > now:
                continue  # a paused leader's client is paused too
            if node.value_epoch != raft.epoch or node.next_value is None:
                node.value_epoch = raft.epoch
                node.next_value = last_counter_value(node.log) + 1
            value = node.next_value
            count = 1 + (self.rng.random() < 0.3) + (self.rng.random() < 0.2)
            values = [encode_counter(v) for v in range(value, value + count)]
            try:
                result = raft.propose(values, now)
            except Exception as exc:
                raise cluster.core_failed(node, exc) from exc
            if result.error is not ProposeError.NONE:
                self.refused += 1
                continue
            node.next_value = value + count
            self.proposed += count
            cluster.run_ready(node, cluster.call(node, lambda r: r.poll(now)))


def last_counter_value(log: SimLog) -> int:
    """The last counter value in the log, or in its latest snapshot (0 for none)."""
    for batch in reversed(log.batches):
        values = counter_values(batch.data, batch.info)
        if values:
            return values[-1]
    latest = log.latest_snapshot_id
    if latest is None:
        return 0
    content = log.snapshots[latest]
    last = 0
    for pos, header in iter_batches(content):
        if not header.is_control:
            data = content[pos : pos + header.size_bytes]
            info = BatchInfo(
                header.base_offset,
                header.last_offset,
                header.partition_leader_epoch,
                header.size_bytes,
                False,
            )
            last = counter_values(data, info)[-1]
    return last
