"""The mutation engine of the live fuzz harness: deterministic, encodable, really hostile."""

from __future__ import annotations

import random

from tests.fuzz import mutate
from tests.fuzz.live_node import begin_request, fetch_request, vote_request
from wire import decode, encode
from wire.errors import EncodeError
from wire.messages import begin_quorum_epoch as bqe
from wire.messages import fetch as fe
from wire.records.batch import crc_ok, read_batch_header


def test_field_mutations_are_deterministic_and_change_one_thing() -> None:
    message = vote_request(2, 5, 4, 100, True)
    for seed in range(200):
        first = mutate.mutate_field(random.Random(seed), message, 2)
        again = mutate.mutate_field(random.Random(seed), message, 2)
        assert first == again
        _mutated, detail = first
        assert detail and detail != "no fields"


def test_field_mutations_reach_nested_fields_and_mostly_encode() -> None:
    message = fetch_request(2, 10, 3, 4)
    paths = set()
    encoded = 0
    for seed in range(400):
        mutated, detail = mutate.mutate_field(random.Random(seed), message, 17)
        paths.add(detail.split(" = ")[0])
        try:
            data = encode(mutated, 17)
        except EncodeError:
            continue
        encoded += 1
        assert decode(fe.FetchRequest, data, 17) == mutated  # the codec carries the nonsense
    assert "topics[0].partitions[0].fetch_offset" in paths
    assert "topics[0].partitions[0].last_fetched_epoch" in paths
    assert "replica_state.replica_id" in paths
    assert encoded > 300


def test_boundary_values_include_the_extremes() -> None:
    rng = random.Random(1)
    int32s = {mutate.boundary_value(rng, "int32", 7, False) for _ in range(300)}
    assert {mutate.INT32[0], mutate.INT32[1], -1, 0} <= int32s
    hosts = {mutate.boundary_value(rng, "string", "h", False) for _ in range(300)}
    assert {"a..b", "☃", ""} <= hosts


def test_hostile_batches_keep_a_valid_crc() -> None:
    kinds = set()
    for seed in range(300):
        data, detail = mutate.hostile_batches(random.Random(seed), 50, 3)
        kinds.add(detail.split(" ")[1])
        if "length field" in detail or "magic" in detail:
            continue  # those fields are outside the CRC by design of the format
        header = read_batch_header(data, 0)
        assert crc_ok(data, 0, header), detail
    assert len(kinds) >= 8


def test_frame_mutations_damage_the_frame() -> None:
    frame = b"\x00\x00\x00\x08" + b"ABCDEFGH"
    outcomes = {mutate.mutate_frame(random.Random(s), frame)[0] for s in range(100)}
    assert frame not in outcomes
    assert any(len(out) < len(frame) for out in outcomes)
    assert any(out[:4] == b"\x7f\xff\xff\xff" for out in outcomes)


def test_absurd_endpoint_requests_encode() -> None:
    for host in mutate.BAD_HOSTS:
        body = begin_request(2, 3, host, 65535)
        assert decode(bqe.BeginQuorumEpochRequest, encode(body, 1), 1) == body
