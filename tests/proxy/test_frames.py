"""The proxy's sans-I/O pieces: the frame tap, endpoint rewriting, request/response pairing."""

from __future__ import annotations

import random
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wire.records as records
from kraft.shell.proxy.exchange import (
    ConnectionDecoder,
    ExchangeFilter,
    TopicNames,
    summary_line,
    to_json,
)
from kraft.shell.proxy.frames import (
    FrameTap,
    decode_request,
    decode_response,
    encode_request_payload,
    encode_response_payload,
    error_name,
    peek_correlation,
    rewrite_endpoints,
)
from wire import headers
from wire.messages.fetch import FetchRequest, FetchResponse
from wire.messages.find_coordinator import FindCoordinatorResponse
from wire.messages.metadata import MetadataResponse
from wire.messages.produce import ProduceRequest
from wire.messages.vote import VoteRequest

TOPIC_ID = uuid.UUID(int=77)


def _frames() -> list[bytes]:
    vote = VoteRequest(cluster_id="c", voter_id=1)
    return [headers.encode_request(52, 2, i, f"client-{i}", vote) for i in range(5)] + [
        b"\x00\x00\x00\x00",
        headers.encode_request(52, 0, 9, None, VoteRequest(cluster_id=None)),
    ]


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32), cap=st.integers(0, 200))
def test_tap_forwards_every_byte_and_finds_every_frame(seed: int, cap: int) -> None:
    frames = _frames()
    stream = b"".join(frames)
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(stream)), rng.randint(0, 12)))
    tap = FrameTap(cap)
    forwarded = b""
    captured = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        out, done = tap.feed(stream[start:end])
        forwarded += out
        captured += done
    assert forwarded == stream
    assert [c.size_bytes for c in captured] == [len(f) - 4 for f in frames]
    for c, f in zip(captured, frames, strict=True):
        assert c.data == f[4:][: max(cap, 8)]
        assert c.complete == (len(f) - 4 <= max(cap, 8))


def test_tap_holds_and_rewrites_one_frame_and_streams_the_others() -> None:
    frames = _frames()
    stream = b"".join(frames)
    tap = FrameTap(
        1 << 20,
        peek_bytes=8,
        hold=lambda peek: peek[4:8] == (2).to_bytes(4, "big"),
        transform=lambda payload: payload + b"!",
    )
    out = b""
    for i in range(0, len(stream), 7):
        out += tap.feed(stream[i : i + 7])[0]
    held = frames[2]
    expected = stream.replace(held, (len(held) - 3).to_bytes(4, "big") + held[4:] + b"!")
    assert out == expected


def test_tap_stops_looking_at_a_negative_size_and_keeps_forwarding() -> None:
    tap = FrameTap(100)
    out, frames = tap.feed(b"\xff\xff\xff\xf0abc")
    assert out == b"\xff\xff\xff\xf0abc" and frames == []
    assert tap.broken is not None and "negative" in tap.broken
    assert tap.feed(b"more") == (b"more", [])


def test_rewrite_endpoints_in_metadata_and_find_coordinator() -> None:
    B = MetadataResponse.MetadataResponseBroker
    body = MetadataResponse(brokers=[B(node_id=1, host="kafka-1", port=9092)])
    table = {("kafka-1", 9092): ("127.0.0.1", 40001)}
    rewritten = rewrite_endpoints(body, 12, lambda h, p: table[(h, p)])
    assert rewritten.brokers[0].host == "127.0.0.1" and rewritten.brokers[0].port == 40001
    payload = encode_response_payload(3, 12, 7, rewritten)
    assert peek_correlation(payload) == 7
    assert decode_response(3, 12, payload)[1] == rewritten
    C = FindCoordinatorResponse.Coordinator
    found = FindCoordinatorResponse(
        coordinators=[C(key="g", node_id=1, host="kafka-1", port=9092), C(key="h", port=-1)]
    )
    out = rewrite_endpoints(found, 6, lambda h, p: table[(h, p)])
    assert (out.coordinators[0].host, out.coordinators[0].port) == ("127.0.0.1", 40001)
    assert out.coordinators[1] == found.coordinators[1]  # an error answer is left alone
    old = FindCoordinatorResponse(host="kafka-1", port=9092, node_id=1)
    assert rewrite_endpoints(old, 2, lambda h, p: table[(h, p)]).port == 40001


