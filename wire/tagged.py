"""Tagged-field sections (flexible versions only), the one place that reads and writes them.

Layout at the end of every struct in a flexible version: uvarint count, then per field uvarint tag,
uvarint payload size, payload (the field's compact encoding). Known tags are decoded within exactly
their payload (a size mismatch is a `DecodeError`); unknown tags are kept as raw `(tag, bytes)` in
wire order. On encode a known tagged field is written only when it differs from its default, and
known plus unknown fields go out in ascending tag order, so decode→encode of a canonical message is
byte-exact.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from wire.errors import DecodeError
from wire.primitives import Reader, Writer, encode_uvarint, read_uvarint

# tag -> (attribute name, reader); tag -> (attribute name, writer, default)
TaggedReaders = dict[int, tuple[str, Reader]]
TaggedWriters = list[tuple[int, str, Writer, Any]]

_by_tag = itemgetter(0)


def read_tagged(buf: Any, pos: int, known: TaggedReaders, kw: dict[str, Any]) -> int:
    start = pos
    count, pos = read_uvarint(buf, pos)
    if count * 2 > len(buf) - pos:
        raise DecodeError(f"{count} tagged fields cannot fit", offset=start)
    unknown: list[tuple[int, bytes]] = []
    for _ in range(count):
        tag, pos = read_uvarint(buf, pos)
        size_at = pos
        size, pos = read_uvarint(buf, pos)
        if size > len(buf) - pos:
            raise DecodeError(f"tagged field {tag} of {size} bytes overruns", offset=size_at)
        end = pos + size
        entry = known.get(tag)
        if entry is None:
            unknown.append((tag, bytes(buf[pos:end])))
        else:
            name, read = entry
            view = memoryview(buf)[:end] if end != len(buf) else buf
            kw[name], got = read(view, pos)
            if got != end:
                raise DecodeError(
                    f"tagged field {tag} ({name}) used {got - pos} of its {size} bytes", offset=pos
                )
        pos = end
    if unknown:
        kw["unknown_tagged_fields"] = tuple(unknown)
    return pos


def write_tagged(out: bytearray, obj: Any, known: TaggedWriters) -> None:
    items: list[tuple[int, Any]] = []
    for tag, name, write, default in known:
        value = getattr(obj, name)
        if value != default:
            payload = bytearray()
            write(payload, value)
            items.append((tag, payload))
    unknown = obj.unknown_tagged_fields
    if unknown:
        items.extend(unknown)
        items.sort(key=_by_tag)
    if not items:
        out.append(0)
        return
    out += encode_uvarint(len(items))
    for tag, payload in items:
        out += encode_uvarint(tag)
        out += encode_uvarint(len(payload))
        out += payload
