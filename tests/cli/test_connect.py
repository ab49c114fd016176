"""The network tools give up on time, with one line naming the node.

`--timeout-ms` bounds everything, the TCP connect and a peer that accepts the connection but never
speaks Kafka included; a port where nothing listens fails at once, whatever the timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.cli.fakes import SilentServer, refused_port
from tests.e2e.cluster import ROOT

# Interpreter start and imports, on a loaded 2-core machine.
STARTUP_SLACK_S = 4.0
TIMEOUT_MS = 1500

TOOLS = {
    "tail": ["tail", "--from-beginning"],
    "tail --consumer": ["tail", "--from-beginning", "--consumer"],
    "tail --offset": ["tail", "--offset", "5"],
    "describe-quorum": ["describe-quorum"],
}


def run(args: list[str], timeout_s: float = 60) -> tuple[int, str, float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "kraft.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return result.returncode, result.stderr, time.monotonic() - started


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_silent_peer_is_bounded_by_timeout(silent: SilentServer, tool: str) -> None:
    address = f"127.0.0.1:{silent.port}"
    args = [*TOOLS[tool], "--bootstrap-server", address, "--timeout-ms", str(TIMEOUT_MS)]
    code, stderr, elapsed_s = run(args)
    assert silent.accepted.is_set()
    assert code == 1
    assert len(stderr.splitlines()) == 1, stderr
    assert address in stderr and "Traceback" not in stderr
    assert elapsed_s < TIMEOUT_MS / 1000 + STARTUP_SLACK_S, elapsed_s


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_refused_port_fails_at_once(tool: str) -> None:
    addresses = [f"127.0.0.1:{refused_port()}", f"localhost:{refused_port()}"]
    args = [*TOOLS[tool], "--bootstrap-server", ",".join(addresses), "--timeout-ms", "60000"]
    code, stderr, elapsed_s = run(args)
    assert code == 1
    assert len(stderr.splitlines()) == 1, stderr
    assert "refused" in stderr and all(a in stderr for a in addresses[-1:]), stderr
    assert elapsed_s < STARTUP_SLACK_S, elapsed_s


def test_silent_peer_does_not_hide_a_refusal_elsewhere(silent: SilentServer) -> None:
    """One silent node among refusing ones: not "nothing listens", so it waits the timeout."""
    addresses = f"127.0.0.1:{refused_port()},127.0.0.1:{silent.port}"
    code, stderr, elapsed_s = run(
        ["describe-quorum", "--bootstrap-server", addresses, "--timeout-ms", str(TIMEOUT_MS)]
    )
    assert code == 1 and len(stderr.splitlines()) == 1, stderr
    assert elapsed_s >= TIMEOUT_MS / 1000
