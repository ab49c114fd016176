"""Client side of pykraft: follow a quorum's committed metadata log from outside it (trio).

    import trio
    from kraft.shell.client import Address, RaftObserver

    async def main() -> None:
        bootstrap = [Address("127.0.0.1", 9092), Address("127.0.0.1", 9093)]
        async with RaftObserver(bootstrap, start="earliest") as observer:  # local_id=None
            async for batch in observer.batches():          # committed batches, in order, once
                for record in batch.records():
                    print(record.offset, batch.epoch, batch.is_control, record.value)

    trio.run(main)

`RaftObserver(bootstrap, local_id=None | int, start="earliest" | "latest" | offset,
mode="raft" | "consumer", cluster_id=None, give_up_after_ms=None, log_dir=None)`: in raft mode it
runs the real Raft core (`kraft.node.RaftNode`) as a follower over the node's own loop and peers,
with a local log dir (temporary unless `log_dir` is given). With `local_id=None` it is Kafka's
id-less observer (replica id -1: the leader keeps no state for it); with an id it is a
non-voting observer listed in DescribeQuorum. It survives leader changes, truncations of
uncommitted data and node restarts (see `kraft.shell.client.observer` and `.follower`).
`Connection` is the small request/response client the tools use; `describe` finds the leader and
returns its DescribeQuorum data (`kraft.cli.render` turns batches into printable data).
"""

from kraft.shell.client.connection import Address, Connection, ConnectionFailed, parse_bootstrap
from kraft.shell.client.observer import RaftObserver
from kraft.shell.client.state import CommittedBatch, ObserverError

__all__ = [
    "Address",
    "CommittedBatch",
    "Connection",
    "ConnectionFailed",
    "ObserverError",
    "RaftObserver",
    "parse_bootstrap",
]
