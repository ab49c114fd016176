"""Security protocols of connections (Kafka's PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL).

`ListenerSecurity` is what one listener demands of the connections it accepts (a TLS context,
SASL users); `ClientSecurity` is what an outbound connection presents: a voter to the other
voters (the controller listener's protocol, `sasl.mechanism.controller.protocol`), a tool to a
node (its `--command-config` file, Kafka's client keys: `security.protocol`, `ssl.*`,
`sasl.mechanism`, `sasl.jaas.config`). `open_stream` connects with TCP, then TLS when the
protocol says so; SASL runs on top, over Kafka requests (`kraft.shell.sasl`).

The observer library's connections (`kraft.shell.client.connection`) take their security from
the context variable `CLIENT_SECURITY`, set once by a tool or by the server at start, so every
call site that opens a connection (discovery, describe, forwarding) inherits it.
"""

from __future__ import annotations

import contextvars
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import trio

from kraft.shell import tls
from kraft.shell.sasl import (
    MECHANISMS,
    SaslConfigError,
    SaslCredentials,
    credentials_from_jaas,
    parse_jaas,
)

PLAINTEXT = "PLAINTEXT"
SSL = "SSL"
SASL_PLAINTEXT = "SASL_PLAINTEXT"
SASL_SSL = "SASL_SSL"
SECURITY_PROTOCOLS = (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)


class SecurityConfigError(Exception):
    """A security setting that cannot be used; one line naming the key."""


def uses_tls(protocol: str) -> bool:
    return protocol in (SSL, SASL_SSL)


def uses_sasl(protocol: str) -> bool:
    return protocol in (SASL_PLAINTEXT, SASL_SSL)


@dataclass(frozen=True, slots=True)
class ClientSecurity:
    protocol: str = PLAINTEXT
    tls_context: ssl.SSLContext | None = None
    sasl: SaslCredentials | None = None

    @property
    def is_plaintext(self) -> bool:
        return self.protocol == PLAINTEXT


PLAINTEXT_CLIENT = ClientSecurity()
CLIENT_SECURITY: contextvars.ContextVar[ClientSecurity] = contextvars.ContextVar(
    "pykraft_client_security", default=PLAINTEXT_CLIENT
)


async def open_stream(
    host: str, port: int, security: ClientSecurity
) -> trio.SocketStream | trio.SSLStream[trio.SocketStream]:
    """TCP to host:port, then the TLS handshake when the protocol uses TLS (errors: OSError,
    trio.BrokenResourceError with the TLS reason)."""
    stream = await trio.open_tcp_stream(host, port)
    if security.tls_context is None:
        return stream
    wrapped = trio.SSLStream(stream, security.tls_context, server_hostname=host)
    try:
        await wrapped.do_handshake()
    except BaseException:
        await trio.aclose_forcefully(stream)
        raise
    return wrapped


def client_security(
    get: Callable[[str], str | None],
    *,
    protocol: str,
    mechanism_key: str = "sasl.mechanism",
    jaas_keys: Callable[[str], tuple[str, ...]] = lambda mechanism: ("sasl.jaas.config",),
) -> ClientSecurity:
    """ClientSecurity from Kafka's client keys looked up by `get` (None: absent)."""
    if protocol not in SECURITY_PROTOCOLS:
        raise SecurityConfigError(
            f"security.protocol: {protocol!r} is not one of {', '.join(SECURITY_PROTOCOLS)}"
        )
    try:
        context = tls.client_context(tls.tls_settings(get)) if uses_tls(protocol) else None
    except tls.TlsConfigError as exc:
        raise SecurityConfigError(str(exc)) from None
    credentials = None
    if uses_sasl(protocol):
        # Kafka's client default is GSSAPI, which pykraft does not speak: ask for a choice.
        mechanism = (get(mechanism_key) or "").upper()
        if mechanism not in MECHANISMS:
            shown = mechanism or "GSSAPI (the default)"
            raise SecurityConfigError(
                f"{mechanism_key}: {shown} is not supported: set one of {', '.join(MECHANISMS)}"
            )
        for key in jaas_keys(mechanism):
            text = get(key)
            if text:
                break
        else:
            raise SecurityConfigError(
                f"{jaas_keys(mechanism)[0]}: missing (the user name and password to present, "
                f'e.g. {_login_module(mechanism)} required username="u" password="p";)'
            )
        try:
            credentials = credentials_from_jaas(mechanism, parse_jaas(text, key), key)
        except SaslConfigError as exc:
            raise SecurityConfigError(str(exc)) from None
    return ClientSecurity(protocol, context, credentials)


def _login_module(mechanism: str) -> str:
    if mechanism.startswith("SCRAM"):
        return "org.apache.kafka.common.security.scram.ScramLoginModule"
    return "org.apache.kafka.common.security.plain.PlainLoginModule"


def load_command_config(path: Path) -> ClientSecurity:
    """A tool's `--command-config FILE` (Kafka's client properties) → ClientSecurity."""
    import jproperties  # type: ignore[import-untyped,unused-ignore]

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SecurityConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    props = jproperties.Properties()
    try:
        props.load(raw, "utf-8")
    except Exception as exc:  # jproperties raises assorted errors on malformed input
        raise SecurityConfigError(f"{path}: not a valid .properties file: {exc}") from None
    values: Mapping[str, str] = {str(k): str(v.data).strip() for k, v in props.items()}
    protocol = (values.get("security.protocol") or PLAINTEXT).upper()
    try:
        return client_security(lambda key: values.get(key), protocol=protocol)
    except SecurityConfigError as exc:
        raise SecurityConfigError(f"{path}: {exc}") from None
