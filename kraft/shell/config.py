"""Server configuration: a Java `.properties` file → a typed, validated `ServerConfig`.

Both spellings of Kafka's keys are accepted, because the test raft server's history spans them:
the SEED-era names (`broker.id`, `quorum.voters`, `quorum.*.ms`; `zookeeper.connect` was required
then and is accepted and ignored now) and today's (`node.id`, `controller.quorum.voters`,
`controller.quorum.*.ms`, `process.roles`, `controller.listener.names`,
`controller.quorum.bootstrap.servers`). When both spellings of one setting are present the new
one wins. Unknown keys are ignored (Kafka logs them as unknown configs); `ServerConfig.ignored_keys`
lists them so the server warns about each one.

Every listener of `listeners` is served, each with its security protocol (its entry in
`listener.security.protocol.map`, else its name when that is a protocol's): PLAINTEXT, SSL,
SASL_PLAINTEXT or SASL_SSL. Their TLS and SASL settings are Kafka's keys, each first looked up
with the listener's prefix (`listener.name.<listener>.ssl.keystore.location`) and then bare; see
"Security settings" below. A listener whose TLS or SASL material cannot be loaded stops the
start with one line, so a configuration that asks for encryption or authentication never runs
without it.

`cluster.id` (Kafka's name; a Kafka Uuid such as `kafka-storage random-uuid` prints) names the
cluster; without it the log dir's `meta.properties` or a default derived from the voter set applies
(`kraft.shell.meta_properties`). `topic` is the log the node replicates: Kafka's metadata topic,
or Kafka's TestRaftServer's in the Kafka test server mode (`for_kafka_test_server`).

Every problem is reported as one `ConfigError` whose message is a single line naming the file and
the key; the `kraft server` command prints it and exits 2. Parsing uses `jproperties`, so escapes,
line continuations and `:`/`=` separators behave as in Java.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jproperties  # type: ignore[import-untyped,unused-ignore]

from kraft.shell import sasl, security, tls
from kraft.shell.identity import (
    KAFKA_TEST_SERVER_CLUSTER_ID,
    KAFKA_TEST_SERVER_LOG,
    METADATA_LOG,
    TopicIdentity,
    uuid_from_text,
)

METADATA_TOPIC_PARTITION_DIR = METADATA_LOG.directory_name
PORT_MAX = 65535

# Defaults from Kafka's QuorumConfig / KRaftConfigs / SocketServerConfigs (T24).
ELECTION_TIMEOUT_MS_DEFAULT = 1000
FETCH_TIMEOUT_MS_DEFAULT = 2000
ELECTION_BACKOFF_MAX_MS_DEFAULT = 1000
APPEND_LINGER_MS_DEFAULT = 25
REQUEST_TIMEOUT_MS_DEFAULT = 2000
RETRY_BACKOFF_MS_DEFAULT = 20
SEGMENT_BYTES_DEFAULT = 1024 * 1024 * 1024
SEGMENT_MIN_BYTES_DEFAULT = 8 * 1024 * 1024
REQUEST_BYTES_MAX_DEFAULT = 104857600
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SERVED_SECURITY_PROTOCOL = "PLAINTEXT"  # of a listener whose protocol is not named
# Kafka's `connection.failed.authentication.delay.ms` default: a failed client waits this long
# for its answer, so retrying in a loop costs it time and the node nothing but a sleeping task.
FAILED_AUTHENTICATION_DELAY_MS_DEFAULT = 100
# How long a client may take for its TLS handshake and SASL exchange (pykraft's own key,
# `pykraft.authentication.timeout.ms`: Kafka bounds this only by `connections.max.idle.ms`).
AUTHENTICATION_TIMEOUT_MS_DEFAULT = 10_000
METRICS_PORT_NONE = -1
METRICS_HOST_DEFAULT = "127.0.0.1"

# (new key, SEED-era key) for each integer timing setting, in ServerConfig field order.
_TIMING_KEYS: tuple[tuple[str, str, str, int], ...] = (
    (
        "election_timeout_ms",
        "controller.quorum.election.timeout.ms",
        "quorum.election.timeout.ms",
        ELECTION_TIMEOUT_MS_DEFAULT,
    ),
    (
        "fetch_timeout_ms",
        "controller.quorum.fetch.timeout.ms",
        "quorum.fetch.timeout.ms",
        FETCH_TIMEOUT_MS_DEFAULT,
    ),
    (
        "election_backoff_ms_max",
        "controller.quorum.election.backoff.max.ms",
        "quorum.election.backoff.max.ms",
        ELECTION_BACKOFF_MAX_MS_DEFAULT,
    ),
    (
        "append_linger_ms",
        "controller.quorum.append.linger.ms",
        "quorum.append.linger.ms",
        APPEND_LINGER_MS_DEFAULT,
    ),
    (
        "request_timeout_ms",
        "controller.quorum.request.timeout.ms",
        "quorum.request.timeout.ms",
        REQUEST_TIMEOUT_MS_DEFAULT,
    ),
    (
        "retry_backoff_ms",
        "controller.quorum.retry.backoff.ms",
        "quorum.retry.backoff.ms",
        RETRY_BACKOFF_MS_DEFAULT,
    ),
)

# Snapshot schedule and retention (Kafka's KRaftConfigs / MetadataLogConfig names and defaults):
# (key, default, minimum). Retention -1 means unlimited; a snapshot interval of 0 turns time-based
# snapshots off.
_SNAPSHOT_KEYS: tuple[tuple[str, int, int], ...] = (
    ("metadata.log.max.record.bytes.between.snapshots", 20 * 1024 * 1024, 1),
    ("metadata.log.max.snapshot.interval.ms", 3600 * 1000, 0),
    ("metadata.max.retention.bytes", 100 * 1024 * 1024, -1),
    ("metadata.max.retention.ms", 7 * 24 * 3600 * 1000, -1),
    ("metadata.log.segment.ms", 7 * 24 * 3600 * 1000, 1),
)
LONG_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class SnapshotConfig:
    """When the node snapshots its state and what retention deletes (`kraft.shell.snapshotter`).

    `enabled` is False in the Kafka test server mode: Kafka's TestRaftServer never snapshots."""

    bytes_between_snapshots: int = _SNAPSHOT_KEYS[0][1]
    snapshot_interval_ms: int = _SNAPSHOT_KEYS[1][1]
    retention_bytes: int = _SNAPSHOT_KEYS[2][1]
    retention_ms: int = _SNAPSHOT_KEYS[3][1]
    segment_ms: int = _SNAPSHOT_KEYS[4][1]
    enabled: bool = True


