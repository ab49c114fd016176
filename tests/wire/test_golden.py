"""Golden bytes for the encoding corners, written out by hand from Kafka's protocol rules."""

from __future__ import annotations

import uuid

import pytest

import wire
from wire import headers
from wire.errors import DecodeError, EncodeError, UnsupportedRequestError, UnsupportedVersionError
from wire.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from wire.messages.begin_quorum_epoch import BeginQuorumEpochRequest
from wire.messages.fetch import FetchRequest, FetchResponse
from wire.messages.vote import VoteRequest, VoteResponse
from wire.primitives import Buffer, UVarInt, encode_uvarint

H = bytes.fromhex


def test_compact_null_vs_empty_string() -> None:
    # cluster_id null = uvarint 0; "" = uvarint 1; then empty topics (1) and no tags (0)
    assert wire.encode(VoteRequest(cluster_id=None), 0) == H("000100")
    assert wire.encode(VoteRequest(cluster_id=""), 0) == H("010100")
    assert wire.decode(VoteRequest, H("000100"), 0).cluster_id is None
    assert wire.decode(VoteRequest, H("010100"), 0).cluster_id == ""


def test_classic_null_vs_empty_string() -> None:
    # BeginQuorumEpoch v0 is classic: int16 -1 = null, int32 array count
    assert wire.encode(BeginQuorumEpochRequest(cluster_id=None), 0) == H("ffff00000000")
    assert wire.encode(BeginQuorumEpochRequest(cluster_id=""), 0) == H("000000000000")


def test_compact_null_array_only_where_nullable() -> None:
    R = FetchResponse.FetchableTopicResponse.PartitionData
    assert wire.decode(FetchResponse, wire.encode(FetchResponse(), 12), 12) == FetchResponse()
    part = R(aborted_transactions=None)
    body = wire.encode(
        FetchResponse(responses=[FetchResponse.FetchableTopicResponse(partitions=[part])]), 12
    )
    assert (
        wire.decode(FetchResponse, body, 12).responses[0].partitions[0].aborted_transactions is None
    )
    # topics of a VoteRequest are not nullable: a 0 count byte is rejected
    with pytest.raises(DecodeError) as info:
        wire.decode(VoteRequest, H("000000"), 0)
    assert info.value.field == "topics" and info.value.offset == 1


@pytest.mark.parametrize(
    ("value", "hex_"),
    [
        (0, "00"),
        (127, "7f"),
        (128, "8001"),
        (16383, "ff7f"),
        (16384, "808001"),
        (2**31, "8080808008"),
        (2**32 - 1, "ffffffff0f"),
    ],
)
def test_uvarint_boundaries(value: int, hex_: str) -> None:
    assert encode_uvarint(value) == H(hex_)
    assert UVarInt().build(value) == H(hex_)
    stream = Buffer(H(hex_))
    assert UVarInt().parse_stream(stream) == value
    assert stream.tell() == len(hex_) // 2


def test_uvarint_too_long_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        UVarInt().parse(H("808080808001"))


def test_compact_length_at_the_one_byte_boundary() -> None:
    assert wire.encode(VoteRequest(cluster_id="a" * 126), 0)[:1] == H("7f")
    long = wire.encode(VoteRequest(cluster_id="a" * 127), 0)
    assert long[:2] == H("8001") and long[2:129] == b"a" * 127
    assert wire.decode(VoteRequest, long, 0).cluster_id == "a" * 127


FETCH_V15_PREFIX = (
    "000001f4"
    "00000001"
    "7fffffff"
    "00"
    "00000000"
    "ffffffff"  # wait, min, max, iso, session
    "02"
    "00000000000000000000000000000001"  # one topic, topic id 0..01
    "02"
    "00000000"
    "00000003"
    "000000000000000a"
    "00000002"
    "ffffffffffffffff"
    "00100000"
)


def _fetch(version: int, **partition: object) -> FetchRequest:
    P = FetchRequest.FetchTopic.FetchPartition
    return FetchRequest(
        replica_state=FetchRequest.ReplicaState(replica_id=2, replica_epoch=5),
        max_wait_ms=500,
        min_bytes=1,
        session_epoch=-1,
        topics=[
            FetchRequest.FetchTopic(
                topic_id=uuid.UUID(int=1),
                partitions=[
                    P(
                        partition=0,
                        current_leader_epoch=3,
                        fetch_offset=10,
                        last_fetched_epoch=2,
                        partition_max_bytes=1048576,
                        **partition,  # type: ignore[arg-type]
                    )
                ],
            )
        ],
    )


REPLICA_STATE_TAG = "01010d00000002000000000000000500"  # 1 tag: tag 1, 13 bytes


def test_fetch_v15_replica_state_is_a_top_level_tagged_struct() -> None:
    expected = FETCH_V15_PREFIX + "00000101" + REPLICA_STATE_TAG
    assert wire.encode(_fetch(15), 15).hex() == expected
    assert wire.decode(FetchRequest, H(expected), 15) == _fetch(15)
    # a consumer (all-default ReplicaState) sends no tag at all
    consumer = FetchRequest(topics=[])
    assert wire.encode(consumer, 15)[-1:] == H("00")


def test_fetch_v17_replica_directory_id_tagged_in_nested_partition() -> None:
    directory = uuid.UUID("0123456789abcdef0123456789abcdef")
    expected = (
        FETCH_V15_PREFIX + "01"
        "00"
        "10"
        + directory.hex  # partition tags: tag 0, 16 bytes
        + "00"
        "01"
        "01" + REPLICA_STATE_TAG
    )
    message = _fetch(17, replica_directory_id=directory)
    assert wire.encode(message, 17).hex() == expected
    assert wire.decode(FetchRequest, H(expected), 17) == message
    # the field is ignorable: at v16 it is silently dropped
    assert wire.encode(message, 16) == wire.encode(_fetch(16), 16)


