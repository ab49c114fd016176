"""Read N committed records of `__cluster_metadata` with a real client over a secured listener.

`python -m tests.security.read_client CLIENT BOOTSTRAP PROTOCOL MECHANISM CERTS COUNT`
(CLIENT: kafka-python or confluent-kafka; MECHANISM: `-` for none). Prints the offsets read,
one per line; exits 1 with the client's error when it cannot read them within 30 s.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

from tests.security.quorum import PASSWORD, USER

TOPIC = "__cluster_metadata"
DEADLINE_S = 30


def kafka_python(
    bootstrap: str, protocol: str, mechanism: str | None, certs: Path, count: int
) -> list[int]:
    warnings.simplefilter("ignore")
    from kafka import KafkaConsumer, TopicPartition

    options: dict[str, object] = {"security_protocol": protocol}
    if "SSL" in protocol:
        options["ssl_cafile"] = str(certs / "ca.pem")
        options["ssl_check_hostname"] = True
    if protocol == "SSL":
        options["ssl_certfile"] = str(certs / "client.pem")
        options["ssl_keyfile"] = str(certs / "client.pem")
    if mechanism is not None:
        options.update(
            sasl_mechanism=mechanism, sasl_plain_username=USER, sasl_plain_password=PASSWORD
        )
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=DEADLINE_S * 1000,
        **options,
    )
    partition = TopicPartition(TOPIC, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning()
    offsets = []
    for message in consumer:
        offsets.append(message.offset)
        if len(offsets) >= count:
            break
    consumer.close()
    return offsets


def confluent(
    bootstrap: str, protocol: str, mechanism: str | None, certs: Path, count: int
) -> list[int]:
    from confluent_kafka import Consumer, TopicPartition

    config: dict[str, object] = {
        "bootstrap.servers": bootstrap,
        "group.id": "unused",
        "enable.auto.commit": False,
        "security.protocol": protocol,
    }
    if "SSL" in protocol:
        config["ssl.ca.location"] = str(certs / "ca.pem")
    if protocol == "SSL":
        config["ssl.certificate.location"] = str(certs / "client.pem")
        config["ssl.key.location"] = str(certs / "client.pem")
    if mechanism is not None:
        config.update(
            {"sasl.mechanisms": mechanism, "sasl.username": USER, "sasl.password": PASSWORD}
        )
    consumer = Consumer(config)
    consumer.assign([TopicPartition(TOPIC, 0, 0)])
    offsets: list[int] = []
    deadline = time.monotonic() + DEADLINE_S
    while len(offsets) < count and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            print(message.error(), file=sys.stderr)
            continue
        offsets.append(message.offset())
    consumer.close()
    return offsets


def main() -> int:
    client, bootstrap, protocol, mechanism_text, certs_text, count_text = sys.argv[1:]
    mechanism = None if mechanism_text == "-" else mechanism_text
    read = {"kafka-python": kafka_python, "confluent-kafka": confluent}[client]
    offsets = read(bootstrap, protocol, mechanism, Path(certs_text), int(count_text))
    print("\n".join(str(offset) for offset in offsets))
    return 0 if len(offsets) >= int(count_text) else 1


if __name__ == "__main__":
    sys.exit(main())
