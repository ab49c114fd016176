"""A real Kafka controller quorum from the jars: 3 `kafka.Kafka` controllers and one broker.

`KafkaControllerQuorum(directory, dynamic=False)`:
- three `kafka.Kafka` processes with `process.roles=controller` on free ports of 127.0.0.1, each
  with its own temporary log dir, all formatted by Kafka's own storage tool
  (`kafka.tools.StorageTool format`) with one cluster id;
- static flavour (`dynamic=False`): `controller.quorum.voters=1@…,2@…,3@…` (kraft.version 0);
  dynamic flavour (`dynamic=True`): `controller.quorum.bootstrap.servers` and
  `format --initial-controllers id@host:port:directoryId,…` (kraft.version 1: the voter set lives
  in the log);
- one broker (`process.roles=broker`, node id 100) so Kafka's `TopicCommand`/`ConfigCommand` can
  create and delete topics and alter configs and partitions;
- snapshots and segment deletion forced by small settings (`SNAPSHOT_EVERY_BYTES` between
  snapshots, small segments and retention), heap kept small (`KAFKA_HEAP_OPTS`);
- `close()` kills every process (SIGKILL; also on a failed start); the test's tmp dir holds logs.

`controller_log_dir(node_id)` is `<log.dirs>/__cluster_metadata-0`, the files DumpLogSegments reads.
"""

from __future__ import annotations

import base64
import concurrent.futures
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.cluster import free_ports
from tests.kafka.kafka import BIN_KAFKA, FATAL_FAULT, kafka_env, require_kafka, run_tool

STORAGE_TOOL = "kafka.tools.StorageTool"
CONTROLLER_IDS = (1, 2, 3)
BROKER_ID = 100
CONTROLLER_LISTENER = "CONTROLLER"
BROKER_LISTENER = "PLAINTEXT"
HEAP_OPTS = "-Xmx256m"
# Small enough that a handful of topic operations produce several snapshots.
SNAPSHOT_EVERY_BYTES = 4096
METADATA_DIR = "__cluster_metadata-0"


def random_uuid() -> str:
    """A Kafka Uuid in its base64 text form (never the zero or the metadata topic's)."""
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


# See `KafkaControllerQuorum.wait_for_broker`.
BROKER_REGISTRATION_STUCK = "RPC got timed out before it could be sent"
BROKER_STUCK_ATTEMPTS = 8  # ~30 s of registration attempts that never left the broker
BROKER_RESTARTS_MAX = 2


@dataclass
class KafkaProcess:
    node_id: int
    roles: str
    port: int
    directory: Path
    properties: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0

    @property
    def config_path(self) -> Path:
        return self.directory / "server.properties"

    @property
    def log_dirs(self) -> Path:
        return self.directory / "data"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in self.properties.items()))

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        self.runs += 1
        with (
            (self.directory / f"stdout-{self.runs}.txt").open("wb") as out,
            (self.directory / f"stderr-{self.runs}.txt").open("wb") as err,
        ):
            self.process = subprocess.Popen(
                [str(BIN_KAFKA), "kafka.Kafka", str(self.config_path)],
                stdout=out,
                stderr=err,
                env=kafka_env(HEAP_OPTS),
            )

    def run_stderr(self) -> str:
        """The stderr of the current run only."""
        path = self.directory / f"stderr-{self.runs}.txt"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_text(self) -> str:
        return "".join(
            (self.directory / f"{kind}-{n}.txt").read_text(errors="replace")
            for n in range(1, self.runs + 1)
            for kind in ("stdout", "stderr")
            if (self.directory / f"{kind}-{n}.txt").exists()
        )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: signal.Signals) -> None:
        """SIGSTOP/SIGCONT (a paused controller), or any other signal, to a live process."""
        assert self.process is not None and self.process.poll() is None
        self.process.send_signal(signum)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@dataclass
