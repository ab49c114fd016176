"""Issue #13 item 2: one module per raft API, registered by the wire message's own API key;
API keys and Kafka's -1 sentinels are named once (wire / `kraft.types`), never written as numbers
in the translation layer, the router, negotiation or the client library."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

from kraft import rpc
from kraft.shell import apis
from wire.registry import API_SPECS

ROOT = Path(__file__).resolve().parents[2]
CHECKED = [
    *sorted((ROOT / "kraft/shell/apis").glob("*.py")),
    *sorted((ROOT / "kraft/shell/client").glob("*.py")),
    ROOT / "kraft/shell/router.py",
    ROOT / "kraft/shell/negotiation.py",
]
RAFT_APIS = {
    "Vote",
    "BeginQuorumEpoch",
    "EndQuorumEpoch",
    "Fetch",
    "FetchSnapshot",
    "DescribeQuorum",
}
# After these a `-` is a binary minus (`a - 1`, `f(x) - 1`, `xs[i] - 1`); after `[` it may be
# Python's last-element index (`xs[-1]`), which is no Kafka sentinel.
_BINARY_BEFORE = {tokenize.NAME, tokenize.NUMBER, tokenize.STRING}
_KEYWORDS_BEFORE_VALUE = {"return", "else", "if", "in", "and", "or", "not", "is", "yield"}


def test_registry_is_keyed_by_each_message_s_own_api_key() -> None:
    assert {API_SPECS[key].name for key in apis.RAFT_API_KEYS} == RAFT_APIS
    for key, api in apis.BY_KEY.items():
        assert api.WIRE_REQUEST is API_SPECS[key].request_cls
    requests = [
        rpc.VoteRequest,
        rpc.BeginQuorumEpochRequest,
        rpc.EndQuorumEpochRequest,
        rpc.FetchRequest,
        rpc.FetchSnapshotRequest,
        rpc.DescribeQuorumRequest,
    ]
    assert sorted(api.CORE_REQUEST.__name__ for api in apis.BY_KEY.values()) == sorted(
        r.__name__ for r in requests
    )


def _numbers_written(path: Path) -> list[str]:
    """`-1` written as a value, and API keys written as numbers (`X_KEY = 52`, `api_key == 52`)."""
    found = []
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
        if t.type not in (tokenize.COMMENT, tokenize.NL)
    ]
    for before, minus, number in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if minus.string != "-" or number.string != "1" or number.type != tokenize.NUMBER:
            continue
        unary = (
            before.type not in _BINARY_BEFORE and before.string not in (")", "]", "[")
        ) or before.string in _KEYWORDS_BEFORE_VALUE
        if unary:
            found.append(f"{path.name}:{minus.start[0]}: -1")
    for name, op, value in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if value.type != tokenize.NUMBER or op.string not in ("=", "==", "!="):
            continue
        if name.string.endswith("_KEY") or name.string == "api_key":
            found.append(f"{path.name}:{name.start[0]}: {name.string} {op.string} {value.string}")
    return found


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_api_key_or_sentinel_written_as_a_number(path: Path) -> None:
    assert _numbers_written(path) == []
