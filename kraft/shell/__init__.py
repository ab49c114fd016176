"""The trio shell: the only code in pykraft that touches sockets, threads, clocks and disks.

It executes what the pure Raft core (`kraft.node.RaftNode`) decides:
- `config`: a `.properties` file → typed `ServerConfig` (old and new Kafka key names);
- `identity`, `meta_properties`: which topic a node replicates (Kafka's metadata topic, or Kafka's
  TestRaftServer's in the Kafka test server mode) and which cluster it belongs to (`cluster.id`,
  Kafka's `meta.properties`);
- `disk_log` (with `log_segments`, `log_read`), `snapshots`, `quorum_state_store`: Kafka's
  on-disk layout (segments of record batches as bytes, snapshot checkpoints, the one-line JSON
  election state), with recovery; `durable_files`: the writes, fsyncs and atomic files they share;
- `connection`, `router`: one inbound connection (framing, responses in request order, bounds) and
  the API key → handler table (ApiVersions, Raft APIs, consumer APIs of `consumer/`);
- `apis/`: wire dataclasses ⇄ the core's `kraft.rpc` values, one module per raft API;
- `peers`, `negotiation`: outbound connections to the other voters, one request in flight each,
  each opened with ApiVersions and every request at the newest version both sides speak;
- `node_loop`: the single task that owns the core and executes its `Ready`s (disk on one worker
  thread);
- `workload`, `stats`, `server`: the test raft server's workload, its figures, and start-up;
- `client/`: the observer library (the core with `local_id=None`, or a non-voter id) and the small
  request/response client the tools use.

`run_async` is the command-line tools' one way into the event loop, so trio stays in this package.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

_T = TypeVar("_T")


def run_async(async_fn: Callable[[], Awaitable[_T]]) -> _T:
    """Run `async_fn()` to completion on a fresh trio event loop and return its result."""
    # Imported here so that importing a trio-free module of this package (e.g. `codec`, used by
    # the simulator) does not pull in trio.
    import trio

    return trio.run(async_fn)
