"""ListTransactions (key 66), v0-2, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ListTransactionsRequest(Message):
    API_KEY: ClassVar[int] = 66
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    state_filters: list[str] = f("[]string", "0+")
    producer_id_filters: list[int] = f("[]int64", "0+")
    duration_filter: int = f("int64", "1+", default=-1)
    transactional_id_pattern: str | None = f("string", "2+", nullable="2+", default=None)


@dataclass(frozen=True)
class ListTransactionsResponse(Message):
    API_KEY: ClassVar[int] = 66
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TransactionState(Struct):
        transactional_id: str = f("string", "0+")
        producer_id: int = f("int64", "0+")
        transaction_state: str = f("string", "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    unknown_state_filters: list[str] = f("[]string", "0+")
    transaction_states: list[TransactionState] = f([TransactionState], "0+")
