"""Field specs: how each message field is declared, once, for all of its versions.

A message is a frozen dataclass whose fields are declared with `field_spec(...)` (alias `f`). The
dataclass annotation gives the Python type; the spec, stored in the dataclass field's metadata,
gives what the wire needs and nothing else:

- `kafka_type`: a primitive name (`int8 int16 int32 int64 uint16 float64 bool uuid string bytes
  records`), an array of primitives (`"[]int32"`), a nested `Struct` subclass, or a one-element
  list `[Cls]` for an array of structs.
- `versions`: the versions the field exists in (`"0+"`, `"1-3"`, `"none"`).
- `nullable`: versions in which null (`None`) is allowed (strings, bytes, arrays and structs:
  a nullable struct travels behind an int8 marker, -1 null, 1 present).
- `tagged` + `tag`: versions in which the field travels in the tagged section, and its tag.
- `ignorable`: encoding a non-default value at a version without the field silently drops it (else
  `EncodeError`, as in Kafka's generator).
- `flexible`: a per-field override of the message's flexible versions (only RequestHeader's
  ClientId uses it: `"none"`).

Invariants: every spec has a default (so `Message()` is valid); lists default to empty unless the
schema says null. Version ranges are closed intervals `[lo, hi]`, `hi = VERSION_MAX` for "N+".
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

VERSION_MAX = 0x7FFF
ZERO_UUID = uuid.UUID(int=0)
KAFKA = "kafka"  # metadata key of a dataclass field holding its FieldSpec

PRIMITIVES = frozenset(
    {
        "int8",
        "int16",
        "int32",
        "int64",
        "uint16",
        "float64",
        "bool",
        "uuid",
        "string",
        "bytes",
        "records",
    }
)


@dataclass(frozen=True, slots=True)
class Versions:
    """A closed version interval; `Versions.NONE` is empty."""

    lo: int
    hi: int = VERSION_MAX

    NONE: ClassVar[Versions]

    @staticmethod
    def parse(text: str | Versions | None) -> Versions:
        if text is None:
            return Versions.NONE
        if isinstance(text, Versions):
            return text
        text = text.strip()
        if text == "none":
            return Versions.NONE
        if text.endswith("+"):
            return Versions(int(text[:-1]))
        if "-" in text:
            lo, hi = text.split("-")
            return Versions(int(lo), int(hi))
        return Versions(int(text), int(text))

    def __contains__(self, version: object) -> bool:
        return isinstance(version, int) and self.lo <= version <= self.hi

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.lo, min(self.hi, VERSION_MAX) + 1))

    def __str__(self) -> str:
        if self.lo > self.hi:
            return "none"
        return f"{self.lo}+" if self.hi == VERSION_MAX else f"{self.lo}-{self.hi}"


Versions.NONE = Versions(1, 0)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kafka_type: Any  # str | type[Struct] | list[type[Struct]]
    versions: Versions
    nullable: Versions
    tagged: Versions
    tag: int | None
    ignorable: bool
    flexible: Versions | None  # per-field override of the message's flexible versions

    @property
    def is_struct(self) -> bool:
        return isinstance(self.kafka_type, type)

    @property
    def is_struct_array(self) -> bool:
        return isinstance(self.kafka_type, list)

    @property
    def element(self) -> Any:
        """Element type of an array field: a primitive name or a Struct subclass."""
        if isinstance(self.kafka_type, list):
            return self.kafka_type[0]
        assert isinstance(self.kafka_type, str) and self.kafka_type.startswith("[]")
        return self.kafka_type[2:]

    @property
    def is_array(self) -> bool:
        return self.is_struct_array or (
            isinstance(self.kafka_type, str) and self.kafka_type.startswith("[]")
        )


def _implicit_default(kafka_type: Any) -> Any:
    if kafka_type in ("int8", "int16", "int32", "int64", "uint16"):
        return 0
    if kafka_type == "float64":
        return 0.0
    if kafka_type == "bool":
        return False
    if kafka_type == "uuid":
        return ZERO_UUID
    if kafka_type == "string":
        return ""
    if kafka_type in ("bytes", "records"):
        return b""
    raise AssertionError(f"no implicit default for {kafka_type!r}")


def field_spec(
    kafka_type: Any,
    versions: str = "0+",
    *,
    default: Any = dataclasses.MISSING,
    nullable: str | None = None,
    tagged: str | None = None,
    tag: int | None = None,
    ignorable: bool = False,
    flexible: str | None = None,
) -> Any:
    """Declare one message field. Returns a `dataclasses.field` carrying the `FieldSpec`."""
    if isinstance(kafka_type, str):
        base = kafka_type[2:] if kafka_type.startswith("[]") else kafka_type
        assert base in PRIMITIVES, kafka_type
    spec = FieldSpec(
        kafka_type=kafka_type,
        versions=Versions.parse(versions),
        nullable=Versions.parse(nullable),
        tagged=Versions.parse(tagged),
        tag=tag,
        ignorable=ignorable,
        flexible=None if flexible is None else Versions.parse(flexible),
    )
    assert (tag is None) == (tagged is None), "tag and tagged go together"
    metadata = {KAFKA: spec}
    is_list = isinstance(kafka_type, list) or (
        isinstance(kafka_type, str) and kafka_type.startswith("[]")
    )
    if is_list:
        if default is None:
            return dataclasses.field(default=None, metadata=metadata)
        assert default is dataclasses.MISSING, "array defaults are empty or None"
        return dataclasses.field(default_factory=list, metadata=metadata)
    if isinstance(kafka_type, type):
        if default is None:  # a nullable struct whose schema default is null
            return dataclasses.field(default=None, metadata=metadata)
        assert default is dataclasses.MISSING
        return dataclasses.field(default_factory=kafka_type, metadata=metadata)
    if default is dataclasses.MISSING:
        default = _implicit_default(kafka_type)
    return dataclasses.field(default=default, metadata=metadata)


f = field_spec

UnknownTaggedFields = tuple[tuple[int, bytes], ...]


@dataclass(frozen=True)
class Struct:
    """Base of every message and nested struct.

    `unknown_tagged_fields` holds tagged fields this build does not know at the decoded version,
    as `(tag, raw payload)` in wire order; they are written back so decode→encode is byte-exact.
    """

    unknown_tagged_fields: UnknownTaggedFields = dataclasses.field(
        default=(), kw_only=True, repr=False
    )


@dataclass(frozen=True)
class Message(Struct):
    """A top-level message: a request, a response, or a standalone data schema.

    `API_KEY` is -1 for messages that are not requests/responses (control record values,
    QuorumStateData, headers). `VERSIONS` are the valid versions, `FLEXIBLE` the flexible ones.
    """

    API_KEY: ClassVar[int] = -1
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions.NONE


def specs_of(cls: type[Struct]) -> list[tuple[str, FieldSpec, Any]]:
    """(name, spec, default) of every wire field of a struct class, in declaration order."""
    out = []
    for fld in dataclasses.fields(cls):
        spec = fld.metadata.get(KAFKA)
        if spec is None:
            continue
        if fld.default is not dataclasses.MISSING:
            default = fld.default
        else:
            assert fld.default_factory is not dataclasses.MISSING
            default = fld.default_factory()
        out.append((fld.name, spec, default))
    return out
