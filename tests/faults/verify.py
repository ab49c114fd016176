"""The checker: what consumers read is exactly the committed sequence, and no node lost any of it.

Inputs: every node's on-disk log after the run (all nodes caught up, then stopped), the readers'
files (`tests.faults.reader`), and the acknowledgements taken during the run: (high watermark,
digest of the batches wholly below it) read from a leader's own disk at the moment it was killed,
paused, partitioned or ran out of space.

Checks (each failure is an `AssertionError` that names the node, reader and offset):
- every node's log: each batch's CRC32C is valid and offsets are contiguous from 0;
- all nodes hold byte-identical batches below `committed_end` (the end of the batch holding the
  highest offset any reader read, or of any acknowledged prefix), and every node's log reaches
  it: nobody lost a committed record, and nobody kept a different one;
- each acknowledgement's digest equals the digest of the same prefix of the final log;
- each observer reader read batches contiguous from offset 0, each once, each byte-identical
  (SHA-1) to the final log's batch at that offset;
- each kafka-python reader read increasing offsets whose values equal the final log's records,
  skipping only control records (which Kafka consumers never return).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from wire.records import crc_ok, decode_records, iter_batches


@dataclass(frozen=True)
class Acknowledged:
    what: str
    high_watermark: int
    digest: str


@dataclass
class Verified:
    committed_end: int = 0
    batches: int = 0  # batches read by observer readers and found exact
    records: int = 0  # records inside them plus records read by kafka readers
    per_reader: dict[str, int] = field(default_factory=dict)  # records per reader


@dataclass(frozen=True)
class LogBatch:
    base_offset: int
    last_offset: int
    is_control: bool
    data: bytes

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.data).hexdigest()


def parse_log(data: bytes, who: str, end_offset: int | None = None) -> list[LogBatch]:
    """The batches of a node's log (its segments concatenated), CRC and contiguity checked;
    with `end_offset`, only those wholly below it (a live node may be writing the next one)."""
    out: list[LogBatch] = []
    expected = 0
    for position, header in iter_batches(data):
        if end_offset is not None and header.last_offset >= end_offset:
            break
        assert crc_ok(data, position, header), f"{who}: CRC mismatch at offset {header.base_offset}"
        assert header.base_offset == expected, (
            f"{who}: batch at {header.base_offset}, expected {expected}"
        )
        batch = bytes(data[position : position + header.size_bytes])
        out.append(LogBatch(header.base_offset, header.last_offset, header.is_control, batch))
        expected = header.next_offset
    return out


def prefix_digest(batches: list[LogBatch], high_watermark: int) -> str:
    """SHA-1 over the batches wholly below `high_watermark` (the committed prefix a node held)."""
    digest = hashlib.sha1()
    for batch in batches:
        if batch.last_offset >= high_watermark:
            break
        digest.update(batch.data)
    return digest.hexdigest()


def verify(
    logs: dict[str, bytes], reader_files: dict[str, Path], acknowledged: list[Acknowledged]
) -> Verified:
    parsed = {who: parse_log(data, who) for who, data in logs.items()}
    readers = {name: path.read_text().splitlines() for name, path in reader_files.items()}
    committed_end = max((a.high_watermark for a in acknowledged), default=0)
    for lines in readers.values():
        for line in lines[-1:]:
            fields = line.split()
            end = int(fields[2]) + 1 if fields[0] == "B" else int(fields[1]) + 1
            committed_end = max(committed_end, end)
    # The reference: the committed prefix of one node; every other node must hold the same bytes.
    # A record read means its whole batch was committed (nodes serve whole batches below the high
    # watermark), so the prefix runs to the end of the batch holding the last offset read.
    reference_name, reference_all = next(iter(parsed.items()))
    reference = [b for b in reference_all if b.base_offset < committed_end]
    if reference:
        committed_end = max(committed_end, reference[-1].last_offset + 1)
    result = Verified(committed_end=committed_end)
    for who, batches in parsed.items():
        end = batches[-1].last_offset + 1 if batches else 0
        assert end >= committed_end, f"{who}: log ends at {end}, below committed {committed_end}"
        mine = [b for b in batches if b.last_offset < committed_end]
        for theirs, ours in zip(reference, mine, strict=False):
            assert theirs.data == ours.data, (
                f"{who} and {reference_name} differ at committed offset {ours.base_offset}"
            )
        assert len(mine) == len(reference), (
            f"{who}: {len(mine)} committed batches, not {len(reference)}"
        )
    for ack in acknowledged:
        got = prefix_digest(reference_all, ack.high_watermark)
        assert got == ack.digest, f"{ack.what}: the prefix below {ack.high_watermark} changed"
    by_base = {b.base_offset: b for b in reference}
    records_by_offset: dict[int, tuple[bool, str]] | None = None
    for name, lines in readers.items():
        count = 0
        if lines and lines[0].startswith("R "):
            if records_by_offset is None:
                records_by_offset = _records(reference)
            count = _check_records(name, lines, records_by_offset)
        else:
            expected = 0
            for line in lines:
                _, base, last, _epoch, _control, digest = line.split()
                assert int(base) == expected, f"{name}: read batch {base}, expected {expected}"
                batch = by_base.get(int(base))
                assert batch is not None and batch.last_offset == int(last), (
                    f"{name}: batch {base}..{last} is not in the committed log"
                )
                assert batch.sha1 == digest, f"{name}: batch {base} differs from the log's"
                expected = int(last) + 1
                count += int(last) - int(base) + 1
                result.batches += 1
        result.per_reader[name] = count
        result.records += count
    return result


def _records(batches: list[LogBatch]) -> dict[int, tuple[bool, str]]:
    out: dict[int, tuple[bool, str]] = {}
    for batch in batches:
        _, header = next(iter_batches(batch.data))
        for record in decode_records(batch.data, 0, header):
            out[record.offset] = (batch.is_control, hashlib.sha1(record.value or b"").hexdigest())
    return out


def _check_records(name: str, lines: list[str], records: dict[int, tuple[bool, str]]) -> int:
    previous = -1
    for line in lines:
        _, offset_text, digest = line.split()
        offset = int(offset_text)
        assert offset > previous, f"{name}: offset {offset} after {previous} (duplicate or back)"
        for skipped in range(previous + 1, offset):
            assert records[skipped][0], f"{name}: skipped data record {skipped}"
        found = records.get(offset)
        assert found is not None and not found[0], f"{name}: {offset} is not a committed record"
        assert found[1] == digest, f"{name}: record {offset} differs from the log's"
        previous = offset
    return len(lines)
