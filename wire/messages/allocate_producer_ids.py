"""AllocateProducerIds (key 67), v0, flexible from v0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class AllocateProducerIdsRequest(Message):
    API_KEY: ClassVar[int] = 67
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    broker_id: int = f("int32", "0+")
    broker_epoch: int = f("int64", "0+", default=-1)


@dataclass(frozen=True)
class AllocateProducerIdsResponse(Message):
    API_KEY: ClassVar[int] = 67
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    producer_id_start: int = f("int64", "0+")
    producer_id_len: int = f("int32", "0+")
