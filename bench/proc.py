"""Process plumbing for the benchmarks: free loopback ports, child processes, /proc sampling.

Theory of operation: every benchmark process is started in its own session (process group) so that
`stop()` can signal the whole tree (a `bin/*.sh` wrapper and the Python it runs) and nothing
outlives a run. CPU and memory come straight from Linux's /proc (no psutil): CPU is the
utime+stime clock-tick delta of the process tree over a wall-clock interval, expressed in cores
(1.0 = one core fully busy); memory is VmRSS sampled during the run and VmHWM (the kernel's own
peak RSS) read at the end.

Invariants: `Child.stop()` is idempotent and always reaps the process; `Sampler` never raises when
a process has gone (a vanished pid simply stops contributing).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
KIB = 1024
MIB = 1024 * 1024
STOP_GRACE_S = 5.0
# RSS samples kept per process tree (a 10-minute run at 4 samples/s needs 2,400).
RSS_SAMPLES_MAX = 100_000


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on 127.0.0.1 (bound together so they cannot collide)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(pid: int) -> list[int]:
    """`pid` and all its live descendants."""
    children = _children_of()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_ticks(pid: int) -> int:
    """utime + stime of one process in clock ticks (0 if it has gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2 :].split()
    # After comm: state(3) ppid(4) ... utime is field 14, stime field 15 (1-based in proc(5)).
    return int(fields[11]) + int(fields[12])


def status_kib(pid: int, key: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), 0 if the process has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class TreeUsage:
    """CPU and memory figures of one process tree over a sampled interval."""

    cpu_cores: float
    rss_mib_first: float
    rss_mib_last: float
    rss_mib_peak: float


@dataclass
class Sampler:
    """Samples CPU ticks and RSS of process trees on a background thread.

    `mark()` starts the measured interval (e.g. after warm-up); `usage(pid)` reports from the mark.
    """

    pids: Sequence[int]
    interval_s: float = 0.25
    _ticks_at_mark: dict[int, tuple[float, int]] = field(default_factory=dict)
    _rss: dict[int, list[float]] = field(default_factory=dict)
    _rss_times: dict[int, list[float]] = field(default_factory=dict)
    _hwm_kib: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _tree_ticks(self, pid: int) -> int:
        return sum(cpu_ticks(p) for p in process_tree(pid))

    def start(self) -> Sampler:
        self.mark()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._thread.start()
        return self

    def mark(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._ticks_at_mark = {pid: (now, self._tree_ticks(pid)) for pid in self.pids}
            self._rss = {pid: [] for pid in self.pids}
            self._rss_times = {pid: [] for pid in self.pids}

    def _sample(self) -> None:
        with self._lock:
            for pid in self.pids:
                tree = process_tree(pid)
                rss_kib = sum(status_kib(p, "VmRSS") for p in tree)
                if rss_kib and len(self._rss[pid]) < RSS_SAMPLES_MAX:
                    self._rss[pid].append(rss_kib / KIB)
                    self._rss_times[pid].append(time.monotonic())
                hwm = sum(status_kib(p, "VmHWM") for p in tree)
                self._hwm_kib[pid] = max(self._hwm_kib.get(pid, 0), hwm)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def usage(self, pid: int) -> TreeUsage:
        """CPU (cores) since `mark()` and RSS figures; call before the process is stopped."""
        self._sample()
        with self._lock:
            t0, ticks0 = self._ticks_at_mark[pid]
            elapsed_s = max(time.monotonic() - t0, 1e-9)
            ticks = self._tree_ticks(pid) - ticks0
            rss = self._rss[pid] or [0.0]
            peak = max(max(rss), self._hwm_kib.get(pid, 0) / KIB)
        return TreeUsage(
            cpu_cores=ticks / CLOCK_TICKS_PER_S / elapsed_s,
            rss_mib_first=rss[0],
            rss_mib_last=rss[-1],
            rss_mib_peak=peak,
        )

    def rss_series(self, pid: int, step_s: float) -> list[tuple[float, float]]:
        """(seconds since mark, RSS MiB), one sample per `step_s`: does RSS plateau or climb?"""
        with self._lock:
            times, values = self._rss_times[pid], self._rss[pid]
            if not times:
                return []
            t0 = self._ticks_at_mark[pid][0]
            series, next_t = [], 0.0
            for t, mib in zip(times, values, strict=True):
                if t - t0 >= next_t:
                    series.append((round(t - t0, 1), round(mib, 1)))
                    next_t += step_s
            return series

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


@dataclass
class Child:
    """A child process in its own session; `stop()` signals its whole group and reaps it."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    # SIGINT for a child run under py-spy: py-spy writes its profile on Ctrl-C, not on SIGTERM.
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole process group (the failover scenario's crash)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> int | None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, self.stop_signal)
            try:
                self.popen.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.kill9()
        # Stragglers left in the group (e.g. a wrapper's child) must not outlive the run.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        return self.popen.returncode

    def log_tail(self, line_count: int = 20) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-line_count:])


def spawn(
    name: str,
    argv: Sequence[str],
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Child:
    """Start `argv` in a new session with stdout+stderr appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            cwd=cwd,
        )
    return Child(name=name, popen=popen, log_path=log_path)


@contextlib.contextmanager
def children() -> Iterator[list[Child]]:
    """A list to put children in; all of them are stopped on exit, whatever happened."""
    started: list[Child] = []
    try:
        yield started
    finally:
        for child in started:
            child.stop()