def test_pairs_by_correlation_id_names_topics_and_reencodes_exactly() -> None:
    topics = TopicNames()
    decoder = ConnectionDecoder(1, "127.0.0.1:5000", topics)
    T = MetadataResponse.MetadataResponseTopic
    metadata = MetadataResponse(topics=[T(name="orders", topic_id=TOPIC_ID)])
    fetch = FetchRequest(
        topics=[
            FetchRequest.FetchTopic(
                topic_id=TOPIC_ID,
                partitions=[FetchRequest.FetchTopic.FetchPartition(partition=0, fetch_offset=1200)],
            )
        ]
    )
    R = FetchResponse.FetchableTopicResponse
    batch = records.build_data_batch(1200, 3, 1000, [b"a"] * 512)
    fetched = FetchResponse(
        responses=[
            R(
                topic_id=TOPIC_ID,
                partitions=[R.PartitionData(high_watermark=1712, records=batch, error_code=0)],
            )
        ]
    )
    from kraft.shell.proxy.frames import CapturedFrame

    def cap(frame: bytes) -> CapturedFrame:
        return CapturedFrame(len(frame) - 4, frame[4:])

    from wire.messages.metadata import MetadataRequest

    assert (
        decoder.request(cap(headers.encode_request(3, 12, 1, "c1", MetadataRequest())), 1.0) is None
    )
    assert decoder.request(cap(headers.encode_request(1, 17, 2, "c1", fetch)), 2.0) is None
    # responses out of order: matched by correlation id
    meta_exchange = decoder.response(cap(headers.encode_response(3, 12, 1, metadata)), 2.5)
    fetch_exchange = decoder.response(cap(headers.encode_response(1, 17, 2, fetched)), 2.0031)
    assert meta_exchange.api == "Metadata" and not meta_exchange.undecoded
    line = summary_line(fetch_exchange, topics)
    assert "Fetch v17" in line and "orders-0@1200 → 512 records, HW 1712, 3.1 ms" in line
    data = to_json(fetch_exchange, expand_records=False)
    partition = data["response"]["body"]["responses"][0]["partitions"][0]
    assert partition["records"]["batches"][0]["records_count"] == 512
    assert "records" not in partition["records"]["batches"][0]
    header, body, _ = decode_request(headers.encode_request(1, 17, 2, "c1", fetch)[4:])
    assert encode_request_payload(header, body) == headers.encode_request(1, 17, 2, "c1", fetch)[4:]


def test_produce_acks_0_has_no_response_and_errors_are_named() -> None:
    decoder = ConnectionDecoder(1, "c", TopicNames())
    produce = ProduceRequest(acks=0, timeout_ms=100)
    frame = headers.encode_request(0, 11, 5, "p", produce)
    from kraft.shell.proxy.frames import CapturedFrame

    exchange = decoder.request(CapturedFrame(len(frame) - 4, frame[4:]), 0.0)
    assert exchange is not None and exchange.note == "no response (acks=0)"
    assert ExchangeFilter.parse(["api=produce"]).matches(exchange)
    assert not ExchangeFilter.parse(["api=Fetch"]).matches(exchange)
    assert not ExchangeFilter.parse(["error"]).matches(exchange)
    assert ExchangeFilter.parse(["client=p"]).matches(exchange)


def test_an_unknown_api_is_reported_with_its_hex() -> None:
    decoder = ConnectionDecoder(1, "c", TopicNames())
    from kraft.shell.proxy.frames import CapturedFrame

    payload = (4000).to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x07rest"
    assert decoder.request(CapturedFrame(len(payload), payload), 0.0) is None
    exchange = decoder.response(CapturedFrame(8, b"\x00\x00\x00\x07abcd"), 0.1)
    assert exchange.undecoded and "not in the catalog" in exchange.undecoded[0]
    assert "undecoded request" in summary_line(exchange, TopicNames())
    assert ExchangeFilter.parse(["error=UNDECODED"]).matches(exchange)


def test_error_names_are_kafkas() -> None:
    pytest.importorskip("kio")
    from kio.schema.errors import ErrorCode as KioErrorCode

    from kraft.shell.proxy.error_names import ERROR_NAMES

    assert {e.value: e.name.upper() for e in KioErrorCode if e.value} == dict(ERROR_NAMES)
    assert error_name(79) == "MEMBER_ID_REQUIRED" and error_name(30000) == "error 30000"


def test_the_proxy_stops_quietly_on_sigterm_even_with_sigint_ignored() -> None:
    import signal
    import subprocess
    import sys
    import time

    from tests.e2e.cluster import ROOT, free_ports

    (port,) = free_ports(1)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kraft.cli",
            "proxy",
            "--listen",
            f"127.0.0.1:{port}",
            "--upstream",
            "127.0.0.1:1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as `cmd &` in a script
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    assert "listening on" in line, line
    time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (0, "", "")
