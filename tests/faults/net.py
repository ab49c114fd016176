"""Hosts as network namespaces on one private switch, with link cuts and kernel-level impairment.

Topology (everything inside namespaces this module creates; nothing in the caller's namespace):
a switch namespace `<run>-sw` holds a bridge `br0`; each host is a namespace `<run>-<name>` with
one veth `eth0` whose peer sits on the bridge. Addresses come from `SUBNET` (10.200.0.0/24, a
private range that exists only on these veths), so every run can use the same addresses and ports
without colliding with another run: its switch is its own.

Faults act on a host's link:
- `cut(name)` / `heal(name)`: the host's switch-side veth goes down / up (a link cut: packets are
  lost in both directions, sockets see no RST, exactly like a pulled cable);
- `impair(name, ...)`: a qdisc on both ends of the host's link. `tc netem delay ... loss ...` when
  the kernel has netem; without it (some VM kernels ship no `sch_netem`) a token bucket (`tbf`)
  whose short queue limit gives queueing delay and tail drops, which is what a congested link
  does. `impairment_kind` says which one a run got.

`Namespaces.close()` deletes every namespace of the run (its veths go with it); processes still
running inside a namespace keep it alive only as long as they live, so callers kill them first.
Names carry the creating process id (`pkf<pid>x<n>`): `purge_stale()` removes those left behind by
a process that no longer exists (a test runner killed with SIGKILL), and never touches another
live run's namespaces.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

SUBNET_PREFIX = "10.200.0"
PREFIX_LENGTH = 24
NAME_PREFIX = "pkf"
SWITCH = "sw"
BRIDGE = "br0"
HOST_DEVICE = "eth0"
TBF_QUEUE_MS = 10
_run_numbers = itertools.count(1)
_NAME_RE = re.compile(rf"^{NAME_PREFIX}(\d+)x\d+-")


class NetUnavailable(Exception):
    """Network namespaces cannot be made here (not root, no `ip`, no veth/bridge support)."""


def run_ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def _tc(namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", namespace, "tc", *args], capture_output=True, text=True, check=False
    )


def purge_stale() -> None:
    """Delete namespaces named by this module for processes that no longer exist."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    for line in listing.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = _NAME_RE.match(name)
        if match and not os.path.exists(f"/proc/{match.group(1)}"):
            with contextlib.suppress(RuntimeError):
                run_ip("netns", "delete", name)


def unavailable_reason() -> str | None:
    """Why namespaces cannot be used here, or None when they can."""
    if os.geteuid() != 0:
        return "needs root (ip netns, veth, tc)"
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"needs the `{tool}` tool (iproute2)"
    try:
        with Namespaces() as probe:
            probe.add_host("probe")
    except (RuntimeError, NetUnavailable) as exc:
        return f"network namespaces unusable here: {exc}"
    return None


