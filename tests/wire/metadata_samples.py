"""Random metadata records (and any other message) for every (type, version), from the
declarations themselves.

Every field present at the version gets a random value of its Kafka type (nullable ones are
sometimes None); fields absent at the version keep their defaults, so `encode` accepts them.
"""

from __future__ import annotations

import random
import string
import uuid
from typing import Any

from wire.fields import Message, Struct, specs_of

_INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, 2**16 - 1),
}
# Non-ASCII included: compact strings are length-prefixed in UTF-8 bytes, not characters.
_ALPHABET = string.ascii_letters + string.digits + "._-é☃"


def _primitive(rng: random.Random, kafka_type: str) -> Any:
    if kafka_type in _INT_RANGES:
        lo, hi = _INT_RANGES[kafka_type]
        return rng.choice([lo, hi, max(lo, -1), 0, rng.randint(lo, hi)])
    if kafka_type == "bool":
        return rng.random() < 0.5
    if kafka_type == "float64":
        return rng.choice([0.0, -1.5, rng.uniform(-1e9, 1e9)])
    if kafka_type == "uuid":
        return uuid.UUID(int=rng.getrandbits(128))
    if kafka_type == "string":
        return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))
    if kafka_type in ("bytes", "records"):  # records: opaque bytes to the message codec
        return rng.randbytes(rng.randint(0, 20))
    raise AssertionError(kafka_type)


def random_struct(rng: random.Random, cls: type[Struct], version: int) -> Any:
    values: dict[str, Any] = {}
    for name, spec, _default in specs_of(cls):
        if version not in spec.versions:
            continue
        if version in spec.nullable and rng.random() < 0.25:
            values[name] = None
            continue
        if spec.is_array:
            element = spec.element
            count = rng.randint(0, 3)
            if isinstance(element, type):
                values[name] = [random_struct(rng, element, version) for _ in range(count)]
            else:
                values[name] = [_primitive(rng, element) for _ in range(count)]
        elif spec.is_struct:
            values[name] = random_struct(rng, spec.kafka_type, version)
        else:
            values[name] = _primitive(rng, spec.kafka_type)
    return cls(**values)


def random_record(rng: random.Random, cls: type[Message], version: int) -> Message:
    record: Message = random_struct(rng, cls, version)
    return record
