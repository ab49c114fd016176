"""Kafka's wire sentinels ⇄ the core's None: one helper a kind and direction, used by every API.

The sentinels themselves are named once, in `kraft.types` (`NO_LEADER`, `NO_EPOCH`, `NO_OFFSET`,
`NO_TIMESTAMP`, `NO_REPLICA_ID`, `ZERO_DIRECTORY_ID`); the core never sees them.
"""

from __future__ import annotations

import uuid

from kraft.types import ZERO_DIRECTORY_ID

# Fetch v18 `FetchPartition.HighWatermark`: "the fetcher does not know it" (KIP-1166).
UNKNOWN_HIGH_WATERMARK = (1 << 63) - 1


def optional(value: int) -> int | None:
    """An id, epoch, offset or timestamp from the wire: Kafka's negative "absent" → None."""
    return None if value < 0 else value


def or_sentinel(value: int | None, sentinel: int) -> int:
    """An id, epoch, offset or timestamp for the wire: None → the field's named sentinel."""
    return sentinel if value is None else value


def optional_directory(value: uuid.UUID) -> uuid.UUID | None:
    """A directory id from the wire: the zero Uuid → None."""
    return None if value == ZERO_DIRECTORY_ID else value


def directory_or_zero(value: uuid.UUID | None) -> uuid.UUID:
    """A directory id for the wire: None → the zero Uuid."""
    return ZERO_DIRECTORY_ID if value is None else value


def optional_high_watermark(value: int) -> int | None:
    """A fetcher's HighWatermark (Fetch v18+ requests): `UNKNOWN_HIGH_WATERMARK` → None."""
    return None if value == UNKNOWN_HIGH_WATERMARK else value
