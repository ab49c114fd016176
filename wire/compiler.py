"""Compile a message class at one version into a cached reader/writer pair.

For (struct class, version, flexible) the compiler walks the class's `FieldSpec`s once and builds:

- a list of read steps: runs of consecutive fixed-width fields become ONE `struct.Struct` unpack,
  every other present field one primitive/array/nested reader (from `wire.primitives`, the single
  type dispatch); in flexible versions a final tagged section (`wire.tagged`);
- the mirror list of write steps, plus the absent-field check: a non-ignorable field holding a
  non-default value at a version that lacks it is an `EncodeError` (as in Kafka's generator).

Decoding builds keyword arguments and calls the dataclass, so callers only ever see dataclasses.
Errors: any failure inside a field's reader becomes one `DecodeError` naming the dotted field path
(`topics[].partitions[].fetch_offset`) and the byte offset where that field started.
Codecs are cached per (class, version): compile once, reuse for every frame. Nested structs are
compiled inline into their parent's codec (their error paths depend on where they sit).
Why not construct: see `wire.primitives`.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from wire import primitives as p
from wire.errors import DecodeError, EncodeError
from wire.fields import FieldSpec, Message, Struct, Versions, specs_of
from wire.tagged import TaggedReaders, TaggedWriters, read_tagged, write_tagged

ReadStep = Callable[[Any, int, dict[str, Any]], int]
WriteStep = Callable[[bytearray, Any], None]


@dataclass(frozen=True, slots=True)
class Codec:
    read: p.Reader
    write: p.Writer
    size_min: int


_CACHE: dict[tuple[type[Struct], int, bool], Codec] = {}


def message_codec(cls: type[Message], version: int) -> Codec:
    key = (cls, version, version in cls.FLEXIBLE)
    codec = _CACHE.get(key)
    if codec is None:
        codec = _compile(cls, version, key[2], "")
        _CACHE[key] = codec
    return codec


def _value_codec(
    spec: FieldSpec, version: int, flexible: bool, path: str
) -> tuple[p.Reader, p.Writer, int]:
    """(reader, writer, size_min) for one present field's value."""
    if spec.flexible is not None:
        flexible = version in spec.flexible
    nullable = version in spec.nullable
    kt = spec.kafka_type
    if spec.is_struct:
        assert not nullable, "nullable structs are not used by any declared message"
        c = _compile(kt, version, flexible, path + ".")
        return c.read, c.write, c.size_min
    if spec.is_array:
        elem = spec.element
        if isinstance(elem, type):
            c = _compile(elem, version, flexible, path + "[].")
            er, ew, emin = c.read, c.write, c.size_min
        elif elem in p.FIXED_FORMATS:
            er, ew = p.fixed_codec(elem)
            emin = p.FIXED_SIZES[elem]
        else:
            er, ew = p.variable_codec(elem, flexible, False)
            emin = p.size_min(elem, flexible)
        r, w = p.array_codec(er, ew, emin, flexible, nullable)
        return r, w, (1 if flexible else 4)
    if kt in p.FIXED_FORMATS:
        r, w = p.fixed_codec(kt)
        return r, w, p.FIXED_SIZES[kt]
    r, w = p.variable_codec(kt, flexible, nullable)
    return r, w, p.size_min(kt, flexible)


def _fixed_run(names: list[str], types: list[str]) -> tuple[tuple[str, ReadStep], WriteStep, int]:
    s = struct.Struct(">" + "".join(p.FIXED_FORMATS[t] for t in types))
    unpack, pack, size = s.unpack_from, s.pack, s.size
    uuids = [i for i, t in enumerate(types) if t == "uuid"]
    names_t = tuple(names)
    getter = attrgetter(*names)
    single = len(names) == 1
    UUID = uuid.UUID

    def read(buf: Any, pos: int, kw: dict[str, Any]) -> int:
        values = unpack(buf, pos)
        if uuids:
            lst = list(values)
            for i in uuids:
                lst[i] = UUID(bytes=lst[i])
            values = tuple(lst)
        kw.update(zip(names_t, values, strict=True))
        return pos + size

    def write(out: bytearray, obj: Any) -> None:
        values = getter(obj)
        if single:
            values = (values,)
        if uuids:
            lst = list(values)
            for i in uuids:
                lst[i] = lst[i].bytes
            out += pack(*lst)
        else:
            out += pack(*values)

    return ("+".join(names), read), write, size


