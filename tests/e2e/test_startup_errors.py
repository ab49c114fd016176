"""Start-up problems are one clear line on stderr and exit status 2 (real processes)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.cluster import ROOT, free_ports

pytestmark = pytest.mark.slow


def run_server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kraft.cli", "server", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def properties(tmp_path: Path, port: int, **overrides: str) -> Path:
    values = {
        "node.id": "1",
        "listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.quorum.voters": f"1@127.0.0.1:{port}",
        "log.dirs": str(tmp_path / "logs"),
        **overrides,
    }
    path = tmp_path / "server.properties"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items() if v))
    return path


def assert_one_line_exit_2(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("kraft server:")]
    lines += [line for line in result.stderr.splitlines() if line.startswith("Missing")]
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_missing_config_option() -> None:
    assert_one_line_exit_2(run_server(), "Missing configuration file")


def test_missing_config_file(tmp_path: Path) -> None:
    result = run_server("--config", str(tmp_path / "nope.properties"))
    assert_one_line_exit_2(result, "Missing configuration file")


def test_missing_key(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    result = run_server("--config", str(properties(tmp_path, port, **{"node.id": ""})))
    assert_one_line_exit_2(result, "node.id: missing")


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_server("--config", str(properties(tmp_path, port)))
    assert_one_line_exit_2(result, f"cannot listen on 127.0.0.1:{port}")


def test_unusable_log_dir(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_server(
        "--config", str(properties(tmp_path, port, **{"log.dirs": str(blocker / "logs")}))
    )
    assert_one_line_exit_2(result, "is not usable")


def test_corrupt_quorum_state(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    partition = tmp_path / "logs" / "__cluster_metadata-0"
    partition.mkdir(parents=True)
    (partition / "quorum-state").write_text("{not json")
    result = run_server("--config", str(properties(tmp_path, port)))
    assert_one_line_exit_2(result, "quorum-state is not JSON")
