"""Build, compile and cache one construct `Struct` per (message class, version).

For (struct class, version, flexible) `struct_for` walks the class's `FieldSpec`s once:

- a field absent in `version` is left out of the Struct (versioned presence is decided here, when
  the Struct for that version is built, never at run time); if it is not ignorable, encoding a
  non-default value in it is an `EncodeError` (as in Kafka's generator);
- every present field becomes a named member `Field(name, codec)`, its codec from
  `wire.primitives` (the single type dispatch) or, for nested structs and arrays of structs, the
  nested class's own Struct;
- in flexible versions, tagged fields go into a final `TaggedSection` member (`wire.tagged`);
- the Struct is wrapped in a `DataclassAdapter`: parsing yields the frozen dataclass (construct
  `Container`s never leave this package), building takes the dataclass.

`message_codec(cls, version)` compiles the tree with construct's `Struct.compile()` once and caches
it. Every custom construct in the tree (primitives, tagged section, adapter, `Field`) implements
`_emitparse/_emitbuild`, so the compiled module is straight-line code with no interpreted
fallback.

Errors: `decode_at` is the one decode entry point. The compiled code carries no field paths, so on
any failure it re-parses the same bytes with the interpreted tree, whose `Field` members attribute
the failure: one `DecodeError` naming the dotted field path (`topics[].partitions[].fetch_offset`)
and the byte offset where that field started (stream positions: frame offsets). Construct's own
exceptions (`StreamError`, `FormatFieldError`, ...), `struct.error`, `ValueError`,
`OverflowError`, `UnicodeDecodeError` all become that `DecodeError`.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any

from construct import Adapter, Construct, ConstructError, Container, Renamed
from construct import Struct as CStruct

from wire import primitives as p
from wire.errors import DecodeError, EncodeError, UnsupportedVersionError
from wire.fields import FieldSpec, Message, Struct, specs_of
from wire.tagged import TAGGED_LABEL, TaggedSection

TAGGED_MEMBER = "_tagged"
# The top-level context of every parse/build (never mutated: each Struct makes its own). `_root`
# is set so that construct's Struct does not default it to its own context: that self-reference
# made every parsed/built context a reference cycle, which kept whole frames (1 MiB of records)
# alive until the cyclic GC ran.
CONTEXT = Container(_params=None, _root=None, _parsing=True, _building=False, _sizing=False)
# what bad input can raise inside the codec; anything else is a programmer error and propagates
PARSE_FAILURES = (
    ConstructError,
    DecodeError,
    struct.error,
    ValueError,  # includes UnicodeDecodeError
    OverflowError,
    IndexError,
)
BUILD_FAILURES = (
    ConstructError,
    struct.error,
    AttributeError,
    TypeError,
    ValueError,
    OverflowError,
)


def describe(e: BaseException) -> str:
    if isinstance(e, DecodeError):
        return e.reason
    if isinstance(e, UnicodeDecodeError):
        return "invalid UTF-8 in string"
    if isinstance(e, struct.error | IndexError | ConstructError):
        return "truncated input"
    return f"{type(e).__name__}: {e}"


def annotate(e: BaseException, label: str, start: int, sep: str) -> DecodeError:
    """The `DecodeError` for a failure inside the member `label` that started at byte `start`."""
    if isinstance(e, DecodeError):
        offset = start if e.offset is None else e.offset
        field = label if e.field is None else label + sep + e.field
        return DecodeError(e.reason, offset=offset, field=field)
    return DecodeError(describe(e), offset=start, field=label)


def path_separator(codec: Construct) -> str:
    """How a member's name joins the path of a failure inside it: `a.b`, or `a[].b` in arrays."""
    return "[]." if isinstance(codec, p.KafkaArray) else "."


class Field(Renamed):  # type: ignore[misc]
    """A named Struct member that, when interpreted, attributes failures to itself.

    Compiled, it is exactly its codec (construct's `Renamed` emits the subcon's code).
    """

    def __init__(self, name: str, subcon: Construct) -> None:
        super().__init__(subcon, newname=name)
        self.sep = path_separator(subcon)

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        start = stream.tell()
        try:
            return self.subcon._parsereport(stream, context, f"{path} -> {self.name}")
        except Exception as e:
            raise annotate(e, self.name, start, self.sep) from None


