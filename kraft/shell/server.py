"""One node of the test raft server: start-up, the task tree, graceful shutdown.

Start-up is ordered so every user error is found before anything runs, and reported as ONE line
(`StartupError`, exit status 2): configuration, log directory lock and recovery, quorum-state,
listening sockets (every listener, with its TLS context and SASL users), the metrics endpoint,
core construction. Then one nursery runs: the listeners (one task per connection: TLS handshake,
then the connection with its SASL gate, `kraft.shell.connection`), the node loop, the outbound
peers (with the controller listener's security), the workload, the stats reporter, the metrics
publisher and the signal watcher. SIGTERM or Ctrl-C asks the core for a graceful shutdown (a
leader resigns and sends EndQuorumEpoch so another voter takes over without waiting for an
election timeout); when the core reports it complete (or after
`controller.quorum.request.timeout.ms`) the last stats line is written and the process exits 0.
A second signal stops at once, even while a disk step hangs
(an fsync on a dying disk): the loop stops waiting for the disk writer (`DiskWorker.abandon`), the
log is then left as it is (never touched by two threads; recovery checks it at the next start),
and the process exits 1. Status lines are written by their own thread (`StatusWriter`), so a
stdout nobody reads (a paused `| less`) never stalls the node.

A disk error while running (a full disk: ENOSPC; EIO) stops the node with `LogDirFailure` (one
line, exit status 3), as Kafka halts the process when the metadata log dir fails: continuing
would mean a log whose in-memory and on-disk ends disagree. Nothing acknowledged is lost (a
leader counts, and a follower reports, only flushed offsets); the other voters elect a new leader
if needed, and after the disk is fixed a restart recovers the log (cutting a torn tail) and
catches up from the leader.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import random
import signal
import ssl
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import trio

from kraft.config import ConfigError as CoreConfigError
from kraft.config import QuorumConfig
from kraft.log import LogState
from kraft.node import RaftNode
from kraft.ready import Ready
from kraft.roles import RoleName
from kraft.shell import tls
from kraft.shell.codec import WireBatchCodec
from kraft.shell.config import (
    ConfigError,
    Listener,
    ServerConfig,
    for_kafka_test_server,
    load_config,
)
from kraft.shell.connection import (
    CONNECTIONS_MAX_DEFAULT,
    CONNECTIONS_PER_IP_MAX_DEFAULT,
    IDLE_TIMEOUT_MS_DEFAULT,
    ConnectionLimits,
    ConnectionTracker,
    FailureLog,
    InboundConnection,
    peer_address,
)
from kraft.shell.disk_log import DiskLog
from kraft.shell.durable_files import LogDirError, lock_log_dir
from kraft.shell.identity import KAFKA_TEST_SERVER_CLUSTER_ID
from kraft.shell.meta_properties import MetaPropertiesError, resolve_identity
from kraft.shell.metadata_workload import MetadataState, MetadataWorkload
from kraft.shell.metrics import MetricsServer, NodeFacts, RaftMetrics, publish_forever
from kraft.shell.node_loop import Clock, NodeLoop, ReadyListener
from kraft.shell.peers import PeerLimits, Peers
from kraft.shell.quorum_state_store import QuorumStateError, QuorumStateStore
from kraft.shell.router import Router
from kraft.shell.sasl import SaslServer, SaslServerConfig
from kraft.shell.security import CLIENT_SECURITY
from kraft.shell.snapshots import SnapshotStore
from kraft.shell.snapshotter import Snapshotter, recover_log_start
from kraft.shell.stats import (
    NodeFigures,
    Stats,
    StatusWriter,
    kafka_status_line,
    status_line,
    write_json_line,
)
from kraft.shell.workload import RECORD_SIZE_DEFAULT, THROUGHPUT_DEFAULT, Workload
from kraft.types import ZERO_DIRECTORY_ID, Endpoint

log = logging.getLogger("kraft.server")

REPORT_INTERVAL_MS_DEFAULT = 5000
WORKLOAD_RANDOM = "random"
WORKLOAD_METADATA = "metadata"
WORKLOADS = (WORKLOAD_RANDOM, WORKLOAD_METADATA)
# Exit status after a second signal stopped the node without its graceful shutdown.
EXIT_STOPPED_AT_ONCE = 1
# How long the last status lines may take to write at exit.
STATUS_DRAIN_TIMEOUT_S = 2.0


class StartupError(Exception):
    """A problem found before the node runs; the message is the one line the user sees."""


class LogDirFailure(Exception):
    """A write, flush or read of the log dir failed while the node ran (ENOSPC, EIO, ...); the
    message is the one line the user sees. The node stops at once, without writing anything
    more: what it acknowledged is durable and recovery on restart cuts any half-written batch."""


@dataclass(frozen=True, slots=True)
class ServerOptions:
    config_path: Path
    throughput: int = THROUGHPUT_DEFAULT
    record_size: int = RECORD_SIZE_DEFAULT
    stats_file: Path | None = None
    report_interval_ms: int = REPORT_INTERVAL_MS_DEFAULT
    seed: int | None = None
    status_stream: IO[str] | None = None
    # Kafka's TestRaftServer identity (topic, topic id, cluster id), `--kafka-test-server`.
    kafka_test_server: bool = False
    # `--replica-directory-id`: this node's directory id (Kafka's TestRaftServer flag).
    replica_directory_id: uuid.UUID | None = None
    # `--status-format`: "pykraft" (status_line) or "kafka" (Kafka's TestRaftServer line).
    status_format: str = "pykraft"
    # `--workload`: random payloads (Kafka's test server) or an evolving metadata image.
    workload: str = WORKLOAD_RANDOM


def quorum_config_from(config: ServerConfig) -> QuorumConfig:
    return QuorumConfig(
        voters={i: Endpoint(a.host, a.port) for i, a in config.voters.items()},
        cluster_id=config.cluster_id,
        bootstrap_servers=tuple(Endpoint(a.host, a.port) for a in config.bootstrap_servers),
        election_timeout_ms=config.election_timeout_ms,
        fetch_timeout_ms=config.fetch_timeout_ms,
        election_backoff_ms_max=config.election_backoff_ms_max,
        append_linger_ms=config.append_linger_ms,
        request_timeout_ms=config.request_timeout_ms,
        retry_backoff_ms=config.retry_backoff_ms,
        listener_name=config.controller_listener_name,
    )


async def run_server(options: ServerOptions) -> int:
    """Run one node until a graceful shutdown; `StartupError` for a user-fixable problem."""
    try:
        config = load_config(options.config_path)
        if options.kafka_test_server:
            config = for_kafka_test_server(config, source=str(options.config_path))
    except ConfigError as exc:
        raise StartupError(str(exc)) from None
    for key in config.ignored_keys:
        log.warning("%s: unknown configuration key %s is ignored", options.config_path, key)
    try:
        lock_fd = lock_log_dir(config.metadata_log_dir)
    except (LogDirError, OSError) as exc:
        raise StartupError(str(exc)) from None
    stopped_at_once = False
    closing = False  # `_close_log` owns the close from then on
    try:
        if config.is_kafka_test_server:
            # As Kafka's TestRaftServer: a fixed cluster id and no meta.properties.
            cluster_id = KAFKA_TEST_SERVER_CLUSTER_ID
            directory_id = options.replica_directory_id or ZERO_DIRECTORY_ID
        else:
            cluster_id, directory_id = resolve_identity(config, options.replica_directory_id)
        config = dataclasses.replace(config, cluster_id=cluster_id)
        disk_log, report = DiskLog.open(
            config.partition_dir,
            config.segment_bytes,
            topic_id=config.topic.topic_id_text,
            segment_ms=config.snapshots.segment_ms,
        )
    except (LogDirError, MetaPropertiesError, OSError) as exc:
        os.close(lock_fd)
        raise StartupError(str(exc)) from None
    try:
        if report.reason is not None:
            log.warning(
                "log recovery cut %d bytes at the first invalid batch: %s",
                report.truncated_bytes,
                report.reason,
            )
        snapshots = SnapshotStore(config.partition_dir)
        latest_snapshot = snapshots.recover()
        if latest_snapshot is not None and latest_snapshot.offset > disk_log.end_offset:
            # Kafka: a snapshot beyond the log end replaces the whole log.
            log.warning("log ends below snapshot %s: starting the log there", latest_snapshot)
            disk_log.reset_to(latest_snapshot.offset)
        latest_snapshot = recover_log_start(disk_log, snapshots)
        store = QuorumStateStore(config.partition_dir)
        try:
            election_state = store.read()
        except QuorumStateError as exc:
            raise StartupError(str(exc)) from None
        served = await _open_listeners(config)
        if options.stats_file is not None:
            _open_stats_file(options.stats_file).close()  # fail now, with one line, not later
        clock = Clock()
        seed = options.seed if options.seed is not None else int.from_bytes(os.urandom(8))
        rng = random.Random(seed)
        log_state = LogState(
            log_start_offset=disk_log.start_offset,
            end_offset=disk_log.end_offset,
            epoch_history=tuple((e.epoch, e.start_offset) for e in disk_log.epochs),
            latest_snapshot_id=latest_snapshot,
        )
        quorum_config = quorum_config_from(config)
        try:
            node = RaftNode(
                quorum_config,
                config.node_id,
                directory_id,
                election_state,
                log_state,
                WireBatchCodec(),
                rng,
                clock.now_ms(),
            )
        except CoreConfigError as exc:
            raise StartupError(f"{options.config_path}: {exc}") from None
        log.info(
            "node %d starting: cluster %s, listening on %s, log %s (end offset %d), seed %d",
            config.node_id,
            cluster_id,
            ", ".join(
                f"{s.listener.name}://{s.listener.host or '*'}:{s.listener.port}"
                f" ({s.listener.protocol})"
                for s in served
            ),
            config.partition_dir,
            disk_log.end_offset,
            seed,
        )
        stopped_at_once = await _run_node(
            options, config, node, disk_log, store, snapshots, clock, rng, served
        )
        if not stopped_at_once:
            closing = True
            stopped_at_once = not await _close_log(disk_log)
        return EXIT_STOPPED_AT_ONCE if stopped_at_once else 0
    finally:
        if stopped_at_once:
            log.warning("left the log as it is (a disk step may still run); recovery checks it")
        elif not closing:
            disk_log.close()
        os.close(lock_fd)


async def _close_log(disk_log: DiskLog) -> bool:
    """Close the log (trim + fdatasync) on a thread; False if a signal stopped the wait first
    (the close hangs on a dying disk: the process may exit without it)."""
    closed = trio.Event()
    token = trio.lowlevel.current_trio_token()

    def close() -> None:
        try:
            disk_log.close()
        finally:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(closed.set)

    threading.Thread(target=close, name="pykraft-close", daemon=True).start()
    if threading.current_thread() is not threading.main_thread():
        await closed.wait()
        return True
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as received:
        async with trio.open_nursery() as nursery:

            async def stop_on_signal() -> None:
                async for _ in received:
                    log.warning("signal while closing the log: stopping now")
                    nursery.cancel_scope.cancel()

            nursery.start_soon(stop_on_signal)
            await closed.wait()
            nursery.cancel_scope.cancel()
    return closed.is_set()


async def _run_node(
    options: ServerOptions,
    config: ServerConfig,
    node: RaftNode,
    disk_log: DiskLog,
    store: QuorumStateStore,
    snapshots: SnapshotStore,
    clock: Clock,
    rng: random.Random,
    served: list[ServedListener],
) -> bool:
    """Run the node's tasks; True when a second signal stopped it at once."""
    loop = NodeLoop(node, disk_log, store, snapshots, config, clock, topic=config.topic)
    stats = Stats(clock.now_ms())
    batch_bytes_max = quorum_config_from(config).batch_bytes_max
    latest_snapshot = snapshots.snapshot_ids()[-1] if snapshots.snapshot_ids() else None
    state: MetadataState | None = None
    workload: Workload
    if options.workload == WORKLOAD_METADATA:
        state = MetadataState(snapshots)
        await trio.to_thread.run_sync(state.load, latest_snapshot, disk_log.start_offset)
        workload = MetadataWorkload(
            node,
            stats,
            state,
            throughput=options.throughput,
            rng=rng,
            batch_bytes_max=batch_bytes_max,
        )
    else:
        workload = Workload(
            node,
            stats,
            throughput=options.throughput,
            record_size=options.record_size,
            rng=rng,
            batch_bytes_max=batch_bytes_max,
        )
    snapshotter = Snapshotter(
        node,
        disk_log,
        snapshots,
        config.snapshots,
        clock.now_ms(),
        state=state,
        latest_snapshot=latest_snapshot,
    )
    loop.listeners.extend(
        [stats.on_ready, workload.on_ready, snapshotter.on_ready, _log_changes(node)]
    )
    loop.commit_listeners.append(workload.on_high_watermark)
    metrics = RaftMetrics(clock.now_ms())
    loop.listeners.append(metrics.on_ready)
    metrics_server = _start_metrics(config, metrics)
    loop.source = workload
    loop.maintenance = snapshotter
    router = Router(loop)
    limits = ConnectionLimits(
        frame_bytes_max=config.request_bytes_max,
        idle_timeout_ms=config.connections_idle_ms or IDLE_TIMEOUT_MS_DEFAULT,
    )
    tracker = ConnectionTracker(
        CONNECTIONS_MAX_DEFAULT, config.connections_per_ip_max or CONNECTIONS_PER_IP_MAX_DEFAULT
    )
    status_stream = options.status_stream or sys.stdout
    kafka_format = options.status_format == "kafka"
    stats_file = _open_stats_file(options.stats_file) if options.stats_file else None
    writer = StatusWriter()
    stopped_at_once = False

    disk_error: OSError | None = None
    limits = dataclasses.replace(
        limits,
        failed_authentication_delay_ms=config.failed_authentication_delay_ms,
        authentication_timeout_ms=config.authentication_timeout_ms,
    )
    failures = FailureLog()

    def connection_server(
        served_listener: ServedListener,
    ) -> Callable[[trio.SocketStream], Awaitable[None]]:
        async def serve_connection(tcp: trio.SocketStream) -> None:
            # Caps per client address and in all; idle connections make room
            # (kraft.shell.connection).
            address = peer_address(tcp)
            stream: trio.abc.Stream = tcp
            if served_listener.tls_context is not None:
                stream = trio.SSLStream(tcp, served_listener.tls_context, server_side=True)
            authenticator = (
                SaslServer(served_listener.sasl) if served_listener.sasl is not None else None
            )
            connection = InboundConnection(stream, router, limits, authenticator, failures)
            connection.peer = f"{address} on {served_listener.listener.name}"
            connection.listener = served_listener.listener
            if not tracker.admit(address, connection):
                await trio.aclose_forcefully(stream)
                return
            try:
                if isinstance(stream, trio.SSLStream) and not await _tls_handshake(
                    stream, limits, failures, connection.peer
                ):
                    await trio.aclose_forcefully(stream)
                    return
                await connection.run()
            finally:
                tracker.release(address, connection)

        return serve_connection

    def facts() -> NodeFacts:
        epochs = disk_log.view.epochs
        return NodeFacts(
            role=str(node.role),
            leader_id=node.leader_id,
            epoch=node.epoch,
            log_end_offset=node.log_end_offset,
            log_end_epoch=epochs[-1].epoch if epochs else 0,
            high_watermark=node.high_watermark,
        )

    def extra() -> dict[str, float]:
        return {
            "peer_connections": loop.peers.connected_count() if loop.peers else 0,
            "refused_connections": failures.count,
        }

    def report() -> None:
        figures = stats.take_interval(
            clock.now_ms(),
            NodeFigures(
                node_id=config.node_id,
                role=str(node.role),
                leader_id=node.leader_id,
                epoch=node.epoch,
                log_end_offset=node.log_end_offset,
                high_watermark=node.high_watermark,
            ),
        )
        line = kafka_status_line(figures) if kafka_format else status_line(figures)
        metrics.last_interval = figures
        metrics.publish(clock.now_ms(), facts(), extra())  # a scrape now agrees with this line

        def write() -> None:
            if line is not None:
                print(line, file=status_stream, flush=True)
            if stats_file is not None:
                write_json_line(stats_file, figures)

        writer.submit(write)

    async def reporter() -> None:
        while True:
            await trio.sleep(options.report_interval_ms / 1000)
            report()

    async def signals(cancel_scope: trio.CancelScope) -> None:
        nonlocal stopped_at_once
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as received:
            async for signum in received:
                if loop.shutting_down:
                    log.warning("second signal: stopping now")
                    stopped_at_once = True
                    loop.abandon_disk()
                    cancel_scope.cancel()
                    return
                log.info("%s: shutting down gracefully", signal.Signals(signum).name)
                loop.request_shutdown()

    try:
        async with trio.open_nursery() as nursery:
            peers = Peers(
                nursery,
                loop.deliver,
                client_id=f"raft-client-{config.node_id}",
                listener_name=config.controller_listener_name,
                limits=PeerLimits(frame_bytes_max=config.request_bytes_max),
                topic=config.topic,
                security_=config.controller_client,
            )
            # Forwarded DescribeQuorum requests go to the leader as a voter would.
            CLIENT_SECURITY.set(config.controller_client)
            for served_listener in served:
                nursery.start_soon(
                    trio.serve_listeners,
                    connection_server(served_listener),
                    served_listener.sockets,
                )
            nursery.start_soon(reporter)
            if metrics_server is not None:
                nursery.start_soon(
                    publish_forever, metrics, clock.now_ms, facts, lambda: loop.idle_s, extra
                )
            if state is not None:
                nursery.start_soon(state.run, node, loop.read_batches, loop.wait_for_change)
            if threading.current_thread() is threading.main_thread():
                nursery.start_soon(signals, nursery.cancel_scope)
            try:
                await loop.run(peers)
            except OSError as exc:
                # The loop itself does no network I/O: an OSError out of it is the log dir's.
                disk_error = exc
            else:
                report()
            nursery.cancel_scope.cancel()
        if not stopped_at_once:
            # The last lines out before the process exits (not forever: stdout may be stuck).
            with trio.move_on_after(STATUS_DRAIN_TIMEOUT_S):
                await trio.to_thread.run_sync(writer.drain, abandon_on_cancel=True)
    finally:
        if metrics_server is not None:
            metrics_server.stop()
        writer.stop()
        if stats_file is not None and not writer.busy:
            stats_file.close()
    if disk_error is not None:
        reason = disk_error.strerror or str(disk_error)
        raise LogDirFailure(
            f"log dir {config.partition_dir} failed: {reason}; the node stopped (as Kafka halts "
            "on a metadata log dir failure): free space or fix the disk, then restart it"
        )
    return stopped_at_once


