"""Size-prefixed framing: partial input, many frames per read, limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import DecodeError, FrameTooLargeError
from wire.framing import (
    FRAME_BYTES_MAX_DEFAULT,
    GATHER_FRAME_BYTES_MIN,
    FrameDecoder,
    FrameWriter,
    frame,
)


def test_default_limit_is_kafka_socket_request_max_bytes() -> None:
    assert FrameDecoder().frame_bytes_max == FRAME_BYTES_MAX_DEFAULT == 104857600


@given(
    payloads=st.lists(st.binary(max_size=40), max_size=6),
    cuts=st.lists(st.integers(0, 300), max_size=8),
    gather_bytes_min=st.sampled_from([1, 8, 30, GATHER_FRAME_BYTES_MIN]),
    as_view=st.booleans(),
)
def test_any_split_of_the_stream_yields_the_same_frames(
    payloads: list[bytes], cuts: list[int], gather_bytes_min: int, as_view: bool
) -> None:
    stream = b"".join(frame(p) for p in payloads)
    decoder = FrameDecoder(gather_bytes_min=gather_bytes_min)
    got: list[bytes] = []
    last = 0
    # A fed bytearray may be reused by the caller: a gathered frame must not see the change.
    reused = bytearray()
    for cut in sorted({min(c, len(stream)) for c in cuts}):
        reused[:] = stream[last:cut]
        got += decoder.feed(memoryview(reused) if as_view else stream[last:cut])
        last = cut
    reused[:] = b"\xee" * len(reused)
    got += decoder.feed(stream[last:])
    assert all(type(f) is bytes for f in got)
    assert got == payloads
    assert decoder.buffered_bytes == 0


def test_oversize_prefix_is_rejected_before_the_payload_arrives() -> None:
    decoder = FrameDecoder(frame_bytes_max=10)
    assert decoder.feed(frame(b"x" * 10)) == [b"x" * 10]
    with pytest.raises(FrameTooLargeError) as info:
        decoder.feed((11).to_bytes(4, "big"))
    assert (info.value.size, info.value.limit) == (11, 10)
    with pytest.raises(FrameTooLargeError):  # poisoned: the connection must close
        decoder.feed(b"")


def test_negative_size_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        FrameDecoder().feed(b"\xff\xff\xff\xfe")


def test_empty_frame() -> None:
    assert FrameDecoder().feed(b"\x00\x00\x00\x00" + frame(b"a")) == [b"", b"a"]


def test_frame_writer_joins_writes_behind_their_size() -> None:
    writer = FrameWriter()
    mutable = bytearray(b"mid")
    assert writer.write(b"head") == 4
    assert writer.write(mutable) == 3
    assert writer.write(memoryview(b"--tail")[2:]) == 4
    mutable[:] = b"XXX"  # a mutable write is taken as it was when written
    assert writer.frame() == frame(b"headmidtail")
    assert FrameWriter().frame() == frame(b"")


def test_a_large_frame_is_gathered_from_its_chunks() -> None:
    payloads = [bytes(range(256)) * 1024, b"small", bytes(300_000)]
    stream = b"".join(frame(p) for p in payloads)
    decoder = FrameDecoder()
    got: list[bytes] = []
    for at in range(0, len(stream), 65_000):
        got += decoder.feed(stream[at : at + 65_000])
        unread = min(at + 65_000, len(stream)) - sum(len(frame(p)) for p in got)
        # What is held counts (a gathered frame's size prefix is read, not held).
        assert unread - 4 <= decoder.buffered_bytes <= unread
    assert got == payloads
    assert decoder.buffered_bytes == 0
