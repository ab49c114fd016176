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

import signal
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

_T = TypeVar("_T")


class Terminated(KeyboardInterrupt):
    """SIGTERM stopped a `run_async` run, after its cleanup ran: a tool ends as on Ctrl-C
    (`kraft.cli.main` reports 143, or the tool's `interrupted_exit`)."""


def run_async(async_fn: Callable[[], Awaitable[_T]]) -> _T:
    """Run `async_fn()` to completion on a fresh trio event loop and return its result.

    SIGTERM cancels the run (its `finally` blocks and context managers run, as for Ctrl-C) and
    then raises `Terminated`. It is received inside trio, not raised from a signal handler at an
    arbitrary point of trio's loop: that is what Ctrl-C's handler does, but trio installs it only
    when SIGINT is not ignored, and a tool started as `cmd &` by a script has SIGINT ignored.
    (Off the main thread, where no signal handler can be set, it is a plain run.)
    """
    # Imported here so that importing a trio-free module of this package (e.g. `codec`, used by
    # the simulator) does not pull in trio.
    import trio

    if threading.current_thread() is not threading.main_thread():
        return trio.run(async_fn)
    results: list[_T] = []

    async def until_terminated() -> None:
        with trio.open_signal_receiver(signal.SIGTERM) as signals:
            try:
                async with trio.open_nursery() as nursery:

                    async def on_sigterm() -> None:
                        async for _ in signals:
                            nursery.cancel_scope.cancel()
                            return

                    nursery.start_soon(on_sigterm)
                    results.append(await async_fn())
                    nursery.cancel_scope.cancel()
            except BaseExceptionGroup as group:
                # The tool's own exception (`on_sigterm` raises none), as a plain run raises it.
                raise group.exceptions[0] from None

    trio.run(until_terminated)
    if not results:
        raise Terminated
    return results[0]