@dataclass(slots=True)
class ServedListener:
    """One configured listener, open: its sockets, TLS context and SASL users."""

    listener: Listener
    sockets: list[trio.SocketListener]
    tls_context: ssl.SSLContext | None
    sasl: SaslServerConfig | None


async def _open_listeners(config: ServerConfig) -> list[ServedListener]:
    """Bind every listener, with its TLS context and SASL users (StartupError: one line)."""
    served: list[ServedListener] = []
    try:
        for listener in config.listeners:
            settings = config.listener_security.get(listener.name)
            tls_context = None
            users = None
            if settings is not None and settings.tls_settings is not None:
                try:
                    tls_context = tls.server_context(settings.tls_settings, listener.name)
                except tls.TlsConfigError as exc:
                    raise StartupError(f"listener {listener.name}: {exc}") from None
            if settings is not None and settings.sasl_users:
                users = SaslServerConfig(settings.sasl_users)
            try:
                sockets = await trio.open_tcp_listeners(listener.port, host=listener.host or None)
            except OSError as exc:
                address = f"{listener.host or '*'}:{listener.port}"
                raise StartupError(f"cannot listen on {address}: {exc.strerror or exc}") from None
            served.append(ServedListener(listener, sockets, tls_context, users))
    except BaseException:
        for done in served:
            for sock in done.sockets:
                await trio.aclose_forcefully(sock)
        raise
    return served


