"""`kraft decode`: hex frames in, one JSON object per frame out, errors on stderr."""

from __future__ import annotations

import contextlib
import io
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wire.records as records
from kraft.cli import main
from kraft.cli.decode import decode_frame, expand_records
from wire import headers
from wire.errors import DecodeError, UnsupportedVersionError
from wire.messages.fetch import FetchResponse
from wire.messages.vote import VoteRequest

P = VoteRequest.TopicData.PartitionData
VOTE = VoteRequest(
    cluster_id="abc",
    voter_id=2,
    topics=[
        VoteRequest.TopicData(
            topic_name="__cluster_metadata",
            partitions=[P(replica_epoch=4, replica_id=1, replica_directory_id=uuid.UUID(int=1))],
        )
    ],
)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    code = main(["decode", "--json", *argv])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_request_with_and_without_size_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    frame = headers.encode_request(52, 2, 11, "raft-client-1", VOTE)
    code, objs, err = _run(capsys, frame.hex(), frame[4:].hex())
    assert code == 0 and err == ""
    assert objs[0] == objs[1]
    assert objs[0]["header"] == {
        "request_api_key": 52,
        "request_api_version": 2,
        "correlation_id": 11,
        "client_id": "raft-client-1",
    }
    partition = objs[0]["body"]["topics"][0]["partitions"][0]
    assert partition["replica_directory_id"] == {
        "base64": "AAAAAAAAAAAAAAAAAAAAAQ",
        "hex": "00000000000000000000000000000001",
    }
    assert partition["pre_vote"] is False and partition["replica_epoch"] == 4


def test_fields_follow_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    frame = headers.encode_request(52, 0, 1, None, VoteRequest(cluster_id=None))
    _, objs, _ = _run(capsys, frame.hex())
    assert objs[0]["body"] == {"cluster_id": None, "topics": []}
    assert objs[0]["header"]["client_id"] is None


def test_fetch_response_records_are_expanded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = records.build_leader_change_batch(
        0, 3, 1000, 1, [1, 2], [1]
    ) + records.build_data_batch(1, 3, 1001, [b"hello"])
    R = FetchResponse.FetchableTopicResponse
    body = FetchResponse(
        responses=[R(topic_id=uuid.UUID(int=1), partitions=[R.PartitionData(records=batches)])]
    )
    frame = headers.encode_response(1, 17, 5, body)
    monkeypatch.setattr("sys.stdin", io.StringIO(frame.hex() + "\n\n# comment\n"))
    code, objs, err = _run(capsys, "--response", "--api-key", "Fetch", "--api-version", "17")
    assert code == 0, err
    (obj,) = objs
    assert obj["header"] == {"correlation_id": 5}
    expanded = obj["body"]["responses"][0]["partitions"][0]["records"]
    control, data = expanded["batches"]
    assert control["is_control"] and control["crc_ok"]
    (record,) = control["records"]
    assert record["control_type"] == "LEADER_CHANGE"
    assert record["control_value"]["leader_id"] == 1
    assert [v["voter_id"] for v in record["control_value"]["voters"]] == [1, 2]
    assert data["base_offset"] == 1 and data["records"][0]["value"] == b"hello".hex()


def test_bad_frame_is_reported_and_the_others_still_decoded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = headers.encode_request(52, 2, 1, "c", VOTE)[4:]
    bad = good[:20]
    code, objs, err = _run(capsys, good.hex(), bad.hex(), good.hex())
    assert code == 1
    assert len(objs) == 2
    (line,) = err.splitlines()
    assert line.startswith("frame 2:") and "byte " in line and "field " in line


def test_response_needs_key_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--response", "00"]) == 2


@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=120), framed=st.sampled_from(["auto", "yes", "no"]))
def test_decode_frame_is_total(raw: bytes, framed: str) -> None:
    with contextlib.suppress(DecodeError, UnsupportedVersionError):
        json.dumps(decode_frame(raw, framed, None, None))


@settings(max_examples=60, deadline=None)
@given(garbage=st.binary(max_size=200), cut=st.integers(0, 400))
def test_records_expansion_never_raises(garbage: bytes, cut: int) -> None:
    valid = records.build_data_batch(0, 1, 5, [b"a", b"b"])
    for blob in (garbage, valid[:cut], valid + garbage, garbage[:8] + valid[8:]):
        json.dumps(expand_records(blob))
