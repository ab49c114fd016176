"""Properties of the construct codec backend that the byte-level tests cannot see."""

from __future__ import annotations

import gc

import pytest
from construct import Container

import wire
from bench.codec import fetch_request, fetch_response, stored_batches, vote_request
from tests.wire.support import all_cases, case_id
from wire import headers
from wire.compiler import struct_for
from wire.fields import Message
from wire.messages.fetch import FetchResponse


@pytest.mark.parametrize("case", all_cases(), ids=case_id)
def test_every_codec_compiles_without_an_interpreted_fallback(
    case: tuple[type[Message], int],
) -> None:
    cls, version = case
    source = struct_for(cls, version, version in cls.FLEXIBLE).compile().source
    # construct falls back to calling an interpreted construct via linkedparsers/linkedbuilders
    assert "linkedparsers[" not in source and "linkedbuilders[" not in source


def test_codec_leaves_no_cyclic_garbage() -> None:
    """Parsed/built contexts must not be reference cycles (they would hold whole frames)."""
    body = fetch_response(stored_batches(1 << 16))
    frame = headers.encode_response(1, 17, 1, body)
    requests = [(52, 2, vote_request()), (1, 17, fetch_request())]
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            assert headers.decode_response(1, 17, frame[4:]) == (1, body)
            for api_key, version, request in requests:
                encoded = headers.encode_request(api_key, version, 1, "c", request)
                assert headers.decode_request(encoded[4:])[1] == request
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_records_stay_bytes_and_no_container_leaks() -> None:
    records = stored_batches(4096)
    body = fetch_response(records)
    decoded = wire.decode(FetchResponse, wire.encode(body, 17), 17)
    partition = decoded.responses[0].partitions[0]
    assert type(partition.records) is bytes and partition.records == records
    assert not isinstance(decoded.responses[0], Container)
    assert not isinstance(partition, Container)