def _snapshot_config(values: Mapping[str, str], source: str) -> SnapshotConfig:
    numbers: list[int] = []
    for key, default, minimum in _SNAPSHOT_KEYS:
        text = values.get(key, "").strip()
        try:
            value = int(text, 10) if text else default
        except ValueError:
            raise ConfigError(f"{source}: {key}: expected an integer, got {text!r}") from None
        if not minimum <= value <= LONG_MAX:
            raise ConfigError(f"{source}: {key}: {value} is out of range (at least {minimum})")
        numbers.append(value)
    between, interval_ms, retention_bytes, retention_ms, segment_ms = numbers
    return SnapshotConfig(between, interval_ms, retention_bytes, retention_ms, segment_ms)


KNOWN_KEYS = frozenset(
    {
        "node.id",
        "broker.id",
        "controller.quorum.voters",
        "quorum.voters",
        "controller.quorum.bootstrap.servers",
        "process.roles",
        "controller.listener.names",
        "listeners",
        "advertised.listeners",
        "log.dirs",
        "log.dir",
        "metadata.log.dir",
        "metadata.log.segment.bytes",
        "metadata.log.segment.min.bytes",
        "socket.request.max.bytes",
        "max.connections.per.ip",
        "connections.max.idle.ms",
        "listener.security.protocol.map",
        "zookeeper.connect",
        "cluster.id",
    }
    | {new for _, new, _, _ in _TIMING_KEYS}
    | {old for _, _, old, _ in _TIMING_KEYS}
    | {key for key, _, _ in _SNAPSHOT_KEYS}
)


