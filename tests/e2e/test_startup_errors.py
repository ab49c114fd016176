"""Start-up problems are one clear line on stderr and exit status 2 (real processes)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.cluster import ROOT, Cluster, free_ports

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


@pytest.mark.parametrize(
    ("listeners", "extra", "problem"),
    [
        ("SSL://127.0.0.1:{port}", {}, "uses TLS but has no key store"),
        ("SASL_SSL://127.0.0.1:{port}", {}, "uses TLS but has no key store"),
        ("SASL_PLAINTEXT://127.0.0.1:{port}", {}, "is SASL but no mechanism has users"),
        (
            "CONTROLLER://127.0.0.1:{port}",
            {"listener.security.protocol.map": "CONTROLLER:SSL"},
            "listener CONTROLLER uses TLS but has no key store",
        ),
    ],
)
def test_secure_listener_without_its_keys_is_refused_not_served_as_plaintext(
    tmp_path: Path, listeners: str, extra: dict[str, str], problem: str
) -> None:
    (port,) = free_ports(1)
    config = properties(tmp_path, port, listeners=listeners.format(port=port), **extra)
    result = run_server("--config", str(config))
    assert_one_line_exit_2(result, problem)


def test_unknown_keys_warned_and_throughput_0_appends_nothing(tmp_path: Path) -> None:
    """Each unknown key is a WARNING naming it; `--throughput 0` is no workload at all: the
    leader's log holds its LeaderChange record and nothing more."""
    cluster = Cluster(
        tmp_path,
        1,
        extra_properties={"num.network.threads": "3", "num.io.threads": "8"},
        args=["--throughput", "0"],
    )
    node = cluster.nodes[1]
    try:
        node.start()
        cluster.wait_for(
            lambda: (node.last() or {}).get("high_watermark") == 1, 30, "the LeaderChange"
        )
        time.sleep(1.0)  # ten report intervals: a workload would have appended by now
        assert node.terminate() == 0
    finally:
        cluster.close()
    assert {s["log_end_offset"] for s in node.stats() if s["role"] == "leader"} == {1}
    warnings = [line for line in node.stderr_text().splitlines() if " WARNING " in line]
    assert len(warnings) == 2, warnings
    assert "unknown configuration key num.io.threads" in warnings[0]
    assert "unknown configuration key num.network.threads" in warnings[1]


def test_throughput_must_not_be_negative(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    result = run_server("--config", str(properties(tmp_path, port)), "--throughput", "-1")
    assert result.returncode == 2
    assert "--throughput: must be 0 or more, got -1" in result.stderr
