"""The catalog of every Kafka API (`wire.catalog`): complete, and byte-exact against kio.

For every (API, version, direction) of the APIs pykraft does not speak itself (the registry's
own are proven by test_kio.py): a few random messages encoded by pykraft parse in kio to the same
value, kio re-encodes them to the very same bytes, and those bytes decode with pykraft to the
message. kio carries no unknown tagged fields, so these messages have none; the round trip with
unknown tagged fields and the mutation fuzz run here too, at fewer examples than for the
registry's messages. Kafka's own serializer is the oracle in tests/kafka/test_message_serde.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wire
from tests.wire.kio_bridge import (
    _from,
    _kio_field_for,
    from_kio,
    kio_class,
    override_for,
    struct_map,
    to_kio,
)
from tests.wire.support import (
    KAFKA_API_KEYS,
    case_id,
    message_strategy,
)
from tests.wire.test_totality import mutated
from wire import catalog
from wire.catalog import CATALOG, spec_for
from wire.errors import DecodeError, UnsupportedRequestError
from wire.fields import Message, specs_of
from wire.registry import API_SPECS

kio_serial = pytest.importorskip("kio.serial")


# (API, version, direction) of the APIs the registry lacks
CASES = [
    (cls, version)
    for key, spec in CATALOG.items()
    if key not in API_SPECS
    for cls in (spec.request_cls, spec.response_cls)
    for version in spec.versions
]
KIO_CASES = [case for case in CASES if kio_class(*case) is not None]
# versions newer than kio 0.6.5 knows: proven by round trip here and by Kafka's serde
NEWER_THAN_KIO = {case_id(case) for case in CASES if kio_class(*case) is None}


def test_catalog_lists_every_kafka_api() -> None:
    assert set(CATALOG) == KAFKA_API_KEYS
    assert all(spec_for(key) is CATALOG[key] for key in CATALOG)
    assert spec_for(4) is None and spec_for(93) is None and spec_for(-1) is None
    for key, spec in API_SPECS.items():  # one declaration per message
        assert CATALOG[key] is spec
    for key, spec in CATALOG.items():
        assert spec.api_key == key
        assert spec.request_cls.API_KEY == spec.response_cls.API_KEY == key
        assert catalog.CATALOG_KEYS_BY_NAME[spec.name] == key
    assert len(CASES) >= 424  # 71 APIs at least, both directions, every version


def test_never_flexible_apis_have_no_flexible_version() -> None:
    offset_delete = CATALOG[47]
    assert not any(offset_delete.is_flexible(v) for v in range(0, 100))
    assert catalog.request_header_version(47, 0) == 1
    assert catalog.response_header_version(47, 0) == 0
    assert catalog.request_header_version(68, 0) == 2
    assert catalog.response_header_version(68, 0) == 1
    assert catalog.response_header_version(18, 4) == 0


def test_kio_knows_every_version() -> None:
    """kio 0.6.5 has every (API, version) Kafka 4.3.1 lists, InitProducerId v6 included."""
    assert not NEWER_THAN_KIO, sorted(NEWER_THAN_KIO)


@pytest.mark.parametrize("case", KIO_CASES, ids=case_id)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_against_kio(case: tuple[type[Message], int], data: Any) -> None:
    cls, version = case
    kio_cls = kio_class(cls, version)
    mapping = struct_map(cls, kio_cls)
    message = data.draw(
        message_strategy(cls, version, unknown=False, override=override_for(mapping))
    )
    ours = wire.encode(message, version)

    parsed, size = kio_serial.entity_reader(kio_cls)(ours, 0)
    assert size == len(ours)
    assert from_kio(parsed, cls) == message

    buffer = io.BytesIO()
    kio_serial.entity_writer(kio_cls)(buffer, to_kio(message, kio_cls))
    theirs = buffer.getvalue()
    assert theirs == ours
    assert wire.decode(cls, theirs, version) == message


def test_every_field_has_a_kio_field() -> None:
    """kio names every field we declare (so test_against_kio compares every value), and every
    default kio declares equals ours."""
    fields = defaults = 0
    for cls, version in KIO_CASES:
        for ours, theirs in struct_map(cls, kio_class(cls, version)).items():
            for name, spec, default in specs_of(ours):
                if version not in spec.versions:
                    continue
                kf = _kio_field_for(theirs, name)  # raises when kio lacks it
                fields += 1
                if kf.default is dataclasses.MISSING:
                    continue
                defaults += 1
                assert _from(kf.default, spec, kf) == default, (ours.__qualname__, name, version)
    assert fields > 3000 and defaults > 300


@pytest.mark.parametrize("case", CASES, ids=case_id)
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_and_mutations(case: tuple[type[Message], int], data: Any) -> None:
    """With unknown tagged fields: decode(encode(m)) == m and re-encodes to the same bytes; any
    mutation of those bytes decodes or raises DecodeError, nothing else."""
    cls, version = case
    message = data.draw(message_strategy(cls, version))
    encoded = wire.encode(message, version)
    assert wire.decode(cls, encoded, version) == message
    assert wire.encode(wire.decode(cls, encoded, version), version) == encoded
    for _ in range(3):
        with contextlib.suppress(DecodeError):
            wire.decode(cls, data.draw(mutated(encoded)), version)


def _request_frame(api_key: int, version: int, body: Message) -> bytes:
    header = wire.headers.RequestHeader(
        request_api_key=api_key, request_api_version=version, correlation_id=7, client_id="c"
    )
    hv = catalog.request_header_version(api_key, version)
    return wire.encode(header, hv) + wire.encode(body, version)


def test_decode_request_and_response_of_every_api() -> None:
    for key, spec in CATALOG.items():
        for version in (spec.min_version, spec.max_version):
            body = spec.request_cls()
            header, decoded = catalog.decode_request(_request_frame(key, version, body))
            assert (header.request_api_key, header.correlation_id, decoded) == (key, 7, body)
            response = spec.response_cls()
            rhv = catalog.response_header_version(key, version)
            frame = wire.encode(wire.headers.ResponseHeader(correlation_id=9), rhv)
            frame += wire.encode(response, version)
            assert catalog.decode_response(key, version, frame) == (9, response)


def test_decode_request_refuses_unknown_keys_and_versions() -> None:
    with pytest.raises(UnsupportedRequestError) as unknown:
        catalog.decode_request(b"\x00\x04\x00\x00\x00\x00\x00\x2a")  # LeaderAndIsr: retired
    assert unknown.value.correlation_id == 42
    with pytest.raises(UnsupportedRequestError):
        catalog.decode_request(b"\x00\x44\x00\x09\x00\x00\x00\x01")  # ConsumerGroupHeartbeat v9
    with pytest.raises(DecodeError):
        catalog.decode_request(b"\x00\x44")


def test_nullable_struct_marker() -> None:
    """A nullable struct travels behind int8 -1 (null) or 1 (present); other markers are refused
    (Kafka writes only those two), truncation is a DecodeError naming the field."""
    from wire.messages.consumer_group_heartbeat import ConsumerGroupHeartbeatResponse as R

    null = wire.encode(R(), 0)
    assert null.endswith(b"\xff\x00")  # assignment null, then the empty tagged section
    present = wire.encode(R(assignment=R.Assignment()), 0)
    assert present.endswith(b"\x01\x01\x00\x00")  # marker, empty compact array, two tag sections
    assert wire.decode(R, present, 0).assignment == R.Assignment()
    for marker in (b"\x00", b"\x02", b"\x80"):
        with pytest.raises(DecodeError) as bad:
            wire.decode(R, null[:-2] + marker + b"\x01\x00\x00", 0)
        assert bad.value.field == "assignment" and bad.value.offset == len(null) - 2
    with pytest.raises(DecodeError) as cut:
        wire.decode(R, null[:-2], 0)
    assert cut.value.field == "assignment"


def test_kraft_decode_reads_every_api(capsys: pytest.CaptureFixture[str]) -> None:
    """`kraft decode` looks APIs up in the catalog: a KIP-848 heartbeat (key 68, past where
    Wireshark's dissector stops) as a request, and a ShareFetch response named by its API."""
    from kraft.cli import main
    from wire.messages.consumer_group_heartbeat import ConsumerGroupHeartbeatRequest
    from wire.messages.share_fetch import ShareFetchResponse

    heartbeat = ConsumerGroupHeartbeatRequest(group_id="g", member_epoch=3, rack_id="r1")
    request = _request_frame(68, 1, heartbeat)
    response = wire.encode(wire.headers.ResponseHeader(correlation_id=5), 1)
    response += wire.encode(ShareFetchResponse(acquisition_lock_timeout_ms=30000), 2)
    assert main(["decode", "--json", request.hex()]) == 0
    argv = ["decode", "--json", "--response", "--api-key", "ShareFetch", "--api-version", "2"]
    assert main([*argv, response.hex()]) == 0
    out, err = capsys.readouterr()
    first, second = (json.loads(line) for line in out.splitlines())
    assert err == ""
    assert first["api"] == "ConsumerGroupHeartbeat"
    assert first["header"]["request_api_key"] == 68
    assert first["body"]["group_id"] == "g" and first["body"]["rack_id"] == "r1"
    assert first["body"]["subscribed_topic_regex"] is None  # v1 field, shown at v1
    assert second["api"] == "ShareFetch" and second["header"] == {"correlation_id": 5}
    assert second["body"]["acquisition_lock_timeout_ms"] == 30000


def test_registry_specs_of_never_flexible_apis_are_never_flexible() -> None:
    """Versions.NONE starts at 1: an ApiSpec built from it must not call v1+ flexible (it would
    pick request header v2 for SaslHandshake v1, which Kafka reads as v1)."""
    from wire.messages.offset_delete import OffsetDeleteRequest, OffsetDeleteResponse
    from wire.registry import api_spec

    spec = api_spec("OffsetDelete", OffsetDeleteRequest, OffsetDeleteResponse)
    assert not any(spec.is_flexible(v) for v in range(100))
