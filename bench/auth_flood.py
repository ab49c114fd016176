"""Failed logins against a secured quorum do not slow its replication (issue #14).

Not a timed test: run `python -m bench.auth_flood [--failures 1000] [--concurrency 20]`. It
starts the secured 3-voter quorum of `tests.security.quorum` (voters on SASL_SSL with
SCRAM-SHA-512) under a steady workload, measures the committed records per second for
`--window-s`, then sends `--failures` logins with a wrong password to the leader's SASL_SSL
listener (TLS handshake + SCRAM exchange, each refused with SASL_AUTHENTICATION_FAILED),
`--concurrency` at a time, and measures the same figure while they run. It prints both, the time
the flood took, the leader's CPU time per failed login, and the followers' lag after it.
Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from kraft.shell.client.connection import Address, Connection, ConnectionFailed
from kraft.shell.security import CLIENT_SECURITY, load_command_config
from tests.security.quorum import SecuredNode, client_properties, secured_cluster


def _hw(node: SecuredNode) -> tuple[float, int]:
    last = node.node.last() or {}
    return time.monotonic(), int(last.get("high_watermark") or 0)


def _rate(start: tuple[float, int], end: tuple[float, int]) -> float:
    return (end[1] - start[1]) / max(end[0] - start[0], 1e-9)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, clock ticks of 10 ms


async def _flood(port: int, config: Path, failures: int, concurrency: int) -> dict[str, Any]:
    CLIENT_SECURITY.set(load_command_config(config))
    refused = 0
    other: list[str] = []
    limiter = trio.Semaphore(concurrency)

    async def one() -> None:
        nonlocal refused
        async with limiter:
            try:
                conn = await Connection.open(Address("localhost", port), connect_timeout_ms=30_000)
            except ConnectionFailed as exc:
                if "SASL authentication" in str(exc):
                    refused += 1
                else:
                    other.append(str(exc))
                return
            await conn.aclose()
            other.append("accepted a wrong password")

    started = time.monotonic()
    async with trio.open_nursery() as nursery:
        for _ in range(failures):
            nursery.start_soon(one)
    return {"refused": refused, "other": other[:3], "flood_s": time.monotonic() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--throughput", type=int, default=2000, help="workload records/s")
    parser.add_argument("--window-s", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pykraft-auth-flood-") as tmp:
        base = Path(tmp)
        cluster, nodes = secured_cluster(base, throughput=args.throughput)
        try:
            cluster.start()
            cluster.wait_for(
                lambda: all(_hw(n)[1] > 1000 for n in nodes.values()), 60, "replication"
            )
            leader = nodes[cluster.wait_for(cluster.leader, 30, "a leader").node_id]
            assert leader.node.process is not None
            pid = leader.node.process.pid
            start = _hw(leader)
            time.sleep(args.window_s)
            baseline = _rate(start, _hw(leader))
            wrong = client_properties(
                base / "wrong.properties", base / "certs", "SASL_SSL", "SCRAM-SHA-512"
            )
            wrong.write_text(wrong.read_text().replace("alice-secret", "guess"))
            cpu_before = _cpu_s(pid)
            start = _hw(leader)
            flood = trio.run(
                _flood, leader.ports["CONTROLLER"], wrong, args.failures, args.concurrency
            )
            during = _rate(start, _hw(leader))
            cpu_s = _cpu_s(pid) - cpu_before
            time.sleep(1.0)
            lags = {i: _hw(leader)[1] - _hw(n)[1] for i, n in nodes.items() if n is not leader}
            refusal_lines = sum(
                line.count("refused connection from")
                for line in leader.node.stderr_text().splitlines()
            )
            result = {
                "failures": args.failures,
                "concurrency": args.concurrency,
                "workload_records_per_s": args.throughput,
                "committed_records_per_s_before": round(baseline, 1),
                "committed_records_per_s_during": round(during, 1),
                "flood_s": round(flood["flood_s"], 2),
                "refused_with_sasl_authentication_failed": flood["refused"],
                "other_outcomes": flood["other"],
                "leader_cpu_ms_per_failed_login": round(cpu_s * 1000 / args.failures, 2),
                "follower_lag_records_after": lags,
                "leader_log_lines_about_refusals": refusal_lines,
                "leader_alive": leader.node.alive,
            }
            print(json.dumps(result, indent=2))
        finally:
            cluster.close()


if __name__ == "__main__":
    main()
