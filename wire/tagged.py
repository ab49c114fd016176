"""Tagged-field sections (flexible versions only): `TaggedSection`, a construct `Construct`.

Layout at the end of every struct in a flexible version: uvarint count, then per field uvarint tag,
uvarint payload size, payload (the field's compact encoding). Known tags are decoded through their
construct codec within exactly their payload (the stream's readable `end` is lowered to the payload
end, and a size mismatch is a `DecodeError`); unknown tags are kept as raw `(tag, bytes)` in wire
order. On encode a known tagged field is written only when it differs from its default, and known
plus unknown fields go out in ascending tag order, so decode→encode of a canonical message is
byte-exact.

The section parses to None (no tagged field: the common case, one byte) or to a dict of keyword
arguments for the dataclass (known fields by attribute name, plus `unknown_tagged_fields`). It
builds from the dataclass itself (it reads the known attributes and `unknown_tagged_fields`).
Like the primitives, it has an interpreted form (error diagnosis: failures inside a known field
are attributed to that field) and a compiled form (`_emitparse/_emitbuild`) that inlines the
known fields' compiled codecs; both run `read_tagged`/`write_tagged`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from operator import itemgetter
from typing import Any

from construct import Construct

from wire.errors import DecodeError
from wire.failures import annotate, path_separator
from wire.primitives import encode_uvarint, read_uvarint, remaining

# tag -> (attribute name, parse(io, this)); [(tag, attribute name, default, build(obj, io, this))]
TaggedParsers = dict[int, tuple[str, Callable[[Any, Any], Any]]]
TaggedBuilders = list[tuple[int, str, Any, Callable[[Any, Any, Any], Any]]]

_by_tag = itemgetter(0)
TAGGED_LABEL = "<tagged fields>"


def read_tagged(stream: Any, this: Any, parsers: TaggedParsers) -> dict[str, Any] | None:
    first = stream.read(1)
    if first == b"\x00":  # the common case: no tagged field
        return None
    return read_tagged_rest(stream, this, parsers, first)


def read_tagged_rest(
    stream: Any, this: Any, parsers: TaggedParsers, first: bytes
) -> dict[str, Any] | None:
    """The section after its first byte `first` (already read, and not the empty section)."""
    if not first:
        raise DecodeError("truncated input", offset=stream.tell(), field=TAGGED_LABEL)
    stream.seek(-1, io.SEEK_CUR)
    start = stream.tell()
    count = read_uvarint(stream)
    if count == 0:
        return None
    if count * 2 > remaining(stream):
        raise DecodeError(f"{count} tagged fields cannot fit", offset=start, field=TAGGED_LABEL)
    kw: dict[str, Any] = {}
    unknown: list[tuple[int, bytes]] = []
    outer_end = getattr(stream, "end", None)
    for _ in range(count):
        tag = read_uvarint(stream)
        size_at = stream.tell()
        size = read_uvarint(stream)
        if size > remaining(stream):
            raise DecodeError(
                f"tagged field {tag} of {size} bytes overruns", offset=size_at, field=TAGGED_LABEL
            )
        pos = stream.tell()
        end = pos + size
        entry = parsers.get(tag)
        if entry is None:
            unknown.append((tag, stream.read(size)))
            continue
        name, parse = entry
        if outer_end is not None:
            stream.end = end
        try:
            kw[name] = parse(stream, this)
        finally:
            if outer_end is not None:
                stream.end = outer_end
        got = stream.tell()
        if got != end:
            raise DecodeError(
                f"tagged field {tag} ({name}) used {got - pos} of its {size} bytes",
                offset=pos,
                field=name,
            )
    if unknown:
        kw["unknown_tagged_fields"] = tuple(unknown)
    return kw


def write_tagged(stream: Any, obj: Any, this: Any, builders: TaggedBuilders) -> Any:
    items: list[tuple[int, bytes]] = []
    if not builders and not obj.unknown_tagged_fields:
        stream.write(b"\x00")
        return obj
    for tag, name, default, build in builders:
        value = getattr(obj, name)
        if value != default:
            sink = io.BytesIO()
            build(value, sink, this)
            items.append((tag, sink.getvalue()))
    unknown = obj.unknown_tagged_fields
    if unknown:
        items.extend(unknown)
        items.sort(key=_by_tag)
    if not items:
        stream.write(b"\x00")
        return obj
    out = bytearray(encode_uvarint(len(items)))
    for tag, payload in items:
        out += encode_uvarint(tag)
        out += encode_uvarint(len(payload))
        out += payload
    stream.write(out)
    return obj


def _annotated(
    name: str, codec: Construct, parse: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    """Interpreted form: attribute a failure inside a known tagged field to that field."""
    sep = path_separator(codec)

    def run(stream: Any, this: Any) -> Any:
        start = stream.tell()
        try:
            return parse(stream, this)
        except Exception as e:
            raise annotate(e, name, start, sep) from None

    return run


def _parse_member(codec: Construct, path: str, stream: Any, context: Any) -> Any:
    return codec._parsereport(stream, context, path)


def _build_member(codec: Construct, path: str, obj: Any, stream: Any, context: Any) -> Any:
    return codec._build(obj, stream, context, path)


class TaggedSection(Construct):  # type: ignore[misc]
    """The tagged section of one struct at one version: `known` is [(tag, name, codec, default)]."""

    def __init__(self, known: list[tuple[int, str, Construct, Any]]) -> None:
        super().__init__()
        self.known = sorted(known, key=_by_tag)
        self.flagbuildnone = True  # builds from the enclosing dataclass, not a Struct member

    def _parse(self, stream: Any, context: Any, path: str) -> dict[str, Any] | None:
        parsers: TaggedParsers = {
            tag: (name, _annotated(name, codec, partial(_parse_member, codec, f"{path} -> {name}")))
            for tag, name, codec, _ in self.known
        }
        return read_tagged(stream, context, parsers)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        builders: TaggedBuilders = [
            (
                tag,
                name,
                default,
                partial(_build_member, codec, f"{path} -> {name}"),
            )
            for tag, name, codec, default in self.known
        ]
        return write_tagged(stream, obj, context, builders)

    def _emitparse(self, code: Any) -> str:
        n = code.allocateId()
        entries = []
        for tag, name, codec, _ in self.known:
            fname = f"parse_tagged_{n}_{tag}"
            code.append(f"""
                def {fname}(io, this):
                    return {codec._compileparse(code)}
            """)
            entries.append(f"{tag}: ({name!r}, {fname})")
        code.append("from wire.tagged import read_tagged_rest as _read_tagged_rest")
        code.append(f"tagged_parsers_{n} = {{{', '.join(entries)}}}")
        # inline the common empty section (one zero byte): no call at all
        return (
            f'(None if (first := io.read(1)) == b"\\x00" '
            f"else _read_tagged_rest(io, this, tagged_parsers_{n}, first))"
        )

    def _emitbuild(self, code: Any) -> str:
        code.append("from wire.tagged import write_tagged as _write_tagged")
        if not self.known:  # inline the common case: no known tag, no unknown one
            return (
                '(io.write(b"\\x00") if not obj.unknown_tagged_fields '
                "else _write_tagged(io, obj, this, []))"
            )
        n = code.allocateId()
        code.linkedinstances[id(self)] = self
        entries = []
        for i, (tag, name, codec, _) in enumerate(self.known):
            fname = f"build_tagged_{n}_{tag}"
            code.append(f"""
                def {fname}(obj, io, this):
                    return {codec._compilebuild(code)}
            """)
            entries.append(f"({tag}, {name!r}, linkedinstances[{id(self)}].known[{i}][3], {fname})")
        code.append("from wire.tagged import write_tagged as _write_tagged")
        # defaults live on this instance; the list is built on first use (linkedinstances is bound
        # to the module only after its source ran)
        code.append(f"""
            tagged_builders_{n} = None
            def build_tagged_{n}(obj, io, this):
                global tagged_builders_{n}
                if tagged_builders_{n} is None:
                    tagged_builders_{n} = [{", ".join(entries)}]
                return _write_tagged(io, obj, this, tagged_builders_{n})
        """)
        return f"build_tagged_{n}(obj, io, this)"
