"""Compile a message class at one version into a cached reader/writer pair.

For (struct class, version, flexible) the compiler walks the class's `FieldSpec`s once and emits
the source of two straight-line functions (compiled with `exec`, like construct's `.compile()`):

- read: runs of consecutive fixed-width fields become ONE `struct.Struct` unpack, every other
  present field one call to a primitive/array/nested reader (from `wire.primitives`, the single
  type dispatch); in flexible versions a final tagged section (`wire.tagged`); then one call of
  the dataclass constructor, so callers only ever see dataclasses;
- write: the mirror image, plus the absent-field check: a non-ignorable field holding a
  non-default value at a version that lacks it is an `EncodeError` (as in Kafka's generator).

The generated code holds no encoding rule of its own: it only sequences the codecs above.
Errors: any failure inside a field's reader becomes one `DecodeError` naming the dotted field path
(`topics[].partitions[].fetch_offset`) and the byte offset where that field started.
Codecs are cached per (class, version): compile once, reuse for every frame. Nested structs are
compiled inline into their parent's codec (their error paths depend on where they sit).
Why not construct: see `wire.primitives`.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import Any

from wire import primitives as p
from wire.errors import DecodeError, EncodeError
from wire.fields import FieldSpec, Message, Struct, Versions, specs_of
from wire.tagged import TaggedReaders, TaggedWriters, read_tagged, write_tagged


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


def _compile(cls: type[Struct], version: int, flexible: bool, path: str) -> Codec:
    """Generate, once, a straight-line reader and writer for `cls` at `version`.

    The generated source only sequences calls into `wire.primitives`/`wire.tagged` codecs and
    `struct` (no encoding rule lives in it); straight-line code avoids a Python call and a dict
    store per field, which halves decode time on the Raft hot path.
    """
    ns: dict[str, Any] = {
        "_cls": cls,
        "_UUID": uuid.UUID,
        "_DecodeError": DecodeError,
        "_EncodeError": EncodeError,
        "_describe": _describe,
        "_read_tagged": read_tagged,
        "_write_tagged": write_tagged,
        "_path": path,
    }
    rd: list[str] = []  # body of the try block of read()
    wr: list[str] = []  # body of write()
    ctor: list[str] = []  # keyword arguments of the constructor call
    tagged_readers: TaggedReaders = {}
    tagged_writers: TaggedWriters = []
    size_min = 0
    run: list[tuple[str, str]] = []
    counter = iter(range(1 << 30))

    def flush_run() -> None:
        nonlocal size_min
        if not run:
            return
        i = next(counter)
        s = struct.Struct(">" + "".join(p.FIXED_FORMATS[t] for _, t in run))
        ns[f"_S{i}"], ns[f"_P{i}"] = s.unpack_from, s.pack
        names = [n for n, _ in run]
        label = "+".join(names)
        rd.append(f"label = {label!r}; start = pos")
        rd.append(f"({', '.join('f_' + n for n in names)},) = _S{i}(buf, pos)")
        rd.append(f"pos += {s.size}")
        args = []
        for name, kt in run:
            if kt == "uuid":
                rd.append(f"f_{name} = _UUID(bytes=f_{name})")
                args.append(f"obj.{name}.bytes")
            else:
                args.append(f"obj.{name}")
        wr.append(f"out += _P{i}({', '.join(args)})")
        size_min += s.size
        run.clear()

    for name, spec, default in specs_of(cls):
        if version not in spec.versions:
            if not spec.ignorable:
                i = next(counter)
                ns[f"_D{i}"] = default
                ns[f"_M{i}"] = (
                    f"{cls.__qualname__}.{name} is not in version {version} "
                    f"but holds a non-default value"
                )
                wr.append(f"if obj.{name} != _D{i}: raise _EncodeError(_M{i})")
            continue
        if flexible and version in spec.tagged:
            assert spec.tag is not None
            r, w, _ = _value_codec(spec, version, True, path + name)
            tagged_readers[spec.tag] = (name, r)
            tagged_writers.append((spec.tag, name, w, default))
            continue
        ctor.append(f"{name}=f_{name}")
        kt = spec.kafka_type
        if isinstance(kt, str) and kt in p.FIXED_FORMATS:
            run.append((name, kt))
            continue
        flush_run()
        i = next(counter)
        r, w, smin = _value_codec(spec, version, flexible, path + name)
        ns[f"_R{i}"], ns[f"_W{i}"] = r, w
        rd.append(f"label = {name!r}; start = pos")
        rd.append(f"f_{name}, pos = _R{i}(buf, pos)")
        wr.append(f"_W{i}(out, obj.{name})")
        size_min += smin
    flush_run()
    tagged_writers.sort(key=lambda t: t[0])
    ns["_TR"], ns["_TW"] = tagged_readers, tagged_writers
    if flexible:
        size_min += 1
        rd.append('label = "<tagged fields>"; start = pos')
        rd.append("if buf[pos] == 0:")  # the common case: an empty tagged section
        rd.append("    pos += 1")
        rd.append("else:")
        rd.append("    kw = {}")
        rd.append("    pos = _read_tagged(buf, pos, _TR, kw)")
        if tagged_writers:
            wr.append("_write_tagged(out, obj, _TW)")
        else:
            wr.append("if obj.unknown_tagged_fields: _write_tagged(out, obj, _TW)")
            wr.append("else: out.append(0)")
    else:
        ns["_MT"] = f"{cls.__qualname__} has tagged fields but v{version} is not flexible"
        wr.append("if obj.unknown_tagged_fields: raise _EncodeError(_MT)")
    args = ", ".join(ctor)
    source = "\n".join(
        [
            "def read(buf, pos):",
            '    label = "?"',
            "    start = pos",
            "    kw = None",
            "    try:",
            *("        " + line for line in rd or ["pass"]),
            "    except _DecodeError as e:",
            "        if e.field is not None:",
            "            raise",
            "        offset = start if e.offset is None else e.offset",
            "        raise _DecodeError(e.reason, offset=offset, field=_path + label) from None",
            "    except Exception as e:  # low-level failure = bad input, attributed to the field",
            "        raise _DecodeError(_describe(e), offset=start, field=_path + label) from None",
            "    if kw:",
            f"        return _cls({args}{', ' if args else ''}**kw), pos",
            f"    return _cls({args}), pos",
            "",
            "def write(out, obj):",
            *("    " + line for line in wr),
        ]
    )
    exec(compile(source, f"<wire codec {cls.__qualname__} v{version}>", "exec"), ns)
    return Codec(ns["read"], ns["write"], size_min)


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