class ConfigError(Exception):
    """A configuration problem, already phrased as the one line the user will see."""


@dataclass(frozen=True, slots=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Listener:
    """`NAME://host:port`; an empty host means every interface, as in Kafka."""

    name: str
    host: str
    port: int
    protocol: str = SERVED_SECURITY_PROTOCOL


@dataclass(frozen=True, slots=True)
class ServerConfig:
    node_id: int
    listeners: tuple[Listener, ...]
    controller_listener_name: str
    voters: Mapping[int, HostPort]
    bootstrap_servers: tuple[HostPort, ...]
    process_roles: tuple[str, ...]
    metadata_log_dir: Path
    segment_bytes: int
    request_bytes_max: int
    election_timeout_ms: int = ELECTION_TIMEOUT_MS_DEFAULT
    fetch_timeout_ms: int = FETCH_TIMEOUT_MS_DEFAULT
    election_backoff_ms_max: int = ELECTION_BACKOFF_MAX_MS_DEFAULT
    append_linger_ms: int = APPEND_LINGER_MS_DEFAULT
    request_timeout_ms: int = REQUEST_TIMEOUT_MS_DEFAULT
    retry_backoff_ms: int = RETRY_BACKOFF_MS_DEFAULT
    # Inbound connection limits (issue #12); None: kraft.shell.connection's defaults.
    connections_per_ip_max: int | None = None
    connections_idle_ms: int | None = None
    ignored_keys: tuple[str, ...] = field(default=())
    # `cluster.id` as configured (None: from meta.properties or the default, decided at start).
    cluster_id: str | None = None
    topic: TopicIdentity = METADATA_LOG
    # Security and metrics (issue #14): what each listener demands, what this node presents to
    # the other voters, where Prometheus scrapes.
    listener_security: Mapping[str, ListenerSecurity] = field(default_factory=dict)
    controller_client: security.ClientSecurity = security.PLAINTEXT_CLIENT
    failed_authentication_delay_ms: int = FAILED_AUTHENTICATION_DELAY_MS_DEFAULT
    authentication_timeout_ms: int = AUTHENTICATION_TIMEOUT_MS_DEFAULT
    metrics_port: int | None = None
    metrics_host: str = METRICS_HOST_DEFAULT
    snapshots: SnapshotConfig = SnapshotConfig()

    @property
    def partition_dir(self) -> Path:
        """`<metadata log dir>/__cluster_metadata-0` (or the test server's topic), where segments
        and quorum-state live."""
        return self.metadata_log_dir / self.topic.directory_name

    @property
    def is_kafka_test_server(self) -> bool:
        return self.topic == KAFKA_TEST_SERVER_LOG

    @property
    def controller_listener(self) -> Listener:
        for listener in self.listeners:
            if listener.name == self.controller_listener_name:
                return listener
        raise AssertionError("validated at load time")

    @property
    def is_voter(self) -> bool:
        return self.node_id in self.voters


def load_config(path: str | Path) -> ServerConfig:
    """Read and validate `path`; `ConfigError` (one line) on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"Missing configuration file: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    props = jproperties.Properties()
    try:
        props.load(raw, "utf-8")
    except Exception as exc:  # jproperties raises assorted errors on malformed input
        raise ConfigError(f"{path}: not a valid .properties file: {exc}") from None
    values = {str(key): str(value.data).strip() for key, value in props.items()}
    return parse_config(values, source=str(path))


def parse_config(values: Mapping[str, str], *, source: str = "config") -> ServerConfig:
    """Validate already-parsed key/value pairs (what `load_config` does after reading the file)."""
    p = _Parser(values, source)
    node_id = p.either_int("node.id", "broker.id", minimum=0)
    if node_id is None:
        raise p.error("node.id", "missing (the local replica id; `broker.id` is also accepted)")

    roles = p.items("process.roles") or ["controller"]
    for role in roles:
        if role not in ("controller", "broker"):
            raise p.error("process.roles", f"unknown role {role!r} (expected controller, broker)")
    if "controller" not in roles:
        raise p.error("process.roles", "must include `controller` for a raft node")

    listeners = p.listeners("listeners")
    if not listeners:
        raise p.error("listeners", "missing (for example PLAINTEXT://localhost:9092)")
    names = p.items("controller.listener.names")
    controller_name = names[0] if names else listeners[0].name
    if controller_name not in {listener.name for listener in listeners}:
        raise p.error(
            "controller.listener.names", f"{controller_name!r} is not one of the `listeners`"
        )
    listeners = _with_protocols(p, listeners)

    voters_key = "controller.quorum.voters" if "controller.quorum.voters" in values else None
    if voters_key is None and "quorum.voters" in values:
        voters_key = "quorum.voters"
    voters = p.voters(voters_key) if voters_key else {}
    bootstrap = p.host_ports("controller.quorum.bootstrap.servers")
    if not voters:
        raise p.error(
            "controller.quorum.voters",
            "missing (id@host:port,...; `quorum.voters` is also accepted; dynamic voters with only "
            "`controller.quorum.bootstrap.servers` are not supported)",
        )

    log_dir_text = values.get("metadata.log.dir") or ""
    log_dir_key = "metadata.log.dir"
    if not log_dir_text:
        for key in ("log.dirs", "log.dir"):
            dirs = p.items(key)
            if dirs:
                log_dir_text, log_dir_key = dirs[0], key
                break
    if not log_dir_text:
        raise p.error("log.dirs", "missing (the directory that holds __cluster_metadata-0)")
    if "\0" in log_dir_text:
        raise p.error(log_dir_key, "contains a NUL byte")

    segment_min = p.int_value(
        "metadata.log.segment.min.bytes", SEGMENT_MIN_BYTES_DEFAULT, minimum=1
    )
    segment_bytes = p.int_value("metadata.log.segment.bytes", SEGMENT_BYTES_DEFAULT, minimum=1)
    if segment_bytes < segment_min:
        raise p.error(
            "metadata.log.segment.bytes",
            f"{segment_bytes} is below metadata.log.segment.min.bytes ({segment_min})",
        )
    request_bytes_max = p.int_value(
        "socket.request.max.bytes", REQUEST_BYTES_MAX_DEFAULT, minimum=1024
    )

    timings: dict[str, Any] = {}  # ints; Any so the ** below type-checks
    for name, new_key, old_key, default in _TIMING_KEYS:
        value = p.either_int(new_key, old_key, minimum=0)
        timings[name] = default if value is None else value
    if timings["election_timeout_ms"] <= 0:
        raise p.error("controller.quorum.election.timeout.ms", "must be positive")
    if timings["fetch_timeout_ms"] <= 0:
        raise p.error("controller.quorum.fetch.timeout.ms", "must be positive")
    if timings["request_timeout_ms"] <= 0:
        raise p.error("controller.quorum.request.timeout.ms", "must be positive")

    per_ip = p.int_value("max.connections.per.ip", 0, minimum=1) or None  # 0: absent
    idle_ms = p.int_value("connections.max.idle.ms", 0, minimum=1) or None

    cluster_id = values.get("cluster.id") or None
    if cluster_id is not None:
        try:
            uuid_from_text(cluster_id)
        except ValueError as exc:
            hint = "e.g. `kafka-storage random-uuid` prints one"
            raise p.error("cluster.id", f"{exc}; {hint}") from None

    listener_security, controller_client = _security(p, listeners, controller_name)
    delay_ms = p.int_value(
        "connection.failed.authentication.delay.ms",
        FAILED_AUTHENTICATION_DELAY_MS_DEFAULT,
        minimum=0,
    )
    authentication_timeout_ms = p.int_value(
        "pykraft.authentication.timeout.ms", AUTHENTICATION_TIMEOUT_MS_DEFAULT, minimum=1
    )
    metrics_port = p.int_value("metrics.port", METRICS_PORT_NONE, minimum=0)
    if metrics_port > PORT_MAX:
        raise p.error("metrics.port", f"port {metrics_port} is out of range")

    ignored = tuple(sorted(key for key in values if not _known(key)))
    return ServerConfig(
        node_id=node_id,
        listeners=tuple(listeners),
        controller_listener_name=controller_name,
        voters=voters,
        bootstrap_servers=tuple(bootstrap),
        process_roles=tuple(roles),
        metadata_log_dir=Path(log_dir_text),
        segment_bytes=segment_bytes,
        request_bytes_max=request_bytes_max,
        connections_per_ip_max=per_ip,
        connections_idle_ms=idle_ms,
        ignored_keys=ignored,
        cluster_id=cluster_id,
        listener_security=listener_security,
        controller_client=controller_client,
        failed_authentication_delay_ms=delay_ms,
        authentication_timeout_ms=authentication_timeout_ms,
        metrics_port=None if metrics_port == METRICS_PORT_NONE else metrics_port,
        metrics_host=values.get("metrics.host") or METRICS_HOST_DEFAULT,
        snapshots=_snapshot_config(values, source),
        **timings,
    )


def for_kafka_test_server(config: ServerConfig, *, source: str = "config") -> ServerConfig:
    """`config` with the identity of Kafka's TestRaftServer (topic `__raft_performance_test`,
    cluster id `AAAAAAAAAAAAAAAAAAAAAA`); a different `cluster.id` is a `ConfigError`."""
    if config.cluster_id not in (None, KAFKA_TEST_SERVER_CLUSTER_ID):
        raise ConfigError(
            f"{source}: cluster.id: {config.cluster_id} cannot be used in the Kafka test server "
            f"mode, whose cluster id is {KAFKA_TEST_SERVER_CLUSTER_ID} (remove the key)"
        )
    return dataclasses.replace(
        config,
        cluster_id=KAFKA_TEST_SERVER_CLUSTER_ID,
        topic=KAFKA_TEST_SERVER_LOG,
        snapshots=dataclasses.replace(config.snapshots, enabled=False),
    )


# ---- Security settings (issue #14) -------------------------------------------------------------
# Kafka's keys, each looked up first with the listener's prefix `listener.name.<name>.` (Kafka
# lower-cases the listener name there), then bare. SASL users: `user_<name>="<password>"` options
# of the mechanism's JAAS line (`listener.name.<name>.<mechanism>.sasl.jaas.config`, or
# `sasl.jaas.config`); enabled mechanisms: `sasl.enabled.mechanisms`, else every mechanism with a
# JAAS line. A voter connects to the others with the controller listener's protocol, TLS keys and
# `sasl.mechanism.controller.protocol`, presenting the `username`/`password` of that JAAS line.

_KNOWN_PREFIXES = ("ssl.", "sasl.", "listener.name.")
_EXTRA_KNOWN_KEYS = frozenset(
    {
        "connection.failed.authentication.delay.ms",
        "pykraft.authentication.timeout.ms",
        "metrics.port",
        "metrics.host",
        "security.inter.broker.protocol",
        "inter.broker.listener.name",
    }
)


def _known(key: str) -> bool:
    return key in KNOWN_KEYS or key in _EXTRA_KNOWN_KEYS or key.startswith(_KNOWN_PREFIXES)


@dataclass(frozen=True, slots=True)
class ListenerSecurity:
    """What one listener demands: a TLS context (SSL, SASL_SSL) and SASL users (SASL_*)."""

    protocol: str
    tls_settings: tls.TlsSettings | None = None
    # mechanism -> {user name: password}; the mechanisms enabled are its keys.
    sasl_users: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _with_protocols(p: _Parser, listeners: list[Listener]) -> list[Listener]:
    """Each listener with its security protocol (`listener.security.protocol.map`, else its
    name when that names a protocol, else PLAINTEXT as Kafka's controller listeners)."""
    map_key = "listener.security.protocol.map"
    protocols: dict[str, str] = {}
    for item in p.items(map_key):
        name, sep, protocol = item.partition(":")
        if not sep or not name or protocol.upper() not in SECURITY_PROTOCOLS:
            raise p.error(
                map_key, f"{item!r} is not NAME:PROTOCOL ({', '.join(SECURITY_PROTOCOLS)})"
            )
        protocols[name] = protocol.upper()
    out = []
    for listener in listeners:
        default = listener.name if listener.name in SECURITY_PROTOCOLS else SERVED_SECURITY_PROTOCOL
        out.append(dataclasses.replace(listener, protocol=protocols.get(listener.name, default)))
    return out


def _getter(values: Mapping[str, str], listener: str) -> Callable[[str], str | None]:
    prefix = f"listener.name.{listener.lower()}."

    def get(key: str) -> str | None:
        for candidate in (prefix + key, key):
            value = values.get(candidate)
            if value is not None and value != "":
                return value
        return None

    return get


def _jaas_keys(listener: str, mechanism: str) -> tuple[str, ...]:
    return (
        f"listener.name.{listener.lower()}.{mechanism.lower()}.sasl.jaas.config",
        "sasl.jaas.config",
    )


def _security(
    p: _Parser, listeners: list[Listener], controller_name: str
) -> tuple[dict[str, ListenerSecurity], security.ClientSecurity]:
    by_listener: dict[str, ListenerSecurity] = {}
    for listener in listeners:
        get = _getter(p.values, listener.name)
        settings = None
        if security.uses_tls(listener.protocol):
            try:
                settings = tls.tls_settings(get)
                tls.server_context(settings, listener.name)  # fail at start, with one line
            except tls.TlsConfigError as exc:
                raise p.error(f"listener {listener.name}", str(exc)) from None
        users: dict[str, dict[str, str]] = {}
        if security.uses_sasl(listener.protocol):
            users = _sasl_users(p, listener.name, get)
        by_listener[listener.name] = ListenerSecurity(listener.protocol, settings, users)

    controller = next(lst for lst in listeners if lst.name == controller_name)
    try:
        client = security.client_security(
            _getter(p.values, controller_name),
            protocol=controller.protocol,
            mechanism_key="sasl.mechanism.controller.protocol",
            jaas_keys=lambda mechanism: _jaas_keys(controller_name, mechanism),
        )
    except security.SecurityConfigError as exc:
        raise p.error(f"listener {controller_name} (to other voters)", str(exc)) from None
    return by_listener, client


def _sasl_users(
    p: _Parser, listener: str, get: Callable[[str], str | None]
) -> dict[str, dict[str, str]]:
    enabled_text = get("sasl.enabled.mechanisms")
    enabled = [m.strip().upper() for m in (enabled_text or "").split(",") if m.strip()]
    for mechanism in enabled:
        if mechanism not in sasl.MECHANISMS:
            raise p.error(
                f"listener.name.{listener.lower()}.sasl.enabled.mechanisms",
                f"{mechanism} is not supported ({', '.join(sasl.MECHANISMS)})",
            )
    users: dict[str, dict[str, str]] = {}
    for mechanism in enabled or sasl.MECHANISMS:
        keys = _jaas_keys(listener, mechanism)
        text, key = next(((p.values[k], k) for k in keys if p.values.get(k)), (None, keys[0]))
        if text is None:
            if enabled:
                raise p.error(keys[0], f"missing: the users of {mechanism} on {listener}")
            continue
        try:
            entry = sasl.parse_jaas(text, key)
        except sasl.SaslConfigError as exc:
            raise p.error(key, str(exc)) from None
        found = {k[len("user_") :]: v for k, v in entry.options.items() if k.startswith("user_")}
        if not found and enabled:
            raise p.error(
                key, f'no user_<name>="<password>" option: nobody could log in to {listener}'
            )
        if found:
            users[mechanism] = found
    if not users:
        raise p.error(
            _jaas_keys(listener, sasl.PLAIN)[0],
            f"listener {listener} is SASL but no mechanism has users "
            '(e.g. ...PlainLoginModule required user_alice="secret";)',
        )
    return users


class _Parser:
    def __init__(self, values: Mapping[str, str], source: str) -> None:
        self.values = values
        self.source = source

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key}: {problem}")

    def int_value(self, key: str, default: int, *, minimum: int) -> int:
        text = self.values.get(key, "")
        if not text:
            return default
        return self._to_int(key, text, minimum)

    def either_int(self, new_key: str, old_key: str, *, minimum: int) -> int | None:
        for key in (new_key, old_key):
            text = self.values.get(key, "")
            if text:
                return self._to_int(key, text, minimum)
        return None

    def _to_int(self, key: str, text: str, minimum: int) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise self.error(key, f"expected an integer, got {text!r}") from None
        if value < minimum or value > 2**31 - 1:
            raise self.error(key, f"{value} is out of range (at least {minimum})")
        return value

    def items(self, key: str) -> list[str]:
        text = self.values.get(key, "")
        return [item.strip() for item in text.split(",") if item.strip()]

    def _host_port(self, key: str, text: str) -> HostPort:
        host, sep, port_text = text.rpartition(":")
        if not sep or not port_text.isdigit():
            raise self.error(key, f"{text!r} is not host:port")
        port = int(port_text)
        if port > PORT_MAX:
            raise self.error(key, f"port {port} is out of range in {text!r}")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        return HostPort(host, port)

    def host_ports(self, key: str) -> list[HostPort]:
        return [self._host_port(key, item) for item in self.items(key)]

    def voters(self, key: str) -> dict[int, HostPort]:
        voters: dict[int, HostPort] = {}
        for item in self.items(key):
            id_text, sep, address = item.partition("@")
            if not sep:
                raise self.error(key, f"{item!r} is not id@host:port")
            try:
                voter_id = int(id_text, 10)
            except ValueError:
                problem = f"voter id {id_text!r} in {item!r} is not an integer"
                raise self.error(key, problem) from None
            if voter_id < 0:
                raise self.error(key, f"voter id {voter_id} is negative")
            if voter_id in voters:
                raise self.error(key, f"voter id {voter_id} appears twice")
            endpoint = self._host_port(key, address)
            if not endpoint.host or endpoint.host == "0.0.0.0":
                raise self.error(key, f"voter {voter_id} needs a routable host, not {address!r}")
            if endpoint.port == 0:
                raise self.error(key, f"voter {voter_id} has port 0")
            voters[voter_id] = endpoint
        return voters

    def listeners(self, key: str) -> list[Listener]:
        listeners: list[Listener] = []
        for item in self.items(key):
            name, sep, address = item.partition("://")
            if not sep or not name:
                raise self.error(key, f"{item!r} is not NAME://host:port")
            endpoint = self._host_port(key, address)
            if any(listener.name == name for listener in listeners):
                raise self.error(key, f"listener name {name!r} appears twice")
            listeners.append(Listener(name, endpoint.host, endpoint.port))
        return listeners
