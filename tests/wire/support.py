"""Shared helpers for the wire tests: the (message, version) catalogue and Hypothesis strategies.

Strategies are derived from the same `FieldSpec`s the codec uses, but only to know which fields a
version has and their Kafka types; the expected bytes come from independent implementations (kio,
kafka-python) or from golden hex written by hand, never from the codec under test.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from wire.fields import Message, Struct, specs_of
from wire.headers import RequestHeader, ResponseHeader
from wire.messages import control_records, quorum_state
from wire.registry import API_SPECS

# Kafka 4.3.1's api keys: 0-92 less the four retired in 4.x (LeaderAndIsr, StopReplica,
# UpdateMetadata, ControlledShutdown have no valid version in Kafka 4.3.1).
KAFKA_API_KEYS = frozenset(range(93)) - {4, 5, 6, 7}
# declared by the security layer on its own branch; they join wire.catalog at the merge
NOT_YET_IN_CATALOG = frozenset({17, 36})

INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, 2**16 - 1),
}

DATA_MESSAGES: list[type[Message]] = [
    control_records.LeaderChangeMessage,
    control_records.SnapshotHeaderRecord,
    control_records.SnapshotFooterRecord,
    control_records.KRaftVersionRecord,
    control_records.VotersRecord,
    quorum_state.QuorumStateData,
]


def all_message_classes() -> list[type[Message]]:
    classes: list[type[Message]] = []
    for spec in API_SPECS.values():
        classes += [spec.request_cls, spec.response_cls]
    return [*classes, *DATA_MESSAGES, RequestHeader, ResponseHeader]


def all_cases() -> list[tuple[type[Message], int]]:
    return [(cls, v) for cls in all_message_classes() for v in cls.VERSIONS]


def case_id(case: tuple[type[Message], int]) -> str:
    return f"{case[0].__name__}-v{case[1]}"


def _int(kafka_type: str) -> st.SearchStrategy[int]:
    lo, hi = INT_RANGES[kafka_type]
    # edge values matter more than the middle of the range
    return st.one_of(st.sampled_from([lo, hi, 0, -1 if lo < 0 else 1]), st.integers(lo, hi))


def _primitive(kafka_type: str, nullable: bool) -> st.SearchStrategy[Any]:
    base: st.SearchStrategy[Any]
    if kafka_type in INT_RANGES:
        base = _int(kafka_type)
    elif kafka_type == "bool":
        base = st.booleans()
    elif kafka_type == "float64":
        base = st.floats(allow_nan=False)
    elif kafka_type == "uuid":
        base = st.one_of(st.just(uuid.UUID(int=0)), st.uuids())
    elif kafka_type == "string":
        base = st.text(max_size=12)
    elif kafka_type in ("bytes", "records"):
        base = st.binary(max_size=24)
    else:
        raise AssertionError(kafka_type)
    return st.one_of(st.none(), base) if nullable else base


def known_tags(cls: type[Struct], version: int) -> set[int]:
    return {
        spec.tag
        for _, spec, _ in specs_of(cls)
        if spec.tag is not None and version in spec.versions and version in spec.tagged
    }


def unknown_tagged(cls: type[Struct], version: int) -> st.SearchStrategy[Any]:
    taken = known_tags(cls, version)
    entry = st.tuples(
        st.one_of(st.integers(0, 200), st.integers(0, 2**31 - 1)).filter(lambda t: t not in taken),
        st.binary(max_size=6),
    )
    return st.lists(entry, max_size=2, unique_by=lambda e: e[0]).map(
        lambda items: tuple(sorted(items))
    )


Override = Callable[[type[Struct], str, Any], "st.SearchStrategy[Any] | None"]


def struct_strategy(
    cls: type[Struct],
    version: int,
    flexible: bool,
    *,
    unknown: bool = True,
    override: Override | None = None,
) -> st.SearchStrategy[Any]:
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for name, spec, _ in specs_of(cls):
        if version not in spec.versions:
            continue
        fflex = flexible if spec.flexible is None else version in spec.flexible
        special = override(cls, name, spec) if override is not None else None
        if special is not None:
            kwargs[name] = special
            continue
        kwargs[name] = value_strategy(spec, version, fflex, unknown=unknown, override=override)
    if flexible and unknown:
        kwargs["unknown_tagged_fields"] = unknown_tagged(cls, version)
    return st.builds(cls, **kwargs)


def value_strategy(
    spec: Any, version: int, flexible: bool, *, unknown: bool, override: Override | None = None
) -> Any:
    nullable = version in spec.nullable
    if spec.is_struct:
        return struct_strategy(
            spec.kafka_type, version, flexible, unknown=unknown, override=override
        )
    if spec.is_array:
        elem = spec.element
        if isinstance(elem, type):
            es = struct_strategy(elem, version, flexible, unknown=unknown, override=override)
        else:
            es = _primitive(elem, False)
        lists = st.lists(es, max_size=3)
        return st.one_of(st.none(), lists) if nullable else lists
    return _primitive(spec.kafka_type, nullable)


def message_strategy(
    cls: type[Message], version: int, *, unknown: bool = True, override: Override | None = None
) -> st.SearchStrategy[Any]:
    return struct_strategy(
        cls, version, version in cls.FLEXIBLE, unknown=unknown, override=override
    )


def strip_unknown(value: Any) -> Any:
    """The same message with no unknown tagged fields anywhere (for oracles that drop them)."""
    if isinstance(value, Struct):
        changes = {
            f.name: strip_unknown(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "unknown_tagged_fields"
        }
        return dataclasses.replace(value, unknown_tagged_fields=(), **changes)
    if isinstance(value, list):
        return [strip_unknown(v) for v in value]
    return value
