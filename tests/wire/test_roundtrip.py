"""Hypothesis round trip for every (message, version): decode(encode(m)) == m, and re-encoding the
decoded value gives the very same bytes (unknown tagged fields included)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wire
from tests.wire.support import all_cases, case_id, message_strategy
from wire.fields import Message

CASES = all_cases()


def test_catalogue_covers_every_declared_version() -> None:
    names = {cls.__name__ for cls, _ in CASES}
    assert {"VoteRequest", "FetchResponse", "LeaderChangeMessage", "QuorumStateData"} <= names
    assert len(CASES) > 170


@pytest.mark.parametrize("case", CASES, ids=case_id)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(case: tuple[type[Message], int], data: Any) -> None:
    cls, version = case
    message = data.draw(message_strategy(cls, version))
    encoded = wire.encode(message, version)
    decoded = wire.decode(cls, encoded, version)
    assert decoded == message
    assert wire.encode(decoded, version) == encoded
    # memoryview input decodes to the same value
    assert wire.decode(cls, memoryview(encoded), version) == message


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_defaults_round_trip(case: tuple[type[Message], int]) -> None:
    cls, version = case
    assert wire.decode(cls, wire.encode(cls(), version), version) == cls()
