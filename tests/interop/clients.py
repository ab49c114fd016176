"""Which third-party clients are available; a missing one is a visible skip, or a failure in CI."""

from __future__ import annotations

import importlib
import os
import shutil
import warnings

import pytest

REQUIRE_CLIENTS = os.environ.get("PYKRAFT_REQUIRE_CLIENTS") == "1"


def _missing(reason: str) -> None:
    if REQUIRE_CLIENTS:
        pytest.fail(f"{reason} (PYKRAFT_REQUIRE_CLIENTS=1: every interop client must be installed)")
    pytest.skip(reason)


def require_module(name: str) -> None:
    try:
        # kafka-python 3 calls the deprecated importlib.resources.read_text at import time.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            importlib.import_module(name)
    except ImportError:
        _missing(f"python client {name!r} is not installed")


def require_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _missing(f"program {name!r} is not installed (apt-get install -y {name})")
    assert path is not None
    return path


# librdkafka's words for an answer it cannot parse (a null record set in an error partition was
# logged as "invalid MessageSetSize -1" after "Protocol parse failure"); none may ever appear.
LIBRDKAFKA_PARSE_ERRORS = ("MessageSetSize", "parse failure", "read buffer underflow", "_BAD_MSG")


def parse_errors(text: str) -> list[str]:
    """The lines of a librdkafka log (kcat's stderr, confluent-kafka's logger) that report an
    unparsable answer."""
    return [line for line in text.splitlines() if any(s in line for s in LIBRDKAFKA_PARSE_ERRORS)]
