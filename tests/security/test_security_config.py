"""Listener, TLS and SASL settings from Kafka's keys (kraft.shell.config, tls, security)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from kraft.shell.config import ConfigError, parse_config
from kraft.shell.security import SecurityConfigError, load_command_config
from kraft.shell.tls import TlsSettings, client_context, normalize_pem, server_context
from tests.security.certs import write_certs

ROOT = Path(__file__).resolve().parents[2]
BASE = {
    "node.id": "1",
    "controller.quorum.voters": "1@localhost:9092",
    "log.dirs": "/tmp/x",
}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_certs(tmp_path_factory.mktemp("certs"))


def _properties(path: Path, certs: dict[str, Path]) -> dict[str, str]:
    """A shipped config file with its certificate paths pointed at `certs`."""
    import jproperties  # type: ignore[import-untyped]

    text = path.read_text().replace("/tmp/pykraft-certs", str(certs["ca"].parent))
    props = jproperties.Properties()
    props.load(text.encode(), "utf-8")
    return {str(k): str(v.data).strip() for k, v in props.items()}


def test_the_shipped_secured_quorum_files_parse(certs: dict[str, Path]) -> None:
    for n in (1, 2, 3):
        config = parse_config(_properties(ROOT / f"config/secure-quorum-{n}.properties", certs))
        assert [(lst.name, lst.protocol) for lst in config.listeners] == [
            ("CONTROLLER", "SASL_SSL"),
            ("LOCAL", "PLAINTEXT"),
        ]
        controller = config.listener_security["CONTROLLER"]
        assert set(controller.sasl_users) == {"PLAIN", "SCRAM-SHA-512"}
        assert controller.sasl_users["SCRAM-SHA-512"] == {
            "controller": "controller-secret",
            "alice": "alice-secret",
        }
        client = config.controller_client
        assert client.protocol == "SASL_SSL" and client.tls_context is not None
        assert client.sasl is not None and client.sasl.mechanism == "SCRAM-SHA-512"
        assert (client.sasl.username, client.sasl.password) == ("controller", "controller-secret")
        assert config.metrics_port == 9191 + n and not config.ignored_keys


def test_inline_pem_keys_folded_by_a_properties_file(certs: dict[str, Path]) -> None:
    """Kafka's inline form: `ssl.keystore.certificate.chain=-----BEGIN ... \\` lines joined."""
    pem = certs["node"].read_text()
    key, _, chain = pem.partition("-----END PRIVATE KEY-----\n")
    key += "-----END PRIVATE KEY-----\n"

    def folded(text: str) -> str:
        return " ".join(text.split("\n"))

    values = {
        **BASE,
        "listeners": "SSL://localhost:9092",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.certificate.chain": folded(chain),
        "ssl.keystore.key": folded(key),
        "ssl.truststore.certificates": folded(certs["ca"].read_text()),
        "ssl.client.auth": "required",
    }
    settings = parse_config(values).listener_security["SSL"].tls_settings
    assert settings is not None
    context = server_context(settings, "SSL")
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert normalize_pem(folded(key)) == key


def test_listener_prefix_wins_over_the_bare_key(certs: dict[str, Path]) -> None:
    values = {
        **BASE,
        "listeners": "SSL://localhost:9092,PLAIN2://localhost:9093",
        "listener.security.protocol.map": "SSL:SSL,PLAIN2:SSL",
        "controller.listener.names": "SSL",
        "ssl.keystore.location": str(certs["node"]),
        "ssl.client.auth": "none",
        "ssl.truststore.location": str(certs["ca"]),
        "listener.name.plain2.ssl.client.auth": "requested",
    }
    security = parse_config(values).listener_security
    assert security["SSL"].tls_settings is not None
    assert security["SSL"].tls_settings.client_auth == "none"
    assert security["PLAIN2"].tls_settings is not None
    assert security["PLAIN2"].tls_settings.client_auth == "requested"


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"ssl.keystore.type": "JKS"}, "ssl.keystore.type: JKS is not supported"),
        ({"ssl.client.auth": "maybe"}, "ssl.client.auth: 'maybe' is not one of"),
        ({"ssl.keystore.location": "/nonexistent/node.pem"}, "cannot read /nonexistent"),
        ({"ssl.truststore.certificates": "not a pem"}, "no PEM block"),
    ],
)
def test_unusable_tls_settings_are_one_line(
    certs: dict[str, Path], extra: dict[str, str], problem: str
) -> None:
    values = {
        **BASE,
        "listeners": "SSL://localhost:9092",
        "ssl.keystore.location": str(certs["node"]),
    }
    with pytest.raises(ConfigError) as info:
        parse_config({**values, **extra})
    assert problem in str(info.value) and "\n" not in str(info.value)


def test_a_sasl_controller_listener_needs_a_mechanism_pykraft_speaks() -> None:
    values = {
        **BASE,
        "listeners": "SASL_PLAINTEXT://localhost:9092",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": (
            'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";'
        ),
    }
    with pytest.raises(ConfigError, match=r"sasl.mechanism.controller.protocol: GSSAPI \(the"):
        parse_config(values)
    with pytest.raises(ConfigError, match="needs username="):
        parse_config({**values, "sasl.mechanism.controller.protocol": "PLAIN"})
    ok = parse_config(
        {
            **values,
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": (
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                'username="a" password="b" user_a="b";'
            ),
        }
    )
    assert ok.controller_client.sasl is not None
    assert ok.listener_security["SASL_PLAINTEXT"].sasl_users == {"PLAIN": {"a": "b"}}


def test_command_config_files(certs: dict[str, Path], tmp_path: Path) -> None:
    shipped = _properties(ROOT / "config/client-sasl-ssl.properties", certs)
    path = tmp_path / "client.properties"
    path.write_text("".join(f"{k}={v}\n" for k, v in shipped.items()))
    security = load_command_config(path)
    assert security.protocol == "SASL_SSL" and security.sasl is not None
    assert isinstance(security.tls_context, ssl.SSLContext)
    assert security.tls_context.check_hostname  # Kafka's default `https` identification
    path.write_text("security.protocol=SASL_SSL\nsasl.mechanism=OAUTHBEARER\n")
    with pytest.raises(SecurityConfigError, match="OAUTHBEARER is not supported"):
        load_command_config(path)
    with pytest.raises(SecurityConfigError, match="cannot read"):
        load_command_config(tmp_path / "missing.properties")


def test_client_context_without_hostname_check(certs: dict[str, Path]) -> None:
    context = client_context(
        TlsSettings(truststore_location=certs["ca"], endpoint_identification=False)
    )
    assert not context.check_hostname