class DataclassAdapter(Adapter):  # type: ignore[misc]
    """Container ⇄ frozen dataclass for one struct class at one version."""

    def __init__(
        self,
        subcon: Construct,
        cls: type[Struct],
        names: list[str],
        flexible: bool,
        absent: list[tuple[str, Any, str]],
        bytes_min: int,
    ) -> None:
        super().__init__(subcon)
        self.cls = cls
        self.names = names
        self.flexible = flexible
        self.absent = absent  # (name, default, message) of non-ignorable fields not in the version
        self.bytes_min = bytes_min
        self.untaggable = f"{cls.__qualname__} has tagged fields but the version is not flexible"

    def _decode(self, obj: Any, context: Any, path: str) -> Any:
        kw = {name: obj[name] for name in self.names}
        tagged = obj.get(TAGGED_MEMBER) if self.flexible else None
        if tagged:
            kw.update(tagged)
        return self.cls(**kw)

    def _check(self, obj: Any) -> None:
        for name, default, message in self.absent:
            if getattr(obj, name) != default:
                raise EncodeError(message)
        if not self.flexible and obj.unknown_tagged_fields:
            raise EncodeError(self.untaggable)

    def _encode(self, obj: Any, context: Any, path: str) -> Any:
        self._check(obj)
        out = {name: getattr(obj, name) for name in self.names}
        if self.flexible:
            out[TAGGED_MEMBER] = obj
        return out

    def _emitparse(self, code: Any) -> str:
        code.linkedinstances[id(self)] = self
        fname = f"parse_dataclass_{code.allocateId()}"
        cls = f"linkedinstances[{id(self)}].cls"
        args = ", ".join(f"{name}=r[{name!r}]" for name in self.names)
        lines = [f"def {fname}(io, this):", f"    r = {self.subcon._compileparse(code)}"]
        if self.flexible:
            lines.append(f"    t = r[{TAGGED_MEMBER!r}]")
            lines.append("    if t is not None:")
            lines.append(f"        return {cls}({args}{', ' if args else ''}**t)")
        lines.append(f"    return {cls}({args})")
        code.append("\n".join(lines))
        return f"{fname}(io, this)"

    def _emitbuild(self, code: Any) -> str:
        code.linkedinstances[id(self)] = self
        fname = f"build_dataclass_{code.allocateId()}"
        items = [f"{name!r}: obj.{name}" for name in self.names]
        if self.flexible:
            items.append(f"{TAGGED_MEMBER!r}: obj")
        lines = [f"def {fname}(obj, io, this):"]
        if self.absent or not self.flexible:
            lines.append(f"    linkedinstances[{id(self)}]._check(obj)")
        lines.append("    source = obj")
        lines.append(f"    obj = {{{', '.join(items)}}}")
        lines.append(f"    {self.subcon._compilebuild(code)}")
        lines.append("    return source")
        code.append("\n".join(lines))
        return f"{fname}(obj, io, this)"


_STRUCTS: dict[tuple[type[Struct], int, bool], DataclassAdapter] = {}


def _value_codec(spec: FieldSpec, version: int, flexible: bool) -> tuple[Construct, int]:
    """(construct, fewest bytes) for one present field's value."""
    if spec.flexible is not None:
        flexible = version in spec.flexible
    nullable = version in spec.nullable
    kt = spec.kafka_type
    if spec.is_struct:
        nested = struct_for(kt, version, flexible)
        if nullable:
            return p.NullableStruct(nested), 1
        return nested, nested.bytes_min
    if spec.is_array:
        elem = spec.element
        if isinstance(elem, type):
            element: Construct = struct_for(elem, version, flexible)
            element_min = element.bytes_min
        else:
            element = p.codec_for(elem, flexible, False)
            element_min = p.bytes_min(elem, flexible)
        return p.array_of(element, element_min, flexible, nullable), (1 if flexible else 4)
    return p.codec_for(kt, flexible, nullable), p.bytes_min(kt, flexible)


