"""`kraft proxy` between pykraft voters of a live quorum: it keeps working, every frame decodes.

Three pykraft nodes listen on their own ports; the voter set they are given names three proxies
(one per node, in this process) instead, so every Vote, BeginQuorumEpoch and Fetch between them
crosses a proxy. The quorum must elect a leader and commit through them, and every exchange the
proxies saw must decode, both frames, and re-encode to its exact bytes.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import trio

from kraft.shell.proxy.exchange import Exchange
from kraft.shell.proxy.frames import CapturedFrame
from kraft.shell.proxy.server import Proxy, ProxyOptions, write_saved_frame
from tests.e2e.cluster import NodeProcess, free_ports
from tests.proxy.capture_check import check_capture

pytestmark = pytest.mark.slow
VOTERS = (1, 2, 3)
COMMITTED_TARGET = 2000


async def test_quorum_works_through_proxies(tmp_path: Path) -> None:
    ports = free_ports(2 * len(VOTERS))
    real = dict(zip(VOTERS, ports[: len(VOTERS)], strict=True))
    proxied = dict(zip(VOTERS, ports[len(VOTERS) :], strict=True))
    voters = ",".join(f"{i}@127.0.0.1:{proxied[i]}" for i in VOTERS)
    nodes = []
    for node_id in VOTERS:
        directory = tmp_path / f"node-{node_id}"
        directory.mkdir()
        config = directory / "server.properties"
        config.write_text(
            f"node.id={node_id}\nprocess.roles=controller\n"
            f"listeners=PLAINTEXT://127.0.0.1:{real[node_id]}\n"
            "controller.listener.names=PLAINTEXT\n"
            f"controller.quorum.voters={voters}\nlog.dirs={directory / 'logs'}\n"
        )
        nodes.append(NodeProcess(node_id, directory, config, real[node_id], []))
    exchanges: list[Exchange] = []
    save = (tmp_path / "capture.txt").open("w")

    def on_frame(connection: int, kind: str, frame: CapturedFrame) -> None:
        write_saved_frame(save, connection, kind, frame)

    proxies = [
        Proxy(
            ProxyOptions("127.0.0.1", proxied[i], "127.0.0.1", real[i]),
            exchanges.append,
            # one connection numbering per proxy: keep the capture's ids apart
            lambda c, k, f, i=i: on_frame(i * 1_000_000 + c, k, f),
        )
        for i in VOTERS
    ]
    try:
        async with trio.open_nursery() as nursery:
            for proxy in proxies:
                await nursery.start(proxy.serve)
            for node in nodes:
                node.start()
            deadline = time.monotonic() + 90
            while True:
                lasts = [n.last() for n in nodes]
                hws = [s["high_watermark"] or 0 for s in lasts if s]
                leaders = [s for s in lasts if s and s["role"] == "leader"]
                if leaders and min(hws, default=0) >= COMMITTED_TARGET and len(hws) == 3:
                    break
                assert all(n.alive for n in nodes), [n.stderr_text()[-1000:] for n in nodes]
                assert time.monotonic() < deadline, f"quorum through proxies stalled: {lasts}"
                await trio.sleep(0.2)
            for node in nodes:
                node.kill()
            # no wait for the decoders: a stopped proxy still shows all that went through
            nursery.cancel_scope.cancel()
    finally:
        for node in nodes:
            node.kill()
        save.close()
    apis = {e.api for e in exchanges}
    assert {"Vote", "BeginQuorumEpoch", "Fetch"} <= apis, apis
    assert sum(p.stats.exchanges for p in proxies) == len(exchanges) > 10
    undecoded = [(e.api, e.undecoded) for e in exchanges if e.undecoded]
    assert undecoded == [], undecoded[:10]
    assert sum(p.stats.undecoded_frames for p in proxies) == 0
    report = check_capture(tmp_path / "capture.txt")
    assert report.failures == [] and report.not_in_catalog == {} and report.cut == 0
    assert report.by_api["Fetch"] > 10
