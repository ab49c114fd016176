"""`kraft.shell.config`: both key spellings, shipped files, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kraft.shell.config import (
    APPEND_LINGER_MS_DEFAULT,
    ConfigError,
    HostPort,
    Listener,
    load_config,
    parse_config,
)

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"

NEW = {
    "node.id": "2",
    "process.roles": "controller",
    "listeners": "PLAINTEXT://localhost:9093",
    "controller.listener.names": "PLAINTEXT",
    "controller.quorum.voters": "1@localhost:9092,2@localhost:9093,3@localhost:9094",
    "log.dirs": "/tmp/raft-logs-2",
}


def test_shipped_single_voter_file() -> None:
    config = load_config(CONFIG_DIR / "raft.properties")
    assert config.node_id == 0
    assert config.voters == {0: HostPort("localhost", 9092)}
    assert config.controller_listener == Listener("PLAINTEXT", "localhost", 9092)
    assert config.partition_dir == Path("/tmp/raft-logs/__cluster_metadata-0")
    assert config.is_voter
    assert config.ignored_keys == ()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_shipped_quorum_files(n: int) -> None:
    config = load_config(CONFIG_DIR / f"raft-quorum-{n}.properties")
    assert config.node_id == n
    assert sorted(config.voters) == [1, 2, 3]
    assert config.voters[n].port == 9091 + n
    assert config.controller_listener.port == 9091 + n
    assert config.metadata_log_dir == Path(f"/tmp/raft-logs-{n}")


def test_seed_era_keys(tmp_path: Path) -> None:
    path = tmp_path / "old.properties"
    path.write_text(
        "broker.id=0\nlisteners=PLAINTEXT://localhost:9092\nquorum.voters=0@localhost:9092\n"
        "log.dirs=/tmp/raft-logs\nzookeeper.connect=localhost:2181\n"
        "quorum.election.timeout.ms=5000\nquorum.append.linger.ms=0\n"
    )
    config = load_config(path)
    assert config.node_id == 0
    assert config.voters == {0: HostPort("localhost", 9092)}
    assert config.election_timeout_ms == 5000
    assert config.append_linger_ms == 0
    assert config.ignored_keys == ()


def test_new_key_wins_and_defaults() -> None:
    config = parse_config(
        {**NEW, "quorum.fetch.timeout.ms": "9", "controller.quorum.fetch.timeout.ms": "7"}
    )
    assert config.fetch_timeout_ms == 7
    assert config.append_linger_ms == APPEND_LINGER_MS_DEFAULT
    assert config.segment_bytes == 1 << 30


def test_unknown_keys_are_listed_not_fatal() -> None:
    config = parse_config({**NEW, "num.network.threads": "3"})
    assert config.ignored_keys == ("num.network.threads",)


def test_metadata_log_dir_wins_over_log_dirs() -> None:
    config = parse_config({**NEW, "log.dirs": "/a,/b", "metadata.log.dir": "/m"})
    assert config.metadata_log_dir == Path("/m")
    assert parse_config({**NEW, "log.dirs": "/a,/b"}).metadata_log_dir == Path("/a")


def test_observer_is_not_voter() -> None:
    assert not parse_config({**NEW, "node.id": "9"}).is_voter


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"listeners": "SSL://localhost:9093", "controller.listener.names": "SSL"},
            "listener SSL uses TLS but has no key store",
        ),
        (
            {"listeners": "PLAINTEXT://localhost:9093,SASL_SSL://localhost:9094"},
            "listener SASL_SSL uses TLS but has no key store",
        ),
        (
            {"listeners": "SASL_PLAINTEXT://localhost:9093", "controller.listener.names": ""},
            "listener SASL_PLAINTEXT is SASL but no mechanism has users",
        ),
        (
            {
                "listeners": "CONTROLLER://localhost:9093",
                "controller.listener.names": "CONTROLLER",
                "listener.security.protocol.map": "CONTROLLER:SSL",
            },
            "listener CONTROLLER uses TLS but has no key store",
        ),
    ],
)
def test_secure_listeners_without_their_keys_are_refused_not_served_as_plaintext(
    change: dict[str, str], problem: str
) -> None:
    values = {k: v for k, v in {**NEW, **change}.items() if v}
    with pytest.raises(ConfigError) as info:
        parse_config(values, source="f.properties")
    text = str(info.value)
    assert text.startswith("f.properties: ") and problem in text and "\n" not in text


def test_plaintext_listener_by_any_name() -> None:
    renamed = {
        "listeners": "CONTROLLER://localhost:9093",
        "controller.listener.names": "CONTROLLER",
    }
    assert parse_config({**NEW, **renamed}).controller_listener.name == "CONTROLLER"
    mapped = {**renamed, "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,SSL:SSL"}
    config = parse_config({**NEW, **mapped})
    assert config.ignored_keys == ()
    with pytest.raises(ConfigError, match=r"'CONTROLLER:TLS' is not NAME:PROTOCOL"):
        parse_config({**NEW, **renamed, "listener.security.protocol.map": "CONTROLLER:TLS"})


def test_small_segments_need_the_min_key() -> None:
    with pytest.raises(ConfigError, match=r"metadata.log.segment.bytes: 4096 is below"):
        parse_config({**NEW, "metadata.log.segment.bytes": "4096"})
    config = parse_config(
        {**NEW, "metadata.log.segment.bytes": "4096", "metadata.log.segment.min.bytes": "1024"}
    )
    assert config.segment_bytes == 4096


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"node.id": None}, r"node.id: missing"),
        ({"node.id": "x"}, r"node.id: expected an integer, got 'x'"),
        ({"node.id": "-1"}, r"node.id: -1 is out of range"),
        ({"listeners": None}, r"listeners: missing"),
        ({"listeners": "localhost:9092"}, r"listeners: 'localhost:9092' is not NAME://host:port"),
        ({"listeners": "PLAINTEXT://localhost:99999"}, r"port 99999 is out of range"),
        ({"controller.listener.names": "CONTROLLER"}, r"'CONTROLLER' is not one of the"),
        ({"controller.quorum.voters": None}, r"controller.quorum.voters: missing"),
        ({"controller.quorum.voters": "1localhost:9092"}, r"is not id@host:port"),
        ({"controller.quorum.voters": "a@localhost:9092"}, r"voter id 'a'"),
        ({"controller.quorum.voters": "1@h:1,1@h:2"}, r"voter id 1 appears twice"),
        ({"controller.quorum.voters": "1@0.0.0.0:9092"}, r"routable host"),
        ({"log.dirs": None}, r"log.dirs: missing"),
        ({"process.roles": "broker"}, r"must include `controller`"),
        ({"process.roles": "controller,chef"}, r"unknown role 'chef'"),
        ({"controller.quorum.election.timeout.ms": "0"}, r"must be positive"),
        ({"controller.quorum.request.timeout.ms": "1e3"}, r"expected an integer"),
    ],
)
def test_errors_are_one_line(change: dict[str, str | None], message: str) -> None:
    values = dict(NEW)
    for key, value in change.items():
        if value is None:
            values.pop(key)
        else:
            values[key] = value
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(values, source="f.properties")
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith("f.properties: ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^Missing configuration file: "):
        load_config(tmp_path / "nope.properties")


def test_properties_syntax(tmp_path: Path) -> None:
    path = tmp_path / "s.properties"
    path.write_text(
        "# comment\n! also a comment\nnode.id : 1\nlisteners = PLAINTEXT://localhost:9092\n"
        "controller.quorum.voters=1@localhost:9092,\\\n    2@localhost:9093\nlog.dirs=/x\n"
    )
    config = load_config(path)
    assert config.node_id == 1
    assert sorted(config.voters) == [1, 2]