def _compile(cls: type[Struct], version: int, flexible: bool, path: str) -> Codec:
    read_steps: list[tuple[str, ReadStep]] = []
    write_steps: list[WriteStep] = []
    absent: list[tuple[str, Any]] = []
    tagged_readers: TaggedReaders = {}
    tagged_writers: TaggedWriters = []
    size_min = 0
    run_names: list[str] = []
    run_types: list[str] = []

    def flush_run() -> None:
        nonlocal size_min
        if run_names:
            rstep, wstep, size = _fixed_run(run_names, run_types)
            read_steps.append(rstep)
            write_steps.append(wstep)
            size_min += size
            run_names.clear()
            run_types.clear()

    for name, spec, default in specs_of(cls):
        if version not in spec.versions:
            if not spec.ignorable:
                absent.append((name, default))
            continue
        if flexible and version in spec.tagged:
            assert spec.tag is not None
            r, w, _ = _value_codec(spec, version, True, path + name)
            tagged_readers[spec.tag] = (name, r)
            tagged_writers.append((spec.tag, name, w, default))
            continue
        kt = spec.kafka_type
        if isinstance(kt, str) and kt in p.FIXED_FORMATS:
            run_names.append(name)
            run_types.append(kt)
            continue
        flush_run()
        r, w, smin = _value_codec(spec, version, flexible, path + name)
        size_min += smin
        read_steps.append((name, _field_read_step(name, r)))
        write_steps.append(_field_write_step(name, w))
    flush_run()
    tagged_writers.sort(key=lambda t: t[0])
    if flexible:
        size_min += 1

    def read(buf: Any, pos: int) -> tuple[Any, int]:
        kw: dict[str, Any] = {}
        label = "?"
        start = pos
        try:
            for step_label, step in read_steps:
                label, start = step_label, pos
                pos = step(buf, pos, kw)
            if flexible:
                label, start = "<tagged fields>", pos
                if buf[pos] == 0:  # the common case: an empty tagged section
                    pos += 1
                else:
                    pos = read_tagged(buf, pos, tagged_readers, kw)
        except DecodeError as e:
            if e.field is not None:
                raise
            offset = start if e.offset is None else e.offset
            raise DecodeError(e.reason, offset=offset, field=path + label) from None
        except Exception as e:  # any low-level failure is bad input, attributed to the field
            raise DecodeError(_describe(e), offset=start, field=path + label) from None
        return cls(**kw), pos

    def write(out: bytearray, obj: Any) -> None:
        for name, default in absent:
            if getattr(obj, name) != default:
                raise EncodeError(
                    f"{cls.__qualname__}.{name} is not in version {version} "
                    f"but holds a non-default value"
                )
        for step in write_steps:
            step(out, obj)
        if flexible:
            write_tagged(out, obj, tagged_writers)
        elif obj.unknown_tagged_fields:
            raise EncodeError(
                f"{cls.__qualname__} has tagged fields but v{version} is not flexible"
            )

    return Codec(read, write, size_min)


def _field_read_step(name: str, read: p.Reader) -> ReadStep:
    def step(buf: Any, pos: int, kw: dict[str, Any]) -> int:
        kw[name], pos = read(buf, pos)
        return pos

    return step


def _field_write_step(name: str, write: p.Writer) -> WriteStep:
    get = attrgetter(name)

    def step(out: bytearray, obj: Any) -> None:
        write(out, get(obj))

    return step


def _describe(e: Exception) -> str:
    if isinstance(e, IndexError | struct.error) or (
        isinstance(e, ValueError) and "16 bytes" in str(e)
    ):
        return "truncated input"
    if isinstance(e, UnicodeDecodeError):
        return "invalid UTF-8 in string"
    return f"{type(e).__name__}: {e}"


def check_version(cls: type[Message], version: int) -> None:
    from wire.errors import UnsupportedVersionError

    if version not in cls.VERSIONS:
        raise UnsupportedVersionError(cls.API_KEY, version)


def encode(message: Message, version: int) -> bytes:
    """Encode a message body (no header, no size prefix) at `version`."""
    cls = type(message)
    check_version(cls, version)
    out = bytearray()
    try:
        message_codec(cls, version).write(out, message)
    except EncodeError:
        raise
    except (struct.error, AttributeError, TypeError, ValueError, OverflowError) as e:
        raise EncodeError(f"{cls.__qualname__} v{version}: {e}") from None
    return bytes(out)


def encode_into(out: bytearray, message: Message, version: int) -> None:
    """Append the encoding of `message` to `out` (used by the header layer to avoid a copy)."""
    cls = type(message)
    check_version(cls, version)
    try:
        message_codec(cls, version).write(out, message)
    except EncodeError:
        raise
    except (struct.error, AttributeError, TypeError, ValueError, OverflowError) as e:
        raise EncodeError(f"{cls.__qualname__} v{version}: {e}") from None


def decode_at(cls: type[Message], data: Any, pos: int, version: int) -> Any:
    """Decode a message that must end exactly at the end of `data`, starting at `pos`."""
    check_version(cls, version)
    value, end = message_codec(cls, version).read(data, pos)
    if end != len(data):
        raise DecodeError(f"{len(data) - end} trailing bytes after {cls.__qualname__}", offset=end)
    return value


def decode(cls: type[Message], data: bytes | memoryview, version: int) -> Any:
    """Decode a message body that must consume exactly all of `data`."""
    return decode_at(cls, data, 0, version)


__all__ = ["Codec", "Versions", "decode", "decode_at", "encode", "encode_into", "message_codec"]