@dataclass
class Namespaces:
    run: str = field(default_factory=lambda: f"{NAME_PREFIX}{os.getpid()}x{next(_run_numbers)}")
    hosts: dict[str, str] = field(default_factory=dict)  # name -> address
    _created: list[str] = field(default_factory=list)
    _next_address: int = 1
    impairment_kind: str | None = None

    def __enter__(self) -> Namespaces:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def namespace(self, name: str) -> str:
        return f"{self.run}-{name}"

    def open(self) -> None:
        switch = self._add_namespace(SWITCH)
        run_ip("-n", switch, "link", "add", BRIDGE, "type", "bridge")
        run_ip("-n", switch, "link", "set", BRIDGE, "up")

    def add_host(self, name: str) -> str:
        """A new namespace on the switch; returns its address."""
        namespace = self._add_namespace(name)
        address = f"{SUBNET_PREFIX}.{self._next_address}"
        self._next_address += 1
        switch = self.namespace(SWITCH)
        port = self._switch_port(name)
        # Created inside the switch namespace with the host end moved straight into the host's:
        # no device ever appears in the caller's namespace.
        run_ip(
            "-n", switch, "link", "add", port, "type", "veth", "peer", "name", HOST_DEVICE,
            "netns", namespace,
        )  # fmt: skip
        run_ip("-n", switch, "link", "set", port, "master", BRIDGE)
        run_ip("-n", switch, "link", "set", port, "up")
        run_ip("-n", namespace, "addr", "add", f"{address}/{PREFIX_LENGTH}", "dev", HOST_DEVICE)
        run_ip("-n", namespace, "link", "set", HOST_DEVICE, "up")
        self.hosts[name] = address
        return address

    def exec_prefix(self, name: str) -> list[str]:
        """The command prefix that runs a program inside host `name`'s namespace."""
        return ["ip", "netns", "exec", self.namespace(name)]

    def cut(self, name: str) -> None:
        run_ip("-n", self.namespace(SWITCH), "link", "set", self._switch_port(name), "down")

    def heal(self, name: str) -> None:
        run_ip("-n", self.namespace(SWITCH), "link", "set", self._switch_port(name), "up")

    def impair(
        self,
        name: str,
        *,
        delay_ms: int,
        jitter_ms: int,
        loss_percent: float,
        fallback_rate_kbit: int = 2000,
    ) -> str:
        """Delay and lose packets on host `name`'s link, both ways; returns the qdisc used."""
        ends = [
            (self.namespace(name), HOST_DEVICE),
            (self.namespace(SWITCH), self._switch_port(name)),
        ]
        netem = [
            "netem", "delay", f"{delay_ms}ms", f"{jitter_ms}ms", "loss", f"{loss_percent}%",
        ]  # fmt: skip
        # The fallback: a link of `fallback_rate_kbit` (above the average traffic, below its
        # bursts) with a queue of `TBF_QUEUE_MS` (tbf's latency limit): a burst waits (delay) and
        # what would wait longer is dropped (loss), as on a congested link; TCP backs off and
        # probes again, so drops recur. A rate below the average traffic would never let
        # followers catch up (elections without end), which tests nothing.
        tbf = [
            "tbf", "rate", f"{fallback_rate_kbit}kbit", "burst", "2kb",
            "latency", f"{TBF_QUEUE_MS}ms",
        ]  # fmt: skip
        for kind, spec in (("netem", netem), ("tbf", tbf)):
            results = [_tc(ns, "qdisc", "replace", "dev", dev, "root", *spec) for ns, dev in ends]
            if all(r.returncode == 0 for r in results):
                self.impairment_kind = kind
                return kind
            for ns, dev in ends:
                _tc(ns, "qdisc", "del", "dev", dev, "root")
        raise RuntimeError(f"tc: neither netem nor tbf work here: {results[0].stderr.strip()}")

    def dropped_packets(self, name: str) -> int:
        """Packets the impairment on host `name`'s link dropped so far (both ends)."""
        total = 0
        for namespace, device in (
            (self.namespace(name), HOST_DEVICE),
            (self.namespace(SWITCH), self._switch_port(name)),
        ):
            shown = _tc(namespace, "-s", "qdisc", "show", "dev", device).stdout
            match = re.search(r"dropped (\d+)", shown)
            total += int(match.group(1)) if match else 0
        return total

    def clear_impairment(self, name: str) -> None:
        for namespace, device in (
            (self.namespace(name), HOST_DEVICE),
            (self.namespace(SWITCH), self._switch_port(name)),
        ):
            _tc(namespace, "qdisc", "del", "dev", device, "root")

    def close(self) -> None:
        for namespace in reversed(self._created):
            with contextlib.suppress(RuntimeError):
                run_ip("netns", "delete", namespace)
        self._created.clear()

    def _add_namespace(self, name: str) -> str:
        namespace = self.namespace(name)
        run_ip("netns", "add", namespace)
        self._created.append(namespace)
        run_ip("-n", namespace, "link", "set", "lo", "up")
        return namespace

    def _switch_port(self, name: str) -> str:
        return f"p-{name}"[:15]
