"""One real Kafka node in combined mode (`process.roles=broker,controller`) from the jars.

`KafkaCombined(directory)`: one `kafka.Kafka` process (the `KafkaProcess` of
`tests.kafka.controllers`) with a PLAINTEXT broker listener and a CONTROLLER listener on free
ports of 127.0.0.1, a single static voter (`controller.quorum.voters=1@…`), formatted by Kafka's
storage tool, replication factors of 1 for the internal topics so groups and transactions work
on one node. `start()` waits until a topic listing through the broker listener answers;
`close()` kills it (SIGKILL, also on a failed start).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.cluster import free_ports
from tests.kafka.controllers import STORAGE_TOOL, KafkaProcess, random_uuid
from tests.kafka.kafka import require_kafka, run_tool

NODE_ID = 1
TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand"


@dataclass
class KafkaCombined:
    directory: Path
    cluster_id: str = field(default_factory=random_uuid)

    def __post_init__(self) -> None:
        broker_port, controller_port = free_ports(2)
        self.process = KafkaProcess(
            NODE_ID,
            "broker,controller",
            broker_port,
            self.directory / "kafka",
            {
                "process.roles": "broker,controller",
                "node.id": str(NODE_ID),
                "listeners": (
                    f"PLAINTEXT://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}"
                ),
                "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker_port}",
                "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.listener.names": "CONTROLLER",
                "inter.broker.listener.name": "PLAINTEXT",
                "controller.quorum.voters": f"{NODE_ID}@127.0.0.1:{controller_port}",
                "log.dirs": str(self.directory / "kafka" / "data"),
                "offsets.topic.replication.factor": "1",
                "offsets.topic.num.partitions": "3",
                "transaction.state.log.replication.factor": "1",
                "transaction.state.log.min.isr": "1",
                "share.coordinator.state.topic.replication.factor": "1",
                "group.initial.rebalance.delay.ms": "0",
            },
        )
        self.controller_port = controller_port

    @property
    def bootstrap(self) -> str:
        return self.process.address

    def start(self, timeout_s: float = 120) -> None:
        require_kafka()
        try:
            self.process.write_config()
            args = [
                "format",
                f"--cluster-id={self.cluster_id}",
                "-c",
                str(self.process.config_path),
            ]
            result = run_tool(STORAGE_TOOL, *args)
            assert result.returncode == 0, f"StorageTool: {result.stderr[-2000:]}"
            self.process.start()
            self._wait(timeout_s)
        except BaseException:
            self.close()
            raise

    def _wait(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            assert self.process.alive, f"Kafka died: {self.process.log_text()[-2000:]}"
            result = run_tool(TOPIC_COMMAND, "--bootstrap-server", self.bootstrap, "--list")
            if result.returncode == 0:
                return
            last = result.stderr[-500:]
            time.sleep(1)
        raise AssertionError(f"Kafka did not serve within {timeout_s} s: {last}")

    def close(self) -> None:
        self.process.kill()
