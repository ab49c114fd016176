"""The leader's write path (Kafka's `BatchAccumulator`): propose -> linger -> one append + fsync.

Records of one `propose` call always land in one batch. A drain happens on a poll once
`append_linger_ms` has passed since the first pending record (0: the next poll), or at once when
the pending records fill a batch (`batch_size_max_bytes`). Offsets are promised at propose time:
the leader's log only grows through its own drains, so `log end + records already pending` is the
next offset. Pending records are dropped when the node stops leading (their offsets were never
written), and the total pending size is bounded by `accumulator_bytes_max`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kraft.roles import RoleName
from kraft.types import BatchInfo, Records

if TYPE_CHECKING:
    from kraft.context import Core

# Per-record overhead estimate (record framing + batch header share) used for batch sizing.
RECORD_OVERHEAD_BYTES = 24
BATCH_HEADER_BYTES = 61


@dataclass(slots=True)
class PendingCall:
    values: list[bytes]
    size_bytes: int


@dataclass(slots=True)
class Accumulator:
    calls: list[PendingCall] = field(default_factory=list)
    record_count: int = 0
    size_bytes: int = 0
    first_append_ms: int | None = None


def estimate_size_bytes(values: Sequence[bytes]) -> int:
    return BATCH_HEADER_BYTES + sum(len(v) + RECORD_OVERHEAD_BYTES for v in values)


def accumulator_of(core: Core) -> Accumulator:
    return core.accumulator


def drop_pending(core: Core) -> None:
    core.accumulator = Accumulator()


def add(core: Core, values: Sequence[bytes], now_ms: int) -> tuple[int, int] | str:
    """Queue one call; (base offset, last offset) or the name of the refusal reason."""
    assert core.state.role is RoleName.LEADER
    assert values, "propose at least one record"
    acc = accumulator_of(core)
    size = estimate_size_bytes(values)
    if size > core.config.batch_size_max_bytes:
        return "too-large"
    if acc.size_bytes + size > core.config.accumulator_bytes_max:
        return "backpressure"
    base = core.log.end_offset + acc.record_count
    acc.calls.append(PendingCall(list(values), size))
    acc.record_count += len(values)
    acc.size_bytes += size
    if acc.first_append_ms is None:
        acc.first_append_ms = now_ms
    return base, base + len(values) - 1


def drain_deadline_ms(core: Core) -> int | None:
    acc = accumulator_of(core)
    if acc.first_append_ms is None:
        return None
    if acc.size_bytes >= core.config.batch_size_max_bytes:
        return acc.first_append_ms
    return acc.first_append_ms + core.config.append_linger_ms


def maybe_drain(core: Core, now_ms: int) -> bool:
    """Append pending records as batches if due; True when something was appended."""
    deadline = drain_deadline_ms(core)
    if deadline is None or now_ms < deadline or core.state.role is not RoleName.LEADER:
        return False
    acc = accumulator_of(core)
    epoch = core.state.epoch
    batches: list[list[bytes]] = []
    current: list[bytes] = []
    current_size = BATCH_HEADER_BYTES
    for call in acc.calls:
        if current and current_size + call.size_bytes > core.config.batch_size_max_bytes:
            batches.append(current)
            current, current_size = [], BATCH_HEADER_BYTES
        current.extend(call.values)
        current_size += call.size_bytes - BATCH_HEADER_BYTES
    if current:
        batches.append(current)
    drop_pending(core)
    for values in batches:
        base = core.log.end_offset
        data = core.codec.build_data_batch(base, epoch, now_ms, values)
        info = BatchInfo(base, base + len(values) - 1, epoch, len(data), False)
        core.append(Records(data, (info,)), flush=True)
    return bool(batches)
