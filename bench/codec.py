"""Codec throughput: frames/s for the Raft hot-path requests and MB/s for a 1 MiB Fetch response.

Not a timed test: run `python -m bench.codec [--duration-s S]`; it prints a table and writes
bench/results/codec.json. `measure(duration_s)` is also called by the bench harness
(bench/scenarios/codec.py). Encode = whole frame (size prefix, header, body) via
`wire.headers.encode_request/encode_response`; decode = `decode_request/decode_response` of the
payload into dataclasses. Rates are per CPU-second of one core (see `_rate`). The Fetch response
carries 1 MiB of stored record batches as a `records` field: bytes in, bytes out, never decoded
(as the leader serves them).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wire import METADATA_TOPIC_ID, METADATA_TOPIC_NAME, headers
from wire.messages.begin_quorum_epoch import BeginQuorumEpochRequest
from wire.messages.fetch import FetchRequest, FetchResponse
from wire.messages.vote import VoteRequest

RESULTS = Path(__file__).resolve().parent / "results" / "codec.json"
FETCH_RESPONSE_RECORDS_BYTES = 1 << 20
CLUSTER_ID = "J8qXdbp9QsaJXOBgrx_CUA"
DIRECTORY = uuid.UUID("6f1d7a3e-31c1-4f8e-9c37-2f4a0d8b5e21")


def vote_request() -> VoteRequest:
    P = VoteRequest.TopicData.PartitionData
    return VoteRequest(
        cluster_id=CLUSTER_ID,
        voter_id=2,
        topics=[
            VoteRequest.TopicData(
                topic_name=METADATA_TOPIC_NAME,
                partitions=[
                    P(
                        replica_epoch=7,
                        replica_id=1,
                        replica_directory_id=DIRECTORY,
                        voter_directory_id=DIRECTORY,
                        last_offset_epoch=6,
                        last_offset=123456,
                        pre_vote=False,
                    )
                ],
            )
        ],
    )


def begin_quorum_epoch_request() -> BeginQuorumEpochRequest:
    R = BeginQuorumEpochRequest
    return R(
        cluster_id=CLUSTER_ID,
        voter_id=2,
        topics=[
            R.TopicData(
                topic_name=METADATA_TOPIC_NAME,
                partitions=[
                    R.TopicData.PartitionData(
                        voter_directory_id=DIRECTORY, leader_id=1, leader_epoch=7
                    )
                ],
            )
        ],
        leader_endpoints=[R.LeaderEndpoint(name="CONTROLLER", host="127.0.0.1", port=9093)],
    )


def fetch_request() -> FetchRequest:
    P = FetchRequest.FetchTopic.FetchPartition
    return FetchRequest(
        cluster_id=CLUSTER_ID,
        replica_state=FetchRequest.ReplicaState(replica_id=2, replica_epoch=-1),
        max_wait_ms=500,
        min_bytes=0,
        topics=[
            FetchRequest.FetchTopic(
                topic_id=METADATA_TOPIC_ID,
                partitions=[
                    P(
                        current_leader_epoch=7,
                        fetch_offset=123456,
                        last_fetched_epoch=7,
                        partition_max_bytes=8 << 20,
                        replica_directory_id=DIRECTORY,
                    )
                ],
            )
        ],
    )


def stored_batches(total_bytes: int) -> bytes:
    """~total_bytes of real v2 batches (1 KiB values, 64 per batch), as the log would hold them."""
    from wire.records import build_data_batch

    out = bytearray()
    offset = 0
    value = b"v" * 1024
    while len(out) < total_bytes:
        out += build_data_batch(offset, 7, 1_700_000_000_000, [value] * 64)
        offset += 64
    return bytes(out)


def fetch_response(records: bytes) -> FetchResponse:
    R = FetchResponse.FetchableTopicResponse
    return FetchResponse(
        responses=[
            R(
                topic_id=METADATA_TOPIC_ID,
                partitions=[
                    R.PartitionData(high_watermark=123456, log_start_offset=0, records=records)
                ],
            )
        ]
    )


def _rate(fn: Callable[[], Any], duration_s: float, rounds: int = 5) -> float:
    """Calls per CPU-second of fn: the best of `rounds` runs sharing about duration_s.

    Process CPU time, not wall time, and best-of, because the machine is shared with other jobs:
    the codec is single-threaded pure CPU work, so CPU time is what one core can sustain.
    """
    fn()  # warm the codec cache
    best = 0.0
    for _ in range(rounds):
        calls = 0
        batch = 1
        start = time.process_time()
        deadline = start + duration_s / rounds
        while True:
            for _ in range(batch):
                fn()
            calls += batch
            now = time.process_time()
            if now >= deadline:
                best = max(best, calls / (now - start))
                break
            batch = min(batch * 2, 4096)
    return best


def measure(duration_s: float = 1.0) -> dict[str, float]:
    figures: dict[str, float] = {}
    requests: list[tuple[str, int, int, Any]] = [
        ("vote_request", 52, 2, vote_request()),
        ("begin_quorum_epoch_request", 53, 1, begin_quorum_epoch_request()),
        ("fetch_request", 1, 17, fetch_request()),
    ]
    for name, api_key, version, body in requests:
        frame = headers.encode_request(api_key, version, 1, "raft-client-1", body)
        payload = frame[4:]
        figures[f"{name}_encode_frames_per_s"] = _rate(
            lambda k=api_key, v=version, b=body: headers.encode_request(
                k, v, 1, "raft-client-1", b
            ),
            duration_s,
        )
        figures[f"{name}_decode_frames_per_s"] = _rate(
            lambda p=payload: headers.decode_request(p), duration_s
        )
        figures[f"{name}_frame_bytes"] = len(frame)
    body = fetch_response(stored_batches(FETCH_RESPONSE_RECORDS_BYTES))
    frame = headers.encode_response(1, 17, 1, body)
    payload = frame[4:]
    mb = len(frame) / 1e6
    figures["fetch_response_1mib_encode_mb_per_s"] = mb * _rate(
        lambda: headers.encode_response(1, 17, 1, body), duration_s
    )
    figures["fetch_response_1mib_decode_mb_per_s"] = mb * _rate(
        lambda: headers.decode_response(1, 17, payload), duration_s
    )
    figures["fetch_response_1mib_frame_bytes"] = len(frame)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=float, default=1.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    figures = measure(args.duration_s)
    print(f"{'measure':<48} {'value':>14}")
    for key, value in figures.items():
        print(f"{key:<48} {value:>14,.1f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "duration_s": args.duration_s,
        "figures": figures,
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