def test_fetch_v18_high_watermark_tag_one_after_directory_tag_zero() -> None:
    directory = uuid.UUID(int=7)
    message = _fetch(18, replica_directory_id=directory, high_watermark=100)
    expected = (
        FETCH_V15_PREFIX + "02"
        "00"
        "10" + directory.hex + "01"
        "08"
        "0000000000000064" + "00"
        "01"
        "01" + REPLICA_STATE_TAG
    )
    assert wire.encode(message, 18).hex() == expected
    # high_watermark is ignorable: dropped silently below v18
    assert (
        wire.decode(FetchRequest, wire.encode(message, 17), 17)
        .topics[0]
        .partitions[0]
        .high_watermark
        == 2**63 - 1
    )


def test_unknown_tags_on_nested_struct_are_kept_byte_exact() -> None:
    P = FetchRequest.FetchTopic.FetchPartition
    data = H(
        FETCH_V15_PREFIX + "02"
        "05"
        "01"
        "aa"
        "09"
        "02"
        "bbcc"  # two unknown tags in the partition
         + "00"
        "01"
        "01" + REPLICA_STATE_TAG
    )
    decoded = wire.decode(FetchRequest, data, 15)
    partition: P = decoded.topics[0].partitions[0]
    assert partition.unknown_tagged_fields == ((5, b"\xaa"), (9, b"\xbb\xcc"))
    assert wire.encode(decoded, 15) == data


def test_tagged_field_size_mismatch_is_rejected() -> None:
    # replica_state tag claims 14 bytes but the struct only uses 13
    bad = H(FETCH_V15_PREFIX + "0000010101010e00000002000000000000000500ff")
    with pytest.raises(DecodeError):
        wire.decode(FetchRequest, bad, 15)


def test_api_versions_response_uses_header_v0_even_when_flexible() -> None:
    body = ApiVersionsResponse(api_keys=[ApiVersionsResponse.ApiVersion(api_key=18, max_version=4)])
    frame = headers.encode_response(18, 3, 7, body)
    assert frame.hex() == "0000001300000007000002001200000004000000000000"
    assert headers.decode_response(18, 3, frame[4:]) == (7, body)
    # any other flexible response gets header v1: correlation id + empty tag section
    vote = headers.encode_response(52, 0, 7, VoteResponse())
    assert vote.hex() == "00000009000000070000000100"


def test_request_header_v2_keeps_client_id_a_classic_string() -> None:
    frame = headers.encode_request(52, 2, 7, "c", VoteRequest(cluster_id="x"))
    assert frame.hex() == (
        "00000014"
        "0034"
        "0002"
        "00000007"
        "0001"
        "63"
        "00"  # header v2: int16 client id, tags
        "0278"
        "ffffffff"
        "01"
        "00"
    )
    header, body = headers.decode_request(frame[4:])
    assert (header.request_api_key, header.correlation_id, header.client_id) == (52, 7, "c")
    assert body == VoteRequest(cluster_id="x")
    # a classic API version uses header v1: no tag section
    frame = headers.encode_request(53, 0, 9, None, BeginQuorumEpochRequest())
    assert frame.hex() == "000000100035000000000009ffffffff00000000"


def test_unsupported_api_versions_version_still_yields_the_correlation_id() -> None:
    payload = H("001200050000002a0003616263000161016200")
    with pytest.raises(UnsupportedRequestError) as info:
        headers.decode_request(payload)
    assert info.value.correlation_id == 42 and info.value.client_id == "abc"
    assert isinstance(info.value, UnsupportedVersionError)
    reply = headers.api_versions_unsupported_response(42)
    assert reply.hex() == "000000100000002a002300000001001200000004"
    assert headers.decode_response(18, 0, reply[4:])[1].error_code == 35


def test_unknown_api_key_is_unsupported() -> None:
    with pytest.raises(UnsupportedRequestError) as info:
        headers.decode_request(H("03e7000000000005"))
    assert (info.value.api_key, info.value.correlation_id) == (999, 5)
    with pytest.raises(UnsupportedVersionError):
        wire.decode(VoteRequest, b"", 3)


def test_trailing_bytes_and_truncation_name_offset_and_field() -> None:
    with pytest.raises(DecodeError) as info:
        wire.decode(ApiVersionsRequest, H("00"), 0)
    assert info.value.offset == 0
    with pytest.raises(DecodeError) as info:
        wire.decode(FetchRequest, H(FETCH_V15_PREFIX[:-4]), 15)
    assert info.value.field is not None and info.value.field.startswith("topics[].partitions")
    assert "byte" in str(info.value)


def test_absurd_lengths_are_rejected_before_allocating() -> None:
    with pytest.raises(DecodeError, match="cannot fit"):
        wire.decode(BeginQuorumEpochRequest, H("ffff7fffffff"), 0)
    with pytest.raises(DecodeError, match="invalid array length"):
        wire.decode(BeginQuorumEpochRequest, H("fffffffffffe"), 0)
    with pytest.raises(DecodeError, match="exceeds"):
        wire.decode(VoteRequest, H("ffffffff0f"), 0)


def test_non_default_value_in_missing_non_ignorable_field_is_an_encode_error() -> None:
    P = VoteRequest.TopicData.PartitionData
    message = VoteRequest(topics=[VoteRequest.TopicData(partitions=[P(pre_vote=True)])])
    with pytest.raises(EncodeError):
        wire.encode(message, 1)
    with pytest.raises(EncodeError):
        wire.encode(BeginQuorumEpochRequest(cluster_id="x" * 40000), 0)
    with pytest.raises(EncodeError):
        wire.encode(VoteResponse(error_code=70000), 0)
