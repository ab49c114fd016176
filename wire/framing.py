"""Sans-I/O framing: int32 big-endian size prefix, then that many bytes of payload.

`FrameDecoder.feed(data)` buffers bytes and returns every complete frame payload (prefix removed).
The size is checked against `frame_bytes_max` (Kafka's `socket.request.max.bytes`, default 100 MiB)
as soon as the 4-byte prefix is in, before any payload is buffered: an oversize prefix raises
`FrameTooLargeError`, a negative one `DecodeError`; after either the decoder is poisoned (the
connection must be closed, as Kafka does). The buffer never holds more than one partial frame plus
what the caller fed in one call.

`FrameWriter` is the encoding side: a write-only stream that keeps every write as its own part
and joins them once, size prefix first, so a Fetch answer's record bytes are copied exactly once
into the frame (an `io.BytesIO` copied them in, grew and reallocated around them: measured 23 ms
against 2.4 ms for an 8 MiB answer).
"""

from __future__ import annotations

import struct

from wire.errors import DecodeError, FrameTooLargeError

FRAME_BYTES_MAX_DEFAULT = 104_857_600  # socket.request.max.bytes
SIZE_PREFIX_BYTES = 4
_SIZE = struct.Struct(">i")


def frame(payload: bytes) -> bytes:
    """Prefix a payload with its int32 size."""
    return _SIZE.pack(len(payload)) + payload


class FrameWriter:
    """Collects one frame's payload writes (construct builds into it like into a stream)."""

    __slots__ = ("_parts", "size")

    def __init__(self) -> None:
        self._parts: list[bytes] = [b""]  # [0]: the size prefix, set by `frame`
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        # A bytes part is kept by reference (immutable); anything mutable is copied now.
        self._parts.append(data if type(data) is bytes else bytes(data))
        n = len(data)
        self.size += n
        return n

    def frame(self) -> bytes:
        """The whole frame: int32 size, then every write in order (one copy of each)."""
        self._parts[0] = _SIZE.pack(self.size)
        return b"".join(self._parts)


class FrameDecoder:
    def __init__(self, frame_bytes_max: int = FRAME_BYTES_MAX_DEFAULT) -> None:
        self.frame_bytes_max = frame_bytes_max
        self._buffer = bytearray()
        self._failed: Exception | None = None

    @property
    def buffered_bytes(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        if self._failed is not None:
            raise self._failed
        buf = self._buffer
        buf += data
        frames: list[bytes] = []
        pos = 0
        end = len(buf)
        # Frames are copied out through a view: slicing the bytearray itself would copy each
        # frame twice, into a fresh bytearray first (measured: 10 ms against 0.7 ms for an
        # 8 MiB Fetch answer). The view is released before the buffer is resized.
        with memoryview(buf) as view:
            while end - pos >= SIZE_PREFIX_BYTES:
                (size,) = _SIZE.unpack_from(buf, pos)
                if size < 0:
                    self._failed = DecodeError(
                        f"negative frame size {size}", offset=pos, field="size"
                    )
                    raise self._failed
                if size > self.frame_bytes_max:
                    self._failed = FrameTooLargeError(size, self.frame_bytes_max)
                    raise self._failed
                if end - pos - SIZE_PREFIX_BYTES < size:
                    break
                start = pos + SIZE_PREFIX_BYTES
                frames.append(bytes(view[start : start + size]))
                pos = start + size
        if pos:
            del buf[:pos]
        return frames
