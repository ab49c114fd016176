"""Totality: any bytes fed to the decoders give a value or a single `DecodeError` type.

Inputs: random bytes, and truncations / bit flips / byte insertions of valid encodings of random
messages, for every (message, version), plus whole request frames through `decode_request`.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wire
from tests.wire.support import all_cases, case_id, message_strategy
from wire import headers
from wire.errors import DecodeError, UnsupportedRequestError
from wire.fields import Message
from wire.registry import API_SPECS

CASES = all_cases()


def _decode_or_error(cls: type[Message], data: bytes, version: int) -> None:
    with contextlib.suppress(DecodeError):
        wire.decode(cls, data, version)


@st.composite
def mutated(draw: Any, valid: bytes) -> bytes:
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "overwrite"]))
    if not valid or kind == "insert":
        pos = draw(st.integers(0, len(valid)))
        return valid[:pos] + draw(st.binary(min_size=1, max_size=4)) + valid[pos:]
    pos = draw(st.integers(0, len(valid) - 1))
    if kind == "truncate":
        return valid[:pos]
    if kind == "flip":
        bit = draw(st.integers(0, 7))
        return valid[:pos] + bytes([valid[pos] ^ (1 << bit)]) + valid[pos + 1 :]
    return valid[:pos] + bytes([draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF]))]) + valid[pos + 1 :]


@pytest.mark.parametrize("case", CASES, ids=case_id)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutations_of_valid_encodings(case: tuple[type[Message], int], data: Any) -> None:
    cls, version = case
    valid = wire.encode(data.draw(message_strategy(cls, version)), version)
    for _ in range(5):
        _decode_or_error(cls, data.draw(mutated(valid)), version)


@pytest.mark.parametrize("case", CASES[::7], ids=case_id)
@settings(max_examples=30, deadline=None)
@given(raw=st.binary(max_size=64))
def test_random_bytes(case: tuple[type[Message], int], raw: bytes) -> None:
    _decode_or_error(*case[:1], raw, case[1])


@settings(max_examples=300, deadline=None)
@given(
    api_key=st.sampled_from([*sorted(API_SPECS), 999, -1]),
    version=st.integers(-1, 20),
    rest=st.binary(max_size=80),
)
def test_request_frames(api_key: int, version: int, rest: bytes) -> None:
    payload = (
        api_key.to_bytes(2, "big", signed=True) + version.to_bytes(2, "big", signed=True) + rest
    )
    with contextlib.suppress(DecodeError, UnsupportedRequestError):
        headers.decode_request(payload)


@settings(max_examples=200, deadline=None)
@given(api_key=st.sampled_from(sorted(API_SPECS)), raw=st.binary(max_size=80), data=st.data())
def test_response_frames(api_key: int, raw: bytes, data: Any) -> None:
    spec = API_SPECS[api_key]
    version = data.draw(st.integers(spec.min_version, spec.max_version))
    with contextlib.suppress(DecodeError):
        headers.decode_response(api_key, version, raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_request_frames(data: Any) -> None:
    spec = API_SPECS[data.draw(st.sampled_from(sorted(API_SPECS)))]
    version = data.draw(st.integers(spec.min_version, spec.max_version))
    body = data.draw(message_strategy(spec.request_cls, version))
    frame = headers.encode_request(spec.api_key, version, 1, data.draw(st.text(max_size=5)), body)
    header, decoded = headers.decode_request(frame[4:])
    assert decoded == body and header.request_api_version == version
    for _ in range(5):
        with contextlib.suppress(DecodeError, UnsupportedRequestError):
            headers.decode_request(data.draw(mutated(frame[4:])))
