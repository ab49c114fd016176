"""Sans-I/O framing: int32 big-endian size prefix, then that many bytes of payload.

`FrameDecoder.feed(data)` buffers bytes and returns every complete frame payload (prefix removed).
The size is checked against `frame_bytes_max` (Kafka's `socket.request.max.bytes`, default 100 MiB)
as soon as the 4-byte prefix is in, before any payload is buffered: an oversize prefix raises
`FrameTooLargeError`, a negative one `DecodeError`; after either the decoder is poisoned (the
connection must be closed, as Kafka does). The buffer never holds more than one partial frame plus
what the caller fed in one call.
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
