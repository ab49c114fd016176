"""Kafka error codes and the wire layer's exceptions.

Pure module (no construct): the Raft core imports `ErrorCode` from here, so protocol outcomes are
the same values on the wire and inside the core. Codes and names follow Kafka's `Errors.java`.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    UNKNOWN_SERVER_ERROR = -1
    NONE = 0
    OFFSET_OUT_OF_RANGE = 1
    CORRUPT_MESSAGE = 2
    UNKNOWN_TOPIC_OR_PARTITION = 3
    INVALID_FETCH_SIZE = 4
    LEADER_NOT_AVAILABLE = 5
    NOT_LEADER_OR_FOLLOWER = 6
    REQUEST_TIMED_OUT = 7
    BROKER_NOT_AVAILABLE = 8
    REPLICA_NOT_AVAILABLE = 9
    MESSAGE_TOO_LARGE = 10
    NETWORK_EXCEPTION = 13
    COORDINATOR_LOAD_IN_PROGRESS = 14
    COORDINATOR_NOT_AVAILABLE = 15
    NOT_COORDINATOR = 16
    INVALID_TOPIC_EXCEPTION = 17
    RECORD_LIST_TOO_LARGE = 18
    NOT_ENOUGH_REPLICAS = 19
    INVALID_REQUIRED_ACKS = 21
    TOPIC_AUTHORIZATION_FAILED = 29
    GROUP_AUTHORIZATION_FAILED = 30
    CLUSTER_AUTHORIZATION_FAILED = 31
    INVALID_TIMESTAMP = 32
    UNSUPPORTED_SASL_MECHANISM = 33
    ILLEGAL_SASL_STATE = 34
    UNSUPPORTED_VERSION = 35
    INVALID_REQUEST = 42
    UNSUPPORTED_FOR_MESSAGE_FORMAT = 43
    POLICY_VIOLATION = 44
    OUT_OF_ORDER_SEQUENCE_NUMBER = 45
    DUPLICATE_SEQUENCE_NUMBER = 46
    INVALID_PRODUCER_EPOCH = 47
    INVALID_TXN_STATE = 48
    KAFKA_STORAGE_ERROR = 56
    UNKNOWN_PRODUCER_ID = 59
    FETCH_SESSION_ID_NOT_FOUND = 70
    INVALID_FETCH_SESSION_EPOCH = 71
    LISTENER_NOT_FOUND = 72
    FENCED_LEADER_EPOCH = 74
    UNKNOWN_LEADER_EPOCH = 75
    OFFSET_NOT_AVAILABLE = 78
    INCONSISTENT_VOTER_SET = 94
    INVALID_UPDATE_VERSION = 95
    FEATURE_UPDATE_FAILED = 96
    SNAPSHOT_NOT_FOUND = 98
    POSITION_OUT_OF_RANGE = 99
    UNKNOWN_TOPIC_ID = 100
    INCONSISTENT_TOPIC_ID = 103
    INCONSISTENT_CLUSTER_ID = 104
    FETCH_SESSION_TOPIC_ID_ERROR = 106
    MISMATCHED_ENDPOINT_TYPE = 114
    UNSUPPORTED_ENDPOINT_TYPE = 115
    INVALID_VOTER_KEY = 125
    DUPLICATE_VOTER = 126
    VOTER_NOT_FOUND = 127
    REBOOTSTRAP_REQUIRED = 129


class WireError(Exception):
    """Base of every exception the wire layer raises on bad input."""


class DecodeError(WireError):
    """Bytes that cannot be decoded. The only exception decoding raises on bad input.

    `offset` is the byte offset (within the buffer handed to the decoder) where decoding failed and
    `field` the dotted path of the field being read, when known; both go into the one-line message.
    """

    def __init__(self, reason: str, *, offset: int | None = None, field: str | None = None):
        self.reason = reason
        self.offset = offset
        self.field = field
        where = []
        if field is not None:
            where.append(f"field {field}")
        if offset is not None:
            where.append(f"byte {offset}")
        super().__init__(f"{reason} (at {', '.join(where)})" if where else reason)


class UnsupportedVersionError(WireError):
    """An API key this build does not know, or a version outside its supported range.

    The server maps it to UNSUPPORTED_VERSION (ApiVersions) or closes the connection (other APIs),
    as Kafka does.
    """

    def __init__(self, api_key: int, api_version: int):
        self.api_key = api_key
        self.api_version = api_version
        super().__init__(f"unsupported api key {api_key} version {api_version}")


class FrameTooLargeError(WireError):
    """A size prefix above the configured maximum (Kafka's `socket.request.max.bytes`)."""

    def __init__(self, size: int, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(f"frame of {size} bytes exceeds the limit of {limit} bytes")


class EncodeError(WireError):
    """A message that cannot be encoded at the requested version (a programmer error upstream:
    a value out of range, null where not nullable, or a non-default value in a field the version
    lacks)."""


class UnsupportedRequestError(UnsupportedVersionError):
    """A request frame whose api key/version this build does not serve.

    Carries what could still be read of the header so the server can answer: for ApiVersions with a
    version above the maximum the whole header was parsed (as v2, as Kafka does), so the server
    replies with UNSUPPORTED_VERSION in a v0 body and the same correlation id. For other APIs
    `correlation_id` is best effort (None if the frame was too short) and Kafka closes the
    connection.
    """

    def __init__(
        self,
        api_key: int,
        api_version: int,
        correlation_id: int | None,
        client_id: str | None = None,
    ):
        super().__init__(api_key, api_version)
        self.correlation_id = correlation_id
        self.client_id = client_id
