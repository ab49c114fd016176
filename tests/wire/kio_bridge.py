"""Map pykraft messages to and from kio's generated entities (a test-only oracle).

kio (generated from Kafka's 4.x JSON schemas by other people) differs from us only in
representation: tuples for arrays, timedelta for `*_ms` durations, tz-aware datetimes for `*_ms`
timestamps (field names lose the `_ms`), an `ErrorCode` enum, None for the zero uuid. The bridge
converts representation only; it never looks at bytes.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import re
import typing
import uuid
from typing import Any

from hypothesis import strategies as st

from wire.fields import FieldSpec, Message, Struct, specs_of

ZERO = uuid.UUID(int=0)


def _snake(name: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()


def kio_class(cls: type[Message], version: int) -> Any | None:
    """kio's entity for (cls, version), or None when kio lacks it."""
    name = cls.__name__
    if name in ("RequestHeader", "ResponseHeader"):
        path = f"kio.schema.{_snake(name)}.v{version}.header"
    elif cls.API_KEY >= 0:
        kind = "request" if name.endswith("Request") else "response"
        path = f"kio.schema.{_snake(name[: -len(kind)])}.v{version}.{kind}"
    else:
        path = f"kio.schema.{_snake(name)}.v{version}.data"
    try:
        return getattr(importlib.import_module(path), name)
    except (ImportError, AttributeError):
        return None


def _inner(hint: Any) -> Any:
    while True:
        args = [a for a in typing.get_args(hint) if a is not type(None) and a is not Ellipsis]
        if not args:
            return hint
        hint = args[0]


def _nullable(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def _kio_field_for(kio_cls: Any, name: str) -> Any:
    by_name = {f.name: f for f in dataclasses.fields(kio_cls)}
    if name in by_name:
        return by_name[name]
    if name.endswith("_ms") and name[:-3] in by_name:
        return by_name[name[:-3]]
    if name + "_" in by_name:  # kio's spelling of names that shadow a builtin (`id` -> `id_`)
        return by_name[name + "_"]
    raise AssertionError(f"kio {kio_cls.__qualname__} has no field for {name}")


def struct_map(ours: type[Struct], kio_cls: Any, out: dict[type, Any] | None = None) -> dict:
    """our struct class -> kio class, for a message and all its nested structs at one version."""
    out = {} if out is None else out
    out[ours] = kio_cls
    hints = typing.get_type_hints(kio_cls)
    for name, spec, _ in specs_of(ours):
        if spec.is_struct or spec.is_struct_array:
            try:
                kf = _kio_field_for(kio_cls, name)
            except AssertionError:
                continue  # absent at this version
            sub = spec.kafka_type if spec.is_struct else spec.element
            struct_map(sub, _inner(hints[kf.name]), out)
    return out


def override_for(mapping: dict[type, Any]) -> Any:
    """A strategy override restricting values to what kio's richer types can carry."""
    from kio.schema.errors import ErrorCode

    codes = [int(e.value) for e in ErrorCode]

    def override(cls: type[Struct], name: str, spec: FieldSpec) -> Any:
        kio_cls = mapping.get(cls)
        if kio_cls is None:
            return None
        try:
            kf = _kio_field_for(kio_cls, name)
        except AssertionError:
            return None
        kt = kf.metadata.get("kafka_type")
        if kt == "error_code":
            return st.sampled_from(codes)
        if kt in ("timedelta_i32", "timedelta_i64"):
            return st.integers(0, 2**31 - 1)
        if kt == "datetime_i64":
            nullable = _nullable(typing.get_type_hints(kio_cls)[kf.name])
            base = st.integers(0, 2**41)
            return st.one_of(st.just(-1), base) if nullable else base
        return None

    return override


def to_kio(obj: Struct, kio_cls: Any) -> Any:
    hints = typing.get_type_hints(kio_cls)
    kwargs = {}
    ours = {name: spec for name, spec, _ in specs_of(type(obj))}
    for name, spec in ours.items():
        try:
            kf = _kio_field_for(kio_cls, name)
        except AssertionError:
            continue
        kwargs[kf.name] = _to(getattr(obj, name), spec, kf, hints[kf.name])
    return kio_cls(**kwargs)


def _to(value: Any, spec: FieldSpec, kf: Any, hint: Any) -> Any:
    from kio.schema.errors import ErrorCode

    if value is None:
        return None
    if spec.is_struct:
        return to_kio(value, _inner(hint))
    if spec.is_struct_array:
        return tuple(to_kio(v, _inner(hint)) for v in value)
    if spec.is_array:
        return tuple(value)
    kt = kf.metadata.get("kafka_type")
    if kt == "uuid" and value == ZERO and _nullable(hint):
        return None  # kio's spelling of the zero uuid (its tagged-default check compares to None)
    if kt == "error_code":
        return ErrorCode(value)
    if kt in ("timedelta_i32", "timedelta_i64"):
        return datetime.timedelta(milliseconds=value)
    if kt == "datetime_i64":
        if value == -1 and _nullable(hint):
            return None
        return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
    return value


def from_kio(entity: Any, ours_cls: type[Struct]) -> Any:
    kwargs = {}
    for name, spec, _ in specs_of(ours_cls):
        try:
            kf = _kio_field_for(type(entity), name)
        except AssertionError:
            continue
        kwargs[name] = _from(getattr(entity, kf.name), spec, kf)
    return ours_cls(**kwargs)


def _from(value: Any, spec: FieldSpec, kf: Any) -> Any:
    kt = kf.metadata.get("kafka_type")
    if value is None:
        if spec.kafka_type == "uuid":
            return ZERO
        if kt == "datetime_i64":
            return -1
        return None
    if spec.is_struct:
        return from_kio(value, spec.kafka_type)
    if spec.is_struct_array:
        return [from_kio(v, spec.element) for v in value]
    if spec.is_array:
        if spec.element == "uuid":  # kio reads the zero uuid as None inside arrays too
            return [ZERO if v is None else v for v in value]
        return [_plain(v) for v in value]
    if kt in ("timedelta_i32", "timedelta_i64"):
        return round(value.total_seconds() * 1000)
    if kt == "datetime_i64":
        return round(value.timestamp() * 1000)
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        return str(value)
    return value
