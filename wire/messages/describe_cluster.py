"""DescribeCluster (key 60), v0-2. `endpoint_type` (v1+): 1 brokers, 2 controllers (KIP-919)."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeClusterRequest(Message):
    API_KEY: ClassVar[int] = 60
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    include_cluster_authorized_operations: bool = f("bool", "0+")
    endpoint_type: int = f("int8", "1+", default=1)
    include_fenced_brokers: bool = f("bool", "2+")


@dataclass(frozen=True)
class DescribeClusterResponse(Message):
    API_KEY: ClassVar[int] = 60
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DescribeClusterBroker(Struct):
        broker_id: int = f("int32", "0+")
        host: str = f("string", "0+")
        port: int = f("int32", "0+")
        rack: str | None = f("string", "0+", nullable="0+", default=None)
        is_fenced: bool = f("bool", "2+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+", default=None)
    endpoint_type: int = f("int8", "1+", default=1)
    cluster_id: str = f("string", "0+")
    controller_id: int = f("int32", "0+", default=-1)
    brokers: list[DescribeClusterBroker] = f([DescribeClusterBroker], "0+")
    cluster_authorized_operations: int = f("int32", "0+", default=-2147483648)
