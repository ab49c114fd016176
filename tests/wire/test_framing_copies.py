"""Issue #16 (byte paths): a frame leaves the decoder with ONE copy of its bytes. Slicing the
decoder's bytearray made a second, a fresh bytearray of the frame's size first (10 ms per 8 MiB
Fetch answer on this machine's cores, on every follower and observer)."""

from __future__ import annotations

import tracemalloc

from wire.framing import FrameDecoder, frame

FRAME_BYTES = 8 << 20


def test_a_big_frame_is_copied_out_once() -> None:
    payload = bytes(range(256)) * (FRAME_BYTES // 256)
    wire_bytes = frame(payload)
    decoder = FrameDecoder()
    decoder.feed(wire_bytes[:100])  # a partial frame is buffered first, as a socket delivers it
    rest = wire_bytes[100:]
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        frames = decoder.feed(rest)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert frames == [payload]
    assert decoder.buffered_bytes == 0
    # The buffer grows to the whole frame, plus the frame handed out: two frame sizes at most
    # (the slice-then-bytes copy made it three).
    assert peak - before < 2.5 * FRAME_BYTES, (peak - before) / FRAME_BYTES
