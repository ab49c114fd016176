"""TLS from Kafka's PEM keys: `ssl.SSLContext`s for listeners and for outbound connections.

Kafka's keys (`ssl.keystore.type=PEM`): a key store is either `ssl.keystore.location` (one PEM
file holding the private key and the certificate chain) or the inline pair
`ssl.keystore.certificate.chain` + `ssl.keystore.key`; `ssl.key.password` decrypts an encrypted
key. A trust store is `ssl.truststore.location` (a PEM file of CA certificates) or the inline
`ssl.truststore.certificates`. Java key stores (JKS, PKCS12) are refused with one line: the
standard library reads PEM only.

Inline PEM values may come out of a `.properties` file with their line breaks folded away
(Kafka's documented form continues each line with `\\`, which joins them), so every PEM block is
re-wrapped before the standard library sees it (`normalize_pem`). `ssl.load_cert_chain` reads
only files: an inline key store is written to a private temporary file for the duration of the
call and removed at once.

`ssl.client.auth` (none / requested / required) sets what a listener asks of its clients;
`ssl.endpoint.identification.algorithm` (default `https`, as Kafka) makes outbound connections
check the peer's host name against its certificate; an empty value turns that off.
"""

from __future__ import annotations

import os
import re
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CLIENT_AUTH_MODES = {
    "none": ssl.CERT_NONE,
    "requested": ssl.CERT_OPTIONAL,
    "required": ssl.CERT_REQUIRED,
}
PEM = "PEM"
PEM_LINE_CHARS = 64
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


class TlsConfigError(Exception):
    """A TLS setting that cannot be used; the message names the key (one line)."""


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """The PEM material of one side of a TLS connection, as configured (not yet loaded)."""

    keystore_location: Path | None = None
    keystore_certificate_chain: str | None = None
    keystore_key: str | None = None
    key_password: str | None = None
    truststore_location: Path | None = None
    truststore_certificates: str | None = None
    client_auth: str = "none"
    endpoint_identification: bool = True

    @property
    def has_keystore(self) -> bool:
        return self.keystore_location is not None or self.keystore_certificate_chain is not None


def normalize_pem(text: str) -> str:
    """Every PEM block of `text`, re-wrapped at 64 columns; ValueError when there is none."""
    blocks = []
    for label, body in _PEM_BLOCK.findall(text):
        header_lines = []
        payload = body
        if "Proc-Type:" in body:  # a legacy encrypted key keeps its headers
            head, _, payload = body.strip().partition("\n\n")
            header_lines = [line.strip() for line in head.splitlines() if line.strip()]
        data = "".join(payload.split())
        lines = [data[i : i + PEM_LINE_CHARS] for i in range(0, len(data), PEM_LINE_CHARS)]
        extra = [*header_lines, ""] if header_lines else []
        blocks.append(
            "\n".join([f"-----BEGIN {label}-----", *extra, *lines, f"-----END {label}-----"])
        )
    if not blocks:
        raise ValueError("no PEM block (-----BEGIN ...-----) found")
    return "\n".join(blocks) + "\n"


