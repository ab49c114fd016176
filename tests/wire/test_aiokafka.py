"""Differential test against aiokafka's hand-written protocol structs (classic, non-flexible).

aiokafka speaks the old path (ApiVersions v0, Metadata v5, ListOffsets, Fetch v4-11 ...). Its
`Struct`s are positional, so a message is compared as the tuple of the fields its version has, in
order. For every aiokafka class whose API and version we declare (non-flexible versions): our bytes
decode in aiokafka to the same tuple, and aiokafka's encoding of that tuple is byte-identical.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wire
from tests.wire.support import message_strategy
from wire.fields import Message, Struct, specs_of
from wire.registry import API_SPECS

aio_protocol = pytest.importorskip("aiokafka.protocol")


def _aiokafka_classes() -> list[Any]:
    found = []
    for info in pkgutil.iter_modules(aio_protocol.__path__):
        module = importlib.import_module(f"aiokafka.protocol.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and isinstance(getattr(value, "API_KEY", None), int)
                and isinstance(getattr(value, "API_VERSION", None), int)
                and getattr(value, "SCHEMA", None) is not None
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def _ours_for(aio_cls: Any) -> type[Message] | None:
    spec = API_SPECS.get(aio_cls.API_KEY)
    version = aio_cls.API_VERSION
    if spec is None or version not in spec.versions or spec.is_flexible(version):
        return None
    name = aio_cls.__name__.split("_v")[0]
    return spec.response_cls if name.endswith("Response") else spec.request_cls


def as_tuple(obj: Struct, version: int) -> tuple[Any, ...]:
    out = []
    for name, spec, _ in specs_of(type(obj)):
        if version not in spec.versions:
            continue
        value = getattr(obj, name)
        if spec.is_struct:
            value = as_tuple(value, version)
        elif spec.is_struct_array and value is not None:
            value = [as_tuple(v, version) for v in value]
        out.append(value)
    return tuple(out)


def _count(cls: type[Struct], version: int) -> int:
    return sum(1 for _, spec, _ in specs_of(cls) if version in spec.versions)


# aiokafka declares ListOffsets v4/v5 `current_leader_epoch` as Int64 (Kafka: int32); it never
# sends those versions (CLIENTS.md), and test_aiokafka_list_offsets_v4_bug pins the difference
AIOKAFKA_BUGS = {"OffsetRequest_v4", "OffsetRequest_v5"}

CASES = [
    (ours, aio)
    for aio in _aiokafka_classes()
    if (ours := _ours_for(aio)) is not None
    # aiokafka keeps a few layouts of its own (e.g. v0-only fields Kafka 4 dropped); skip those
    and len(aio.SCHEMA.fields) == _count(ours, aio.API_VERSION)
    and aio.__name__ not in AIOKAFKA_BUGS
]


def test_aiokafka_list_offsets_v4_bug() -> None:
    from aiokafka.protocol.offset import OffsetRequest_v4
    from aiokafka.protocol.types import Int64

    partition = OffsetRequest_v4.SCHEMA.fields[2].array_of.fields[1].array_of
    assert partition.names[1] == "current_leader_epoch" and partition.fields[1] is Int64


def adapt(values: tuple[Any, ...], schema: Any) -> tuple[Any, ...]:
    """Our positional tuple shaped like aiokafka's schema: an array of one-field structs is a
    flat array there (e.g. Metadata v0-5 topic names)."""
    from aiokafka.protocol.types import Array, Schema

    out = []
    for value, field in zip(values, schema.fields, strict=True):
        if isinstance(field, Array) and value is not None:
            if isinstance(field.array_of, Schema):
                value = [adapt(v, field.array_of) for v in value]
            else:
                value = [v[0] if isinstance(v, tuple) else v for v in value]
        elif isinstance(field, Schema):
            value = adapt(value, field)
        out.append(value)
    return tuple(out)


def _id(case: tuple[type[Message], Any]) -> str:
    return case[1].__name__


def test_catalogue_has_the_paths_aiokafka_uses() -> None:
    names = {aio.__name__ for _, aio in CASES}
    # CLIENTS.md: ApiVersions v0, Metadata v5, ListOffsets (v1+), Fetch v4-11
    assert {"ApiVersionRequest_v0", "ApiVersionResponse_v0", "MetadataRequest_v5"} <= names
    assert {"FetchRequest_v11", "FetchResponse_v11", "MetadataResponse_v5"} <= names
    assert len(CASES) >= 30


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    return value


@pytest.mark.parametrize("case", CASES, ids=_id)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_against_aiokafka(case: tuple[type[Message], Any], data: Any) -> None:
    ours_cls, aio_cls = case
    version = aio_cls.API_VERSION
    message = data.draw(message_strategy(ours_cls, version, unknown=False))
    ours = wire.encode(message, version)
    parsed = aio_cls.decode(ours)
    theirs_tuple = tuple(getattr(parsed, n) for n in aio_cls.SCHEMA.names)
    expected = adapt(as_tuple(message, version), aio_cls.SCHEMA)
    assert _plain(theirs_tuple) == _plain(expected)
    assert aio_cls(*expected).encode() == ours
