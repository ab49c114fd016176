"""How a decode failure is described and attributed to the field it happened in.

Shared by the compiler's `Field` members and the tagged section (`wire.tagged`), both of which
re-raise a failure inside one of their members as a `DecodeError` naming that member's path.
"""

from __future__ import annotations

import struct

from construct import Construct, ConstructError

from wire import primitives as p
from wire.errors import DecodeError


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
