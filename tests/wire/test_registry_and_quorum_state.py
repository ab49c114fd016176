"""The registry (what ApiVersions advertises, header version rules) and the quorum-state JSON."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wire
from wire import headers
from wire.errors import DecodeError
from wire.messages.quorum_state import QuorumStateData, from_json, to_json
from wire.registry import (
    API_SPECS,
    api_versions_response,
    request_header_version,
    response_header_version,
)

# RAFT-BRIEF §1.3 (4.x column): key -> (min, max, first flexible version)
EXPECTED = {
    0: (3, 13, 9),
    1: (4, 18, 12),
    2: (1, 11, 6),
    3: (0, 13, 9),
    10: (0, 6, 3),
    17: (0, 1, 0x8000),  # SaslHandshake: never flexible
    18: (0, 4, 3),
    23: (2, 4, 4),
    36: (0, 2, 2),
    52: (0, 2, 0),
    53: (0, 1, 1),
    54: (0, 1, 1),
    55: (0, 2, 0),
    59: (0, 1, 0),
    60: (0, 2, 0),
    80: (0, 1, 0),
    81: (0, 0, 0),
    82: (0, 0, 0),
}


def test_versions_match_the_brief() -> None:
    got = {k: (s.min_version, s.max_version, s.flexible_min_version) for k, s in API_SPECS.items()}
    assert got == EXPECTED


def test_api_versions_response_lists_the_registry_but_never_find_coordinator() -> None:
    response = api_versions_response()
    listed = {a.api_key: (a.min_version, a.max_version) for a in response.api_keys}
    assert 10 not in listed
    assert listed == {k: v[:2] for k, v in EXPECTED.items() if k != 10}
    only = api_versions_response([18, 52, 10])
    assert [a.api_key for a in only.api_keys] == [18, 52]
    features = api_versions_response(
        [18], supported_features=[("kraft.version", 0, 1)], finalized_features_epoch=3
    )
    assert wire.decode(type(features), wire.encode(features, 4), 4) == features


@pytest.mark.parametrize("key", sorted(API_SPECS))
def test_header_versions(key: int) -> None:
    spec = API_SPECS[key]
    for version in spec.versions:
        flexible = version >= spec.flexible_min_version
        assert request_header_version(key, version) == (2 if flexible else 1)
        assert response_header_version(key, version) == (0 if key == 18 else int(flexible))


def test_quorum_state_v0_json_is_kafkas_exact_line() -> None:
    state = QuorumStateData(
        cluster_id="",
        leader_id=1,
        leader_epoch=5,
        voted_id=-1,
        applied_offset=0,
        current_voters=[QuorumStateData.Voter(voter_id=i) for i in (1, 2, 3)],
    )
    text = (
        '{"clusterId":"","leaderId":1,"leaderEpoch":5,"votedId":-1,"appliedOffset":0,'
        '"currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}'
    )
    assert to_json(state, 0) == text
    assert from_json(text) == (state, 0)


def test_quorum_state_v1_json_is_kafkas_exact_line() -> None:
    state = QuorumStateData(
        leader_id=-1, leader_epoch=6, voted_id=2, voted_directory_id=uuid.UUID(int=1)
    )
    text = (
        '{"leaderId":-1,"leaderEpoch":6,"votedId":2,'
        '"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAQ","data_version":1}'
    )
    assert to_json(state, 1) == text
    assert from_json(text.encode()) == (state, 1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"data_version":2,"leaderId":1}',
        '{"leaderId":-1,"leaderEpoch":6,"votedId":2,"data_version":1}',
        '{"leaderId":"x","leaderEpoch":6,"votedId":2,"votedDirectoryId":"AA","data_version":1}',
        '{"leaderId":1,"leaderEpoch":6,"votedId":2,"votedDirectoryId":"!!","data_version":1}',
        '{"clusterId":"","leaderId":1,"leaderEpoch":5,"votedId":-1,"appliedOffset":0,'
        '"currentVoters":[3],"data_version":0}',
    ],
)
def test_bad_quorum_state_is_a_decode_error(text: str) -> None:
    with pytest.raises(DecodeError):
        from_json(text)


@given(st.text(max_size=60))
def test_quorum_state_parser_is_total(text: str) -> None:
    with contextlib.suppress(DecodeError):
        from_json(text)


def test_frames_round_trip_through_the_registry() -> None:
    for key, spec in API_SPECS.items():
        for version in spec.versions:
            frame = headers.encode_request(key, version, 3, "c", spec.request_cls())
            header, body = headers.decode_request(frame[4:])
            assert (header.request_api_key, header.request_api_version) == (key, version)
            assert body == spec.request_cls()
            frame = headers.encode_response(key, version, 4, spec.response_cls())
            assert headers.decode_response(key, version, frame[4:]) == (4, spec.response_cls())


@pytest.mark.parametrize(
    ("name", "version", "valid"),
    [
        ("kafka-python", 3, True),
        ("apache-kafka-java", 4, True),
        ("librdkafka", 3, True),
        ("", 3, False),
        ("-x", 3, False),
        ("x-", 3, False),
        ("a b", 3, False),
        ("", 2, True),
    ],
)
def test_api_versions_client_software_validation(name: str, version: int, valid: bool) -> None:
    from wire.messages.api_versions import ApiVersionsRequest, is_valid_request

    request = ApiVersionsRequest(client_software_name=name, client_software_version="1.0.0")
    assert is_valid_request(request, version) is valid