def _read_pem(path: Path, key: str) -> str:
    try:
        return normalize_pem(path.read_text(encoding="ascii", errors="replace"))
    except OSError as exc:
        raise TlsConfigError(f"{key}: cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise TlsConfigError(f"{key}: {path}: {exc}") from None


def _inline_pem(text: str, key: str) -> str:
    try:
        return normalize_pem(text)
    except ValueError as exc:
        raise TlsConfigError(f"{key}: {exc}") from None


def _load_keystore(context: ssl.SSLContext, settings: TlsSettings) -> None:
    if settings.keystore_location is not None:
        pem = _read_pem(settings.keystore_location, "ssl.keystore.location")
        key_name = "ssl.keystore.location"
    else:
        assert settings.keystore_certificate_chain is not None
        if settings.keystore_key is None:
            raise TlsConfigError(
                "ssl.keystore.key: missing (ssl.keystore.certificate.chain needs its private key)"
            )
        chain = _inline_pem(settings.keystore_certificate_chain, "ssl.keystore.certificate.chain")
        pem = _inline_pem(settings.keystore_key, "ssl.keystore.key") + chain
        key_name = "ssl.keystore.key"
    # load_cert_chain reads files only: a private temporary file, removed at once.
    fd, name = tempfile.mkstemp(prefix="pykraft-keystore-", suffix=".pem")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(pem)
        context.load_cert_chain(name, password=settings.key_password)
    except ssl.SSLError as exc:
        raise TlsConfigError(
            f"{key_name}: cannot load the private key and certificate chain: {exc.reason or exc}"
            " (is ssl.key.password right?)"
        ) from None
    finally:
        os.unlink(name)


def _load_truststore(context: ssl.SSLContext, settings: TlsSettings) -> bool:
    """Trust the configured CAs; False when none is configured."""
    if settings.truststore_location is not None:
        cadata = _read_pem(settings.truststore_location, "ssl.truststore.location")
        key_name = "ssl.truststore.location"
    elif settings.truststore_certificates is not None:
        cadata = _inline_pem(settings.truststore_certificates, "ssl.truststore.certificates")
        key_name = "ssl.truststore.certificates"
    else:
        return False
    try:
        context.load_verify_locations(cadata=cadata)
    except ssl.SSLError as exc:
        raise TlsConfigError(
            f"{key_name}: not usable CA certificates: {exc.reason or exc}"
        ) from None
    return True


def server_context(settings: TlsSettings, listener: str) -> ssl.SSLContext:
    """The context of a TLS listener: its key store, and the trust store for client certificates."""
    if not settings.has_keystore:
        raise TlsConfigError(
            f"listener {listener} uses TLS but has no key store (ssl.keystore.location, or "
            "ssl.keystore.certificate.chain and ssl.keystore.key)"
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_keystore(context, settings)
    trusted = _load_truststore(context, settings)
    context.verify_mode = CLIENT_AUTH_MODES[settings.client_auth]
    if settings.client_auth != "none" and not trusted:
        raise TlsConfigError(
            f"ssl.client.auth: {settings.client_auth} on listener {listener} needs a trust store "
            "(ssl.truststore.location or ssl.truststore.certificates)"
        )
    return context


def client_context(settings: TlsSettings) -> ssl.SSLContext:
    """The context of outbound TLS connections: trust store (else the system's CAs), and the
    key store as the client certificate when one is configured (mutual TLS)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not _load_truststore(context, settings):
        context.load_default_certs()
    if settings.has_keystore:
        _load_keystore(context, settings)
    context.check_hostname = settings.endpoint_identification
    return context


def tls_settings(get: Callable[[str], str | None]) -> TlsSettings:
    """`TlsSettings` from Kafka's `ssl.*` keys, looked up by `get` (which applies any listener
    prefix); TlsConfigError for a key store type other than PEM or a bad `ssl.client.auth`."""
    for type_key in ("ssl.keystore.type", "ssl.truststore.type"):
        kind = (get(type_key) or PEM).upper()
        location_key = type_key.replace(".type", ".location")
        if kind != PEM and get(location_key):
            raise TlsConfigError(
                f"{type_key}: {kind} is not supported: use PEM files ({location_key}) or the "
                "inline PEM keys"
            )
    client_auth = (get("ssl.client.auth") or "none").lower()
    if client_auth not in CLIENT_AUTH_MODES:
        raise TlsConfigError(
            f"ssl.client.auth: {client_auth!r} is not one of {', '.join(CLIENT_AUTH_MODES)}"
        )
    algorithm = get("ssl.endpoint.identification.algorithm")
    keystore_location = get("ssl.keystore.location")
    truststore_location = get("ssl.truststore.location")
    return TlsSettings(
        keystore_location=Path(keystore_location) if keystore_location else None,
        keystore_certificate_chain=get("ssl.keystore.certificate.chain") or None,
        keystore_key=get("ssl.keystore.key") or None,
        key_password=get("ssl.key.password") or None,
        truststore_location=Path(truststore_location) if truststore_location else None,
        truststore_certificates=get("ssl.truststore.certificates") or None,
        client_auth=client_auth,
        # Kafka's default is `https`; an empty value turns the host name check off.
        endpoint_identification=algorithm is None or bool(algorithm),
    )