class KafkaControllerQuorum:
    directory: Path
    dynamic: bool = False
    with_broker: bool = True
    # False: Kafka's default snapshot thresholds (20 MiB, one hour), so the log from offset 0
    # stays fetchable (no redirection to a snapshot) for the length of a test.
    frequent_snapshots: bool = True
    # More server properties for every process (they win over the ones above).
    extra_properties: dict[str, str] = field(default_factory=dict)
    cluster_id: str = field(default_factory=random_uuid)
    controllers: dict[int, KafkaProcess] = field(default_factory=dict)
    broker: KafkaProcess | None = None

    def __post_init__(self) -> None:
        ports = free_ports(len(CONTROLLER_IDS) + 1)
        self.directory_ids = {i: random_uuid() for i in CONTROLLER_IDS}
        addresses = {i: f"127.0.0.1:{p}" for i, p in zip(CONTROLLER_IDS, ports, strict=False)}
        if self.dynamic:
            quorum = {
                "controller.quorum.bootstrap.servers": ",".join(addresses.values()),
            }
        else:
            quorum = {
                "controller.quorum.voters": ",".join(f"{i}@{a}" for i, a in addresses.items()),
            }
        common = {
            "listener.security.protocol.map": (
                f"{CONTROLLER_LISTENER}:PLAINTEXT,{BROKER_LISTENER}:PLAINTEXT"
            ),
            "controller.listener.names": CONTROLLER_LISTENER,
            **quorum,
            # Snapshots and segment deletion, forced: a snapshot every few KiB of records,
            # small segments, and a retention that deletes what a snapshot covers.
            **(
                {
                    "metadata.log.max.record.bytes.between.snapshots": str(SNAPSHOT_EVERY_BYTES),
                    "metadata.log.max.snapshot.interval.ms": "2000",
                    # Roll segments often so retention can delete those a snapshot covers.
                    "metadata.log.segment.ms": "3000",
                }
                if self.frequent_snapshots
                else {}
            ),
            "metadata.log.segment.bytes": str(8 * 1024 * 1024),
            "metadata.max.retention.bytes": str(1024 * 1024),
            "metadata.max.retention.ms": "1000",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            **self.extra_properties,
        }
        for node_id, port in zip(CONTROLLER_IDS, ports, strict=False):
            directory = self.directory / f"controller-{node_id}"
            self.controllers[node_id] = KafkaProcess(
                node_id,
                "controller",
                port,
                directory,
                {
                    "process.roles": "controller",
                    "node.id": str(node_id),
                    "listeners": f"{CONTROLLER_LISTENER}://{addresses[node_id]}",
                    "log.dirs": str(directory / "data"),
                    **common,
                },
            )
        if self.with_broker:
            directory = self.directory / f"broker-{BROKER_ID}"
            self.broker = KafkaProcess(
                BROKER_ID,
                "broker",
                ports[-1],
                directory,
                {
                    "process.roles": "broker",
                    "node.id": str(BROKER_ID),
                    "listeners": f"{BROKER_LISTENER}://127.0.0.1:{ports[-1]}",
                    "inter.broker.listener.name": BROKER_LISTENER,
                    # Kafka's default (60 s) is shorter than the quorum's start-up on a loaded
                    # 2-core machine: the broker gave up ("unable to register with the controller
                    # quorum") and exited, failing the module; wait as long as `start` does.
                    "initial.broker.registration.timeout.ms": "240000",
                    "log.dirs": str(directory / "data"),
                    **common,
                },
            )

    # ------------------------------------------------------------------------------ views

    @property
    def processes(self) -> list[KafkaProcess]:
        return [*self.controllers.values(), *([self.broker] if self.broker else [])]

    @property
    def bootstrap_controllers(self) -> str:
        return ",".join(c.address for c in self.controllers.values())

    @property
    def bootstrap_broker(self) -> str:
        assert self.broker is not None
        return self.broker.address

    def controller_log_dir(self, node_id: int) -> Path:
        return self.controllers[node_id].log_dirs / METADATA_DIR

    def fatal(self) -> list[int]:
        return [p.node_id for p in self.processes if FATAL_FAULT in p.log_text()]

    # -------------------------------------------------------------------------- lifecycle

    def format(self) -> None:
        """Kafka's storage tool over every process's config, the JVMs side by side (each takes
        seconds to start; one after the other they were most of a quorum's start-up)."""
        for process in self.processes:
            process.write_config()
        with concurrent.futures.ThreadPoolExecutor(len(self.processes)) as pool:
            for done in [pool.submit(self._format_one, p) for p in self.processes]:
                done.result()

    def _format_one(self, process: KafkaProcess) -> None:
        # `--cluster-id=ID` in one word: a base64 id may start with "-", which argparse
        # would take for an option.
        args = ["format", f"--cluster-id={self.cluster_id}", "-c", str(process.config_path)]
        if self.dynamic and process.roles == "controller":
            initial = ",".join(
                f"{i}@{c.address}:{self.directory_ids[i]}" for i, c in self.controllers.items()
            )
            args += ["--initial-controllers", initial]
        elif self.dynamic:
            args += ["--no-initial-controllers"]
        result = run_tool(STORAGE_TOOL, *args, timeout_s=120)
        assert result.returncode == 0, (
            f"StorageTool {' '.join(args)}: {result.stdout[-1000:]} {result.stderr[-2000:]}"
        )
        if self.dynamic and process.roles == "controller":
            meta = (process.log_dirs / "meta.properties").read_text()
            assert f"directory.id={self.directory_ids[process.node_id]}" in meta, meta

    def start_controllers(self) -> None:
        """Format and launch the controllers; no waiting (see `start`)."""
        require_kafka()
        try:
            self.format()
            for controller in self.controllers.values():
                controller.start()
        except BaseException:
            self.close()
            raise

    def start(self, timeout_s: float = 120) -> None:
        self.start_controllers()
        try:
            if self.broker is not None:
                self.broker.start()
            self.wait_for_leader(timeout_s)
            if self.broker is not None:
                self.wait_for_broker(timeout_s)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for process in self.processes:
            process.kill()

    def quorum_status(self, timeout_s: float = 60) -> dict[str, str]:
        """`kafka-metadata-quorum describe --status` against the controllers, as a dict."""
        result = run_tool(
            "org.apache.kafka.tools.MetadataQuorumCommand",
            "--bootstrap-controller",
            self.bootstrap_controllers,
            "describe",
            "--status",
            timeout_s=timeout_s,
        )
        if result.returncode != 0:
            raise AssertionError(f"MetadataQuorumCommand: {result.stderr[-2000:]}")
        out = {}
        for line in result.stdout.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.isalpha():
                out[name] = value.strip()
        return out

    def leader_id(self) -> int:
        return int(self.quorum_status()["LeaderId"])

    def wait_for_leader(self, timeout_s: float) -> int:
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            dead = [c.node_id for c in self.controllers.values() if not c.alive]
            if len(dead) > len(CONTROLLER_IDS) // 2:
                break
            try:
                leader = self.leader_id()
            except (AssertionError, subprocess.TimeoutExpired, KeyError, ValueError) as exc:
                last = str(exc)[-500:]
                time.sleep(1)
                continue
            if leader >= 0:
                return leader
            time.sleep(1)
        raise AssertionError(f"no Kafka controller leader within {timeout_s} s: {last}")

    def wait_for_broker(self, timeout_s: float) -> None:
        """Until the broker answers a topic listing (it registered and is unfenced).

        A Kafka 4.3 broker started beside its controllers sometimes never gets its registration
        out ("Unable to register the broker because the RPC got timed out before it could be
        sent", every 4 s, until `initial.broker.registration.timeout.ms` shuts it down, while the
        controllers are fine; seen once in a loaded suite run): that broker is restarted, so its
        registration starts afresh, at most `BROKER_RESTARTS_MAX` times."""
        deadline = time.monotonic() + timeout_s
        last = ""
        restarts = 0
        while time.monotonic() < deadline:
            assert self.broker is not None and self.broker.alive, "the Kafka broker died"
            stuck = self.broker.run_stderr().count(BROKER_REGISTRATION_STUCK)
            if stuck >= BROKER_STUCK_ATTEMPTS and restarts < BROKER_RESTARTS_MAX:
                restarts += 1
                self.broker.kill()
                self.broker.start()
                continue
            try:
                result = self.topics("--list")
            except subprocess.TimeoutExpired as exc:
                # The tool's admin client waits (a minute) on a broker not serving yet: on a
                # loaded machine that is an ordinary start-up, not a failure; ask again.
                last = str(exc)[-500:]
                continue
            if result.returncode == 0:
                return
            last = result.stderr[-500:]
            time.sleep(1)
        raise AssertionError(f"the Kafka broker did not serve within {timeout_s} s: {last}")

    # ---------------------------------------------------------------------------- admin

    def topics(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_tool(
            "org.apache.kafka.tools.TopicCommand",
            "--bootstrap-server",
            self.bootstrap_broker,
            *args,
        )

    def admin(self, *args: str) -> None:
        """One TopicCommand call that must succeed (create, delete, alter partitions)."""
        result = self.topics(*args)
        assert result.returncode == 0, f"TopicCommand {args}: {result.stderr[-2000:]}"

    def alter_config(self, topic: str, config: str) -> None:
        result = run_tool(
            "kafka.admin.ConfigCommand",
            "--bootstrap-server",
            self.bootstrap_broker,
            "--alter",
            "--entity-type",
            "topics",
            "--entity-name",
            topic,
            "--add-config",
            config,
        )
        assert result.returncode == 0, f"ConfigCommand {topic} {config}: {result.stderr[-2000:]}"
