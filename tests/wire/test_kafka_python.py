"""Differential test against kafka-python 3.x's protocol package (its own schema-driven codec).

For every API it has (ApiVersions, Metadata, FindCoordinator, Fetch, ListOffsets,
OffsetForLeaderEpoch, Produce, DescribeCluster, DescribeQuorum) and every version both support:
our bytes decode in kafka-python to the same field values, and kafka-python's encoding of the same
message is byte-identical to ours. Whole request frames (size prefix + header) are compared too.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wire
from tests.wire.support import message_strategy
from wire import headers
from wire.fields import ZERO_UUID, Message, Struct, specs_of
from wire.registry import API_SPECS

pytest.importorskip("kafka.protocol")

KP_CLASSES = {
    "ApiVersions": "kafka.protocol.metadata.api_versions",
    "Metadata": "kafka.protocol.metadata.metadata",
    "FindCoordinator": "kafka.protocol.metadata.find_coordinator",
    "Fetch": "kafka.protocol.consumer.fetch",
    "ListOffsets": "kafka.protocol.consumer.offsets",
    "OffsetForLeaderEpoch": "kafka.protocol.consumer.offsets",
    "Produce": "kafka.protocol.producer.produce",
    "DescribeCluster": "kafka.protocol.admin.cluster",
    "DescribeQuorum": "kafka.protocol.admin.cluster",
}


def _cases() -> list[tuple[type[Message], Any, int]]:
    cases = []
    for spec in API_SPECS.values():
        module_name = KP_CLASSES.get(spec.name)
        if module_name is None:
            continue
        module = importlib.import_module(module_name)
        for ours in (spec.request_cls, spec.response_cls):
            theirs = getattr(module, ours.__name__)
            lo, hi = theirs.valid_versions
            for version in ours.VERSIONS:
                if lo <= version <= hi:
                    cases.append((ours, theirs, version))
    return cases


CASES = _cases()


def _id(case: tuple[type[Message], Any, int]) -> str:
    return f"{case[0].__name__}-v{case[2]}"


def test_catalogue() -> None:
    names = {ours.__name__ for ours, _, _ in CASES}
    assert len(names) == 2 * len(KP_CLASSES)
    assert len(CASES) > 100


# kafka-python patches its schemas: authorized-operations int32 fields become "bitfield" fields
# named authorized_operations, holding the set of bits set (None for INT32_MIN = "not requested")
KP_NAMES = {
    "cluster_authorized_operations": "authorized_operations",
    "topic_authorized_operations": "authorized_operations",
}


def _bits(value: int) -> set[int] | None:
    bits = {i for i in range(32) if (value & 0xFFFFFFFF) >> i & 1}
    return None if bits == {31} else bits


def ours_as_dict(obj: Struct, version: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec, default in specs_of(type(obj)):
        if version not in spec.versions:
            continue
        value = getattr(obj, name)
        if spec.is_struct and version in spec.tagged and value == default:
            value = None  # kafka-python leaves an absent tagged struct as None
        elif spec.is_struct:
            value = ours_as_dict(value, version)
        elif spec.is_struct_array and value is not None:
            value = [ours_as_dict(v, version) for v in value]
        elif value == ZERO_UUID:
            value = None  # kafka-python's spelling of the zero uuid
        elif name in KP_NAMES:
            value = _bits(value)
        out[KP_NAMES.get(name, name)] = value
    return out


def to_kafka_python(kp_cls: Any, obj: Struct, version: int) -> Any:
    kwargs: dict[str, Any] = {}
    for name, spec, default in specs_of(type(obj)):
        if version not in spec.versions:
            continue
        value = getattr(obj, name)
        if version in spec.tagged and value == default:
            continue  # kafka-python writes every tagged field it is given; Kafka omits defaults
        field = kp_cls.fields[KP_NAMES.get(name, name)]
        if spec.is_struct:
            value = to_kafka_python(field.data_class, value, version)
        elif spec.is_struct_array and value is not None:
            value = [to_kafka_python(field.data_class, v, version) for v in value]
        elif name in KP_NAMES:
            value = _bits(value)
        kwargs[KP_NAMES.get(name, name)] = value
    return kp_cls(version=version, **kwargs)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if hasattr(value, "buffer") and callable(getattr(value, "buffer", None)):
        return bytes(value.buffer())  # MemoryRecords
    return value


def _override(cls: type[Struct], name: str, spec: Any) -> Any:
    # kafka-python's ApiVersionsResponse.decode re-reads any error response as v0 (the client-side
    # fallback of KIP-511), so only successful responses compare field by field
    if cls.__name__ == "ApiVersionsResponse" and name == "error_code":
        return st.just(0)
    return None


@pytest.mark.parametrize("case", CASES, ids=_id)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_against_kafka_python(case: tuple[type[Message], Any, int], data: Any) -> None:
    ours_cls, kp_cls, version = case
    message = data.draw(message_strategy(ours_cls, version, unknown=False, override=_override))
    ours = wire.encode(message, version)

    parsed = kp_cls.decode(ours, version=version)
    assert _plain(parsed.to_dict(json=False)) == ours_as_dict(message, version)

    theirs = bytes(to_kafka_python(kp_cls, message, version).encode(version=version))
    assert theirs == ours
    assert wire.decode(ours_cls, theirs, version) == message


@pytest.mark.parametrize("case", [c for c in CASES if c[0].__name__.endswith("Request")], ids=_id)
def test_request_frames_match(case: tuple[type[Message], Any, int]) -> None:
    ours_cls, kp_cls, version = case
    kp = to_kafka_python(kp_cls, ours_cls(), version)
    kp.with_header(correlation_id=77, client_id="pykraft-test")
    theirs = bytes(kp.encode(version=version, header=True, framed=True))
    ours = headers.encode_request(ours_cls.API_KEY, version, 77, "pykraft-test", ours_cls())
    assert theirs == ours


@pytest.mark.parametrize("case", [c for c in CASES if c[0].__name__.endswith("Response")], ids=_id)
def test_response_frames_match(case: tuple[type[Message], Any, int]) -> None:
    ours_cls, kp_cls, version = case
    kp = to_kafka_python(kp_cls, ours_cls(), version)
    kp.with_header(correlation_id=78)
    theirs = bytes(kp.encode(header=True, framed=True))  # version set at construction
    assert theirs == headers.encode_response(ours_cls.API_KEY, version, 78, ours_cls())


def test_kafka_python_reads_our_unsupported_api_versions_answer() -> None:
    """KIP-511 fallback: a v4 client parses our v0-format UNSUPPORTED_VERSION body and header."""
    from kafka.protocol.metadata.api_versions import ApiVersionsResponse

    frame = headers.api_versions_unsupported_response(42)
    parsed = ApiVersionsResponse.decode(frame, version=4, header=True, framed=True)
    assert parsed.header.correlation_id == 42
    assert parsed.error_code == 35
    assert [(a.api_key, a.min_version, a.max_version) for a in parsed.api_keys] == [(18, 0, 4)]
