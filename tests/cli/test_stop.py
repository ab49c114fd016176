"""Every tool ends quietly when its user stops it: Ctrl-C, SIGTERM, or a reader that goes away.

Each tool runs as a real process (`python -m kraft.cli ...`); the test waits until it is busy
(output seen, or its connection seen by a silent fake server), then sends the signal or closes
the pipe, and checks the exit status of `kraft.cli.main`'s one mechanism and that stderr has no
traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.fakes import SilentServer
from tests.e2e.cluster import ROOT, Cluster
from wire.headers import encode_request
from wire.messages.api_versions import ApiVersionsRequest
from wire.records.builder import build_data_batch
from wire.registry import API_VERSIONS_KEY

STOP_TIMEOUT_S = 20
FRAME = encode_request(API_VERSIONS_KEY, 3, 1, "client-1", ApiVersionsRequest()).hex()
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_BROKEN_PIPE = 141


def kraft(
    *args: str, env: dict[str, str] | None = None, **popen: object
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "kraft.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        stderr=subprocess.PIPE,
        **popen,
    )


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Exit status and stderr; the process is killed (and the test fails) if it hangs."""
    try:
        _, stderr = process.communicate(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
        pytest.fail(f"did not stop within {STOP_TIMEOUT_S} s: {stderr.decode()[-2000:]}")
    return process.returncode, stderr.decode(errors="replace")


def wait_for_output(process: subprocess.Popen[bytes]) -> bytes:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, f"no output: {process.communicate(timeout=STOP_TIMEOUT_S)[1].decode()[-2000:]}"
    return line


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A one-voter quorum with a slow workload; yields its bootstrap address."""
    cluster = Cluster(tmp_path_factory.mktemp("stop"), 1, args=["--throughput", "500"])
    try:
        cluster.start()
        leader = cluster.wait_for(cluster.leader, 30, "a leader")
        cluster.wait_for(
            lambda: ((leader.last() or {}).get("high_watermark") or 0) > 200, 30, "records"
        )
        yield f"127.0.0.1:{leader.port}"
    finally:
        cluster.close()


def observer_dirs(tmp: Path) -> list[Path]:
    return list(tmp.glob("kraft-observer-*"))


pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("signum", "status", "extra"),
    [
        (signal.SIGINT, 0, []),
        (signal.SIGTERM, 0, []),
        # An observer id runs the Raft core, with its log in a temporary dir.
        (signal.SIGINT, 0, ["--id", "100"]),
    ],
)
def test_tail_stops_quietly_and_deletes_its_log(
    node: str, tmp_path: Path, signum: int, status: int, extra: list[str]
) -> None:
    """The help says Ctrl-C is a normal stop (0); SIGTERM too, and a temp log dir goes."""
    process = kraft(
        "tail", "--bootstrap-server", node, "--from-beginning", *extra,
        env={"TMPDIR": str(tmp_path)}, stdout=subprocess.PIPE,
    )  # fmt: skip
    wait_for_output(process)
    # Without a log dir or an id the tail streams the fetched records: no log at all.
    assert bool(observer_dirs(tmp_path)) == bool(extra), "a temporary log dir for the core only"
    process.send_signal(signum)
    code, stderr = finish(process)
    assert (code, stderr) == (status, "")
    assert observer_dirs(tmp_path) == []


def test_tail_into_a_closed_pipe_is_quiet(node: str, tmp_path: Path) -> None:
    process = kraft(
        "tail", "--bootstrap-server", node, "--from-beginning",
        env={"TMPDIR": str(tmp_path)}, stdout=subprocess.PIPE,
    )  # fmt: skip
    wait_for_output(process)
    assert process.stdout is not None
    process.stdout.close()  # `| head` exits
    code, stderr = finish(process)
    assert (code, stderr) == (EXIT_BROKEN_PIPE, "")
    assert observer_dirs(tmp_path) == []


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_describe_quorum_interrupted_while_waiting(
    silent: SilentServer, signum: int, status: int
) -> None:
    bootstrap = f"127.0.0.1:{silent.port}"
    process = kraft("describe-quorum", "--bootstrap-server", bootstrap, "--timeout-ms", "60000")
    assert silent.accepted.wait(STOP_TIMEOUT_S)
    process.send_signal(signum)
    assert finish(process) == (status, "")


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as for `cmd &` in a script, or some supervisors


def wait_in_epoll(pid: int) -> None:
    """Until the process's main thread sleeps in epoll_wait: trio's loop waiting for I/O."""
    wchan = Path(f"/proc/{pid}/wchan")
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while "epoll" not in wchan.read_text():
        assert time.monotonic() < deadline, f"not waiting in epoll: {wchan.read_text()}"
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("tool", "status"), [("tail", 0), ("describe-quorum", EXIT_TERMINATED), ("image", 0)]
)
def test_sigterm_stops_a_trio_tool_quietly_when_sigint_is_ignored(
    silent: SilentServer, tool: str, status: int
) -> None:
    """With SIGINT ignored trio installs no Ctrl-C handler, and a SIGTERM turned into an
    interrupt used to be raised in the middle of trio's loop: tracebacks on stderr."""
    bootstrap = f"127.0.0.1:{silent.port}"
    process = kraft(
        tool, "--bootstrap-server", bootstrap, "--timeout-ms", "60000",
        preexec_fn=ignore_sigint,
    )  # fmt: skip
    assert silent.accepted.wait(STOP_TIMEOUT_S)  # inside the event loop, waiting for an answer
    wait_in_epoll(process.pid)  # where the old SIGTERM-as-interrupt broke trio's loop
    process.send_signal(signal.SIGTERM)
    assert finish(process) == (status, "")


def test_decode_interrupted_while_reading_stdin() -> None:
    process = kraft("decode", "--json", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(f"{FRAME}\n".encode())
    process.stdin.flush()
    assert process.stdout.read(1) == b"{"
    process.send_signal(signal.SIGINT)
    code, stderr = finish(process)
    process.stdin.close()
    assert (code, stderr) == (EXIT_INTERRUPTED, "")


def test_decode_into_a_closed_pipe_is_quiet() -> None:
    process = kraft("decode", *[FRAME] * 20_000, stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.read(100)
    process.stdout.close()
    assert finish(process) == (EXIT_BROKEN_PIPE, "")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sim_interrupted(jobs: str) -> None:
    process = kraft("sim", "--seeds", "100000", "--jobs", jobs, "--verbose", stdout=subprocess.PIPE)
    wait_for_output(process)  # a seed finished: the run is under way
    process.send_signal(signal.SIGINT)
    assert finish(process) == (EXIT_INTERRUPTED, "")
    if jobs != "1":
        # Ctrl-C in a terminal reaches the whole process group, workers included.
        process = kraft(
            "sim", "--seeds", "100000", "--jobs", jobs, "--verbose",
            stdout=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        wait_for_output(process)
        os.killpg(process.pid, signal.SIGINT)
        assert finish(process) == (EXIT_INTERRUPTED, "")


@pytest.fixture(scope="module")
def segment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A segment of 20,000 one-record batches: dump-log prints far more than a pipe buffer."""
    out = tmp_path_factory.mktemp("segment") / "00000000000000000000.log"
    out.write_bytes(b"".join(build_data_batch(i, 1, 1000, [b"x" * 64]) for i in range(20_000)))
    return out


def test_dump_log_into_a_closed_pipe_is_quiet(segment: Path) -> None:
    process = kraft("dump-log", str(segment), stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.read(100)
    process.stdout.close()
    assert finish(process) == (EXIT_BROKEN_PIPE, "")


def test_dump_log_interrupted_while_blocked_on_output(segment: Path) -> None:
    process = kraft("dump-log", str(segment), stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.read(100)  # then read no more: the tool blocks once the pipe is full
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    code, stderr = finish(process)
    assert (code, stderr) == (EXIT_INTERRUPTED, "")
