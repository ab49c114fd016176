"""`kraft.shell.quorum_state_store`: Kafka's one-line JSON, atomic rewrite, strict reading."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kraft.shell.quorum_state_store import (
    QuorumStateError,
    QuorumStateStore,
    decode_quorum_state,
    encode_quorum_state,
)
from kraft.types import ElectionState

KAFKA_V0 = (
    b'{"clusterId":"","leaderId":1,"leaderEpoch":5,"votedId":-1,"appliedOffset":0,'
    b'"currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}'
)


def test_kafka_bytes_v0() -> None:
    state = ElectionState(epoch=5, leader_id=1, voters=frozenset({3, 1, 2}))
    assert encode_quorum_state(state) == KAFKA_V0
    assert decode_quorum_state(KAFKA_V0) == state


def test_kafka_bytes_v1() -> None:
    state = ElectionState(epoch=6, voted_id=2, voted_directory_id=uuid.UUID(int=1))
    assert encode_quorum_state(state, data_version=1) == (
        b'{"leaderId":-1,"leaderEpoch":6,"votedId":2,'
        b'"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAQ","data_version":1}'
    )


def test_v1_is_read() -> None:
    directory = uuid.UUID(int=7)
    state = ElectionState(epoch=6, voted_id=2, voted_directory_id=directory)
    data = encode_quorum_state(state, data_version=1)
    assert data.startswith(b'{"leaderId":-1,"leaderEpoch":6,"votedId":2,"votedDirectoryId":"')
    assert data.endswith(b',"data_version":1}')
    assert decode_quorum_state(data) == state


def test_store_roundtrip_and_atomic_file(tmp_path: Path) -> None:
    store = QuorumStateStore(tmp_path)
    assert store.read() is None
    first = ElectionState(epoch=1, voted_id=1, voters=frozenset({1}))
    store.write(first)
    assert store.read() == first
    second = ElectionState(epoch=2, leader_id=1, voters=frozenset({1}))
    store.write(second)
    assert store.read() == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quorum-state"]
    assert b"\n" not in (tmp_path / "quorum-state").read_bytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"data_version":7}', "unsupported quorum-state data_version 7"),
        (b'{"data_version":"0"}', "unsupported quorum-state data_version"),
        (KAFKA_V0.replace(b'"votedId":-1,', b""), "lacks field votedId"),
        (KAFKA_V0.replace(b'"leaderEpoch":5', b'"leaderEpoch":-3'), "negative leaderEpoch"),
        (KAFKA_V0.replace(b'{"voterId":1}', b'{"id":1}'), "lacks field voterId"),
        (KAFKA_V0.replace(b'"leaderId":1', b'"leaderId":"1"'), "field leaderId is not an integer"),
    ],
)
def test_bad_files_are_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(QuorumStateError, match=message) as info:
        decode_quorum_state(data)
    assert "\n" not in str(info.value)


INT32_MAX = (1 << 31) - 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (KAFKA_V0.replace(b'"leaderEpoch":5', b'"leaderEpoch":2147483648'), "leaderEpoch"),
        (KAFKA_V0.replace(b'"leaderEpoch":5', b'"leaderEpoch":2147483647'), "leaderEpoch"),
        (KAFKA_V0.replace(b'"leaderEpoch":5', b'"leaderEpoch":1' + b"0" * 30), "leaderEpoch"),
        (KAFKA_V0.replace(b'"leaderId":1', b'"leaderId":2147483648'), "leaderId"),
        (KAFKA_V0.replace(b'"votedId":-1', b'"votedId":99999999999'), "votedId"),
        (KAFKA_V0.replace(b'{"voterId":1}', b'{"voterId":-4}'), "voterId"),
        (KAFKA_V0.replace(b'{"voterId":1}', b'{"voterId":2147483648}'), "voterId"),
    ],
)
def test_out_of_range_values_are_one_line_errors(data: bytes, message: str) -> None:
    """Issue #12: a quorum-state with a value the node could never encode again is a start-up
    error (one line), not a crash on the first request after every restart."""
    with pytest.raises(QuorumStateError, match=message) as info:
        decode_quorum_state(data)
    assert "\n" not in str(info.value) and "out of range" in str(info.value)


def test_the_last_epoch_is_stored_and_read_but_never_one_above(tmp_path: Path) -> None:
    store = QuorumStateStore(tmp_path)
    last = ElectionState(epoch=INT32_MAX - 1, leader_id=2, voters=frozenset({1, 2}))
    store.write(last)
    assert store.read() == last
    with pytest.raises(QuorumStateError, match="out of range"):
        store.write(ElectionState(epoch=INT32_MAX, voters=frozenset({1})))
    assert store.read() == last  # the file was not touched