def struct_for(cls: type[Struct], version: int, flexible: bool) -> DataclassAdapter:
    """The (interpreted) construct of `cls` at `version`, built once from its field table."""
    key = (cls, version, flexible)
    built = _STRUCTS.get(key)
    if built is not None:
        return built
    members: list[Construct] = []
    names: list[str] = []
    known: list[tuple[int, str, Construct, Any]] = []
    absent: list[tuple[str, Any, str]] = []
    bytes_min = 0
    for name, spec, default in specs_of(cls):
        if version not in spec.versions:
            if not spec.ignorable:
                message = (
                    f"{cls.__qualname__}.{name} is not in version {version} "
                    f"but holds a non-default value"
                )
                absent.append((name, default, message))
            continue
        if flexible and version in spec.tagged:
            assert spec.tag is not None
            codec, _ = _value_codec(spec, version, True)
            known.append((spec.tag, name, codec, default))
            continue
        codec, size = _value_codec(spec, version, flexible)
        members.append(Field(name, codec))
        names.append(name)
        bytes_min += size
    if flexible:
        members.append(Renamed(TaggedSection(known), newname=TAGGED_MEMBER))
        bytes_min += 1
    built = DataclassAdapter(CStruct(*members), cls, names, flexible, absent, bytes_min)
    _STRUCTS[key] = built
    return built


@dataclass(frozen=True, slots=True)
class Codec:
    """A message class at one version: the interpreted tree and its compiled functions."""

    construct: DataclassAdapter
    parse: Any  # (stream, context) -> dataclass
    build: Any  # (dataclass, stream, context) -> dataclass


_CODECS: dict[tuple[type[Message], int], Codec] = {}


def message_codec(cls: type[Message], version: int) -> Codec:
    codec = _CODECS.get((cls, version))
    if codec is None:
        tree = struct_for(cls, version, version in cls.FLEXIBLE)
        compiled = tree.compile()
        codec = Codec(tree, compiled.parsefunc, compiled.buildfunc)
        _CODECS[(cls, version)] = codec
    return codec


def check_version(cls: type[Message], version: int) -> None:
    if version not in cls.VERSIONS:
        raise UnsupportedVersionError(cls.API_KEY, version)


def parse_from(codec: Codec, stream: p.Buffer) -> Any:
    """Decode one value at the stream's position; bad input raises only `DecodeError`."""
    start = stream.tell()
    try:
        return codec.parse(stream, CONTEXT)
    except PARSE_FAILURES as first:
        stream.seek(start)
        raise _diagnose(codec, stream, first) from None


def _diagnose(codec: Codec, stream: p.Buffer, first: BaseException) -> DecodeError:
    """Re-parse with the interpreted tree to name the field and offset of the failure."""
    try:
        codec.construct._parsereport(stream, CONTEXT, "(parsing)")
    except DecodeError as e:
        return e if e.offset is not None else DecodeError(e.reason, offset=stream.tell())
    except Exception as e:
        return DecodeError(describe(e), offset=stream.tell(), field=TAGGED_LABEL)
    return DecodeError(describe(first))


def build_into(stream: Any, codec: Codec, message: Any, version: int) -> None:
    try:
        codec.build(message, stream, CONTEXT)
    except EncodeError:
        raise
    except BUILD_FAILURES as e:
        raise EncodeError(f"{type(message).__qualname__} v{version}: {e}") from None


def encode_into(stream: Any, message: Message, version: int) -> None:
    """Append the encoding of `message` to `stream` (the header layer builds whole frames)."""
    cls = type(message)
    check_version(cls, version)
    build_into(stream, message_codec(cls, version), message, version)


def encode(message: Message, version: int) -> bytes:
    """Encode a message body (no header, no size prefix) at `version`."""
    stream = io.BytesIO()
    encode_into(stream, message, version)
    return stream.getvalue()


def decode_stream(cls: type[Message], stream: p.Buffer, version: int) -> Any:
    """Decode a message that must end exactly at the stream's end, from its position."""
    check_version(cls, version)
    value = parse_from(message_codec(cls, version), stream)
    end = stream.tell()
    if end != stream.end:
        raise DecodeError(f"{stream.end - end} trailing bytes after {cls.__qualname__}", offset=end)
    return value


def decode(cls: type[Message], data: bytes | memoryview, version: int) -> Any:
    """Decode a message body that must consume exactly all of `data`."""
    return decode_stream(cls, p.Buffer(data), version)


__all__ = [
    "Codec",
    "decode",
    "decode_stream",
    "encode",
    "encode_into",
    "message_codec",
    "parse_from",
    "struct_for",
]