async def _tls_handshake(
    stream: trio.SSLStream[trio.SocketStream],
    limits: ConnectionLimits,
    failures: FailureLog,
    peer: str,
) -> bool:
    """The server side of a TLS handshake, within the authentication timeout; False (logged,
    rate-limited) when it fails: a plaintext client, an untrusted or expired certificate, a
    client that stalls."""
    with trio.move_on_after(limits.authentication_timeout_ms / 1000):
        try:
            await stream.do_handshake()
            return True
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            reason = exc.__cause__ if exc.__cause__ is not None else exc
            failures.record(peer, f"TLS handshake failed: {reason}")
            return False
    failures.record(peer, f"no TLS handshake within {limits.authentication_timeout_ms} ms")
    return False


def _start_metrics(config: ServerConfig, metrics: RaftMetrics) -> MetricsServer | None:
    """The Prometheus endpoint when `metrics.port` is set (StartupError: one line)."""
    if config.metrics_port is None:
        return None
    server = MetricsServer(metrics)
    try:
        server.start(config.metrics_host, config.metrics_port)
    except OSError as exc:
        address = f"{config.metrics_host}:{config.metrics_port}"
        raise StartupError(
            f"metrics.port: cannot listen on {address}: {exc.strerror or exc}"
        ) from None
    log.info("metrics at http://%s:%d/metrics", config.metrics_host, server.port)
    return server


def _open_stats_file(path: Path) -> IO[str]:
    try:
        return path.open("a", encoding="utf-8")
    except OSError as exc:
        raise StartupError(f"cannot open stats file {path}: {exc.strerror}") from None


def _log_changes(node: RaftNode) -> ReadyListener:
    # The epoch whose first commit as leader was logged: a failover ends there (bin/bench reads
    # this line the same way it reads Kafka's leader's "for the first time for epoch N").
    first_commit_logged_epoch = -1

    def listener(ready: Ready, now_ms: int) -> None:
        nonlocal first_commit_logged_epoch
        if ready.role_change is not None or ready.leader_change is not None:
            log.info(
                "role %s, epoch %d, leader %s",
                node.role,
                node.epoch,
                "none" if node.leader_id is None else node.leader_id,
            )
        if (
            ready.high_watermark is not None
            and node.role == RoleName.LEADER
            and node.epoch > first_commit_logged_epoch
        ):
            first_commit_logged_epoch = node.epoch
            log.info(
                "High watermark set to %d for the first time for epoch %d as leader",
                ready.high_watermark,
                node.epoch,
            )

    return listener
