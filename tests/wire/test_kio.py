"""Differential test against kio (generated from Kafka's schemas by an independent project).

For every (message, version) kio also has: a random message encoded by us parses in kio to the same
value, kio re-encodes it to the very same bytes, and kio-encoded bytes decode with us to the value.
kio ignores unknown tagged fields, so messages here carry none.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wire
from tests.wire.kio_bridge import from_kio, kio_class, override_for, struct_map, to_kio
from tests.wire.support import all_cases, case_id, message_strategy
from wire.fields import Message

kio_serial = pytest.importorskip("kio.serial")

CASES = [case for case in all_cases() if kio_class(*case) is not None]
# versions kio lacks: QuorumStateData (not a wire message) and request header v0 (gone in 4.x)
MISSING = [case_id(case) for case in all_cases() if kio_class(*case) is None]


def test_only_expected_cases_lack_kio() -> None:
    assert set(MISSING) == {"QuorumStateData-v0", "QuorumStateData-v1", "RequestHeader-v0"}


def _ours(cls: type[Message], version: int, message: Any) -> bytes:
    assert type(message) is cls
    return wire.encode(message, version)


@pytest.mark.parametrize("case", CASES, ids=case_id)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_against_kio(case: tuple[type[Message], int], data: Any) -> None:
    cls, version = case
    kio_cls = kio_class(cls, version)
    mapping = struct_map(cls, kio_cls)
    message = data.draw(
        message_strategy(cls, version, unknown=False, override=override_for(mapping))
    )
    ours = _ours(cls, version, message)

    parsed, size = kio_serial.entity_reader(kio_cls)(ours, 0)
    assert size == len(ours)
    assert from_kio(parsed, cls) == message

    buffer = io.BytesIO()
    kio_serial.entity_writer(kio_cls)(buffer, to_kio(message, kio_cls))
    theirs = buffer.getvalue()
    assert theirs == ours
    assert wire.decode(cls, theirs, version) == message


def test_schema_defaults_agree_with_kio() -> None:
    """Every default kio declares equals ours (defaults decide which tagged fields are sent)."""
    import dataclasses

    from tests.wire.kio_bridge import _from, _kio_field_for
    from wire.fields import specs_of

    compared = 0
    for cls, version in CASES:
        for ours, theirs in struct_map(cls, kio_class(cls, version)).items():
            for name, spec, default in specs_of(ours):
                if version not in spec.versions:
                    continue
                try:
                    kf = _kio_field_for(theirs, name)
                except AssertionError:
                    continue
                if kf.default is dataclasses.MISSING:
                    continue
                compared += 1
                assert _from(kf.default, spec, kf) == default, (ours.__qualname__, name, version)
    assert compared > 500
