"""A minimal raw Fetch client (Fetch v4, consumer replica id) for the consumer-path benchmark.

Why hand-written: it must measure the *server*, so the client does the least possible work per
response: one `recv_into` of the whole frame, a handful of `struct` reads for the partition header,
and a walk over batch headers (base offset, batch length, last offset delta) to find the next fetch
offset. Record contents are never decoded. Fetch v4 is the oldest version every Kafka-compatible
server still accepts and needs no topic ids or tagged fields.

Invariant: `fetch()` either returns a `FetchResult` or raises `FetchError`; a partial trailing
batch (cut by max_bytes) is not counted and the next fetch starts at it.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

FETCH_API_KEY = 1
FETCH_VERSION = 4
CONSUMER_REPLICA_ID = -1
READ_UNCOMMITTED = 0
NO_ERROR = 0
NULL_LENGTH = -1
BATCH_HEADER_BYTES = 12  # base offset int64 + batch length int32
LAST_OFFSET_DELTA_AT = 23  # base(8) length(4) leader epoch(4) magic(1) crc(4) attributes(2)
METADATA_TOPIC = "__cluster_metadata"

_INT32 = struct.Struct(">i")
_INT64 = struct.Struct(">q")
_PARTITION_HEADER = struct.Struct(">ihqq")
_FETCH_HEAD = struct.Struct(">iiiib")  # replica id, max wait, min bytes, max bytes, isolation
MIN_BYTES = 1  # index, error code, high watermark, last stable offset


class FetchError(RuntimeError):
    pass


@dataclass(frozen=True)
class FetchResult:
    error_code: int
    high_watermark: int
    batch_bytes: int  # bytes of complete batches returned
    batch_count: int
    next_offset: int  # offset after the last complete batch (the fetch offset if none)


def scan_batches(records: memoryview, fetch_offset: int) -> tuple[int, int, int]:
    """(complete batch bytes, batch count, next offset) over a records field."""
    pos = 0
    count = 0
    next_offset = fetch_offset
    end = len(records)
    while pos + BATCH_HEADER_BYTES <= end:
        base_offset = _INT64.unpack_from(records, pos)[0]
        batch_length = _INT32.unpack_from(records, pos + 8)[0]
        batch_end = pos + BATCH_HEADER_BYTES + batch_length
        if batch_length <= 0 or batch_end > end:
            break
        next_offset = base_offset + _INT32.unpack_from(records, pos + LAST_OFFSET_DELTA_AT)[0] + 1
        pos = batch_end
        count += 1
    return pos, count, next_offset


class RawFetchClient:
    def __init__(
        self,
        host: str,
        port: int,
        topic: str = METADATA_TOPIC,
        partition: int = 0,
        timeout_s: float = 10.0,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.correlation_id = 0
        self.buffer = bytearray(1 << 20)
        topic_bytes = topic.encode()
        client_id = b"pykraft-bench"
        self._head = struct.pack(">hh", FETCH_API_KEY, FETCH_VERSION)
        self._client_id = struct.pack(">h", len(client_id)) + client_id
        self._topic = struct.pack(">ih", 1, len(topic_bytes)) + topic_bytes

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawFetchClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _recv_exact(self, size: int) -> memoryview:
        if len(self.buffer) < size:
            self.buffer = bytearray(size)
        view = memoryview(self.buffer)[:size]
        got = 0
        while got < size:
            n = self.sock.recv_into(view[got:], size - got)
            if n == 0:
                raise FetchError("connection closed by the server")
            got += n
        return view

    def fetch(self, offset: int, max_bytes: int, max_wait_ms: int = 0) -> FetchResult:
        self.correlation_id += 1
        head = _FETCH_HEAD.pack(
            CONSUMER_REPLICA_ID, max_wait_ms, MIN_BYTES, max_bytes, READ_UNCOMMITTED
        )
        body = (
            self._head
            + _INT32.pack(self.correlation_id)
            + self._client_id
            + head
            + self._topic
            + struct.pack(">iiqi", 1, self.partition, offset, max_bytes)
        )
        self.sock.sendall(_INT32.pack(len(body)) + body)
        size = _INT32.unpack(bytes(self._recv_exact(4)))[0]
        frame = self._recv_exact(size)
        try:
            correlation_id = _INT32.unpack_from(frame, 0)[0]
            if correlation_id != self.correlation_id:
                raise FetchError(f"correlation id {correlation_id} != {self.correlation_id}")
            pos = 4 + 4  # correlation id, throttle time
            topic_count = _INT32.unpack_from(frame, pos)[0]
            if topic_count != 1:
                raise FetchError(f"{topic_count} topics in the response")
            pos += 4
            pos += 2 + struct.unpack_from(">h", frame, pos)[0]
            pos += 4  # partition count (1)
            _, error_code, high_watermark, _ = _PARTITION_HEADER.unpack_from(frame, pos)
            pos += _PARTITION_HEADER.size
            aborted = _INT32.unpack_from(frame, pos)[0]
            pos += 4 + max(aborted, 0) * 16
            records_length = _INT32.unpack_from(frame, pos)[0]
            pos += 4
        except struct.error as exc:
            raise FetchError(f"truncated Fetch response: {exc}") from exc
        if error_code != NO_ERROR or records_length == NULL_LENGTH:
            return FetchResult(error_code, high_watermark, 0, 0, offset)
        batch_bytes, batch_count, next_offset = scan_batches(
            frame[pos : pos + records_length], offset
        )
        return FetchResult(error_code, high_watermark, batch_bytes, batch_count, next_offset)
