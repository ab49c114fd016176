"""SASL for Kafka connections: PLAIN and SCRAM-SHA-256/512, server and client side (sans-I/O).

Theory of operation (Kafka's `SaslServerAuthenticator`, KIP-43 / KIP-152):
- A connection on a SASL listener starts unauthenticated. It may send ApiVersions, then must send
  SaslHandshake naming a mechanism. An unknown or disabled mechanism is answered with
  UNSUPPORTED_SASL_MECHANISM and the list of enabled ones, then the connection is closed.
- After SaslHandshake v1 every SASL token travels in a SaslAuthenticate request (v0-2); after
  SaslHandshake v0 the client sends the tokens raw (each a 4-byte size and the token, no request
  header) and receives raw tokens back, as Kafka's legacy clients do.
- PLAIN (RFC 4616) is one token: `authzid NUL username NUL password`; the authorization id must
  be empty or the user name itself. SCRAM (RFC 5802/7677) is two round trips; the `scramp`
  library derives the keys and writes the messages; the client's last message is checked here
  by Kafka's nonce rule (`SaslServer._check_client_final`). Passwords are compared in constant
  time; an unknown user of SCRAM gets a made-up salt, so the answer does not tell which user
  names exist.
- Success: SaslAuthenticate answered with error 0 (SCRAM's last token carries the server's
  proof); from then on the connection is served like a plaintext one. Failure: the answer is
  SASL_AUTHENTICATION_FAILED with Kafka's message, then the connection is closed.
  Anything else before success (another API, a second handshake, SaslAuthenticate before the
  handshake) is ILLEGAL_SASL_STATE and closes the connection.

Credentials come from Kafka's JAAS lines: a server listener's
`listener.name.<listener>.<mechanism>.sasl.jaas.config` (or `sasl.jaas.config`) lists users as
`user_<name>="<password>"` (Kafka's PlainLoginModule convention, used here for SCRAM too since a
pykraft quorum has no metadata store for SCRAM credentials), and `username`/`password` are what
this node presents when it connects to other voters (and what a tool presents, from its
`--command-config`).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scramp import ScramClient, ScramException, ScramMechanism

log = logging.getLogger(__name__)

PLAIN = "PLAIN"
SCRAM_SHA_256 = "SCRAM-SHA-256"
SCRAM_SHA_512 = "SCRAM-SHA-512"
MECHANISMS = (PLAIN, SCRAM_SHA_256, SCRAM_SHA_512)
SCRAM_MECHANISMS = (SCRAM_SHA_256, SCRAM_SHA_512)
# Kafka's minimum SCRAM iteration count, used for every credential made from a JAAS password.
SCRAM_ITERATIONS = 4096
# Kafka's `sasl.server.max.receive.size`: the largest frame accepted before authentication.
UNAUTHENTICATED_FRAME_BYTES_MAX = 524_288

# Kafka's error codes for SASL (wire.errors may not name them all).
UNSUPPORTED_SASL_MECHANISM = 33
ILLEGAL_SASL_STATE = 34
SASL_AUTHENTICATION_FAILED = 58
INVALID_CREDENTIALS = "Authentication failed: Invalid username or password"
PLAIN_INVALID = "Authentication failed: Invalid SASL/PLAIN response: "

_JAAS_OPTION = re.compile(r'([A-Za-z_][\w.-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)')
_JAAS_HEAD = re.compile(r"^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\b", re.I)


class SaslConfigError(Exception):
    """A SASL setting that cannot be used; one line naming the key."""


@dataclass(frozen=True, slots=True)
class JaasEntry:
    login_module: str
    options: Mapping[str, str]


def parse_jaas(text: str, key: str) -> JaasEntry:
    """One JAAS login module line: `<class> required k="v" ...;` (Kafka's `sasl.jaas.config`)."""
    head = _JAAS_HEAD.match(text)
    if head is None:
        raise SaslConfigError(
            f'{key}: expected `<LoginModule class> required key="value" ...;`, got {text[:60]!r}'
        )
    rest = text[head.end() :].strip()
    if not rest.endswith(";"):
        raise SaslConfigError(f"{key}: a JAAS configuration ends with `;`")
    options: dict[str, str] = {}
    for name, raw in _JAAS_OPTION.findall(rest[:-1]):
        value = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\") if raw[0] == '"' else raw
        options[name] = value
    return JaasEntry(head.group(1), options)


@dataclass(frozen=True, slots=True)
class SaslCredentials:
    """What a client presents: mechanism, user name, password."""

    mechanism: str
    username: str
    password: str = field(repr=False)


def credentials_from_jaas(mechanism: str, entry: JaasEntry, key: str) -> SaslCredentials:
    if mechanism not in MECHANISMS:
        raise SaslConfigError(
            f"{key}: SASL mechanism {mechanism!r} is not supported ({', '.join(MECHANISMS)})"
        )
    username = entry.options.get("username")
    password = entry.options.get("password")
    if username is None or password is None:
        raise SaslConfigError(f'{key}: needs username="..." and password="..." for {mechanism}')
    return SaslCredentials(mechanism, username, password)


class SaslServerConfig:
    """A listener's enabled mechanisms and the users each accepts (SCRAM keys derived once)."""

    def __init__(self, users: Mapping[str, Mapping[str, str]]) -> None:
        """`users`: mechanism → {user name: password}; the mechanisms enabled are its keys."""
        self.mechanisms = tuple(m for m in MECHANISMS if m in users)
        self._plain = dict(users.get(PLAIN, {}))
        self._scram: dict[str, tuple[ScramMechanism, dict[str, Any], Any]] = {}
        for mechanism in SCRAM_MECHANISMS:
            if mechanism not in users:
                continue
            scram = ScramMechanism(mechanism)
            infos = {
                name: scram.make_auth_info(password, iteration_count=SCRAM_ITERATIONS)
                for name, password in users[mechanism].items()
            }
            # Answers for an unknown user look like any other (a random salt, fixed per listener).
            decoy = scram.make_auth_info(os.urandom(16).hex(), iteration_count=SCRAM_ITERATIONS)
            self._scram[mechanism] = (scram, infos, decoy)

    def check_plain(self, username: str, password: str) -> bool:
        expected = self._plain.get(username)
        # Compare even for an unknown user, so the time taken does not tell.
        ok = hmac.compare_digest(
            (expected if expected is not None else "\0" + password).encode(), password.encode()
        )
        return ok and expected is not None

    def scram(self, mechanism: str) -> tuple[ScramMechanism, dict[str, Any], Any]:
        return self._scram[mechanism]


class SaslState(enum.Enum):
    HANDSHAKE = "handshake"  # ApiVersions or SaslHandshake expected
    AUTHENTICATE = "authenticate"  # SaslAuthenticate (or a raw token after handshake v0)
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SaslStep:
    """The server's answer to one token: error code (0: fine), message, token to send back."""

    error_code: int
    error_message: str | None = None
    token: bytes = b""

    @property
    def failed(self) -> bool:
        return self.error_code != 0


class SaslServer:
    """The server side of one connection's authentication (see the module docstring)."""

    def __init__(self, config: SaslServerConfig) -> None:
        self._config = config
        self.state = SaslState.HANDSHAKE
        self.mechanism: str | None = None
        self.raw_tokens = False
        self.principal: str | None = None
        self._scram_server: Any = None

    @property
    def complete(self) -> bool:
        return self.state == SaslState.COMPLETE

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return self._config.mechanisms

    def handshake(self, mechanism: str, version: int) -> int:
        """SaslHandshake: the error code to answer (the connection closes unless 0)."""
        if self.state != SaslState.HANDSHAKE:
            self.state = SaslState.FAILED
            return ILLEGAL_SASL_STATE
        if mechanism not in self._config.mechanisms:
            self.state = SaslState.FAILED
            return UNSUPPORTED_SASL_MECHANISM
        self.mechanism = mechanism
        self.raw_tokens = version == 0
        self.state = SaslState.AUTHENTICATE
        return 0

    def authenticate(self, token: bytes) -> SaslStep:
        """One client token; `state` tells whether it completed, failed or needs another."""
        if self.state != SaslState.AUTHENTICATE:
            self.state = SaslState.FAILED
            return SaslStep(ILLEGAL_SASL_STATE, "SaslAuthenticate before SaslHandshake")
        try:
            if self.mechanism == PLAIN:
                return self._plain(token)
            return self._scram(token)
        except (ScramException, UnicodeDecodeError, ValueError, KeyError, IndexError) as exc:
            detail = str(exc).split("\n")[0]
            return self._fail(
                f"Authentication failed: invalid SASL {self.mechanism} message: {detail}"
            )

    def _fail(self, message: str) -> SaslStep:
        self.state = SaslState.FAILED
        return SaslStep(SASL_AUTHENTICATION_FAILED, message)

    def _plain(self, token: bytes) -> SaslStep:
        parts = token.split(b"\0")
        if len(parts) != 3:
            return self._fail(f"{PLAIN_INVALID}expected 3 tokens")
        authzid, username, password = (p.decode("utf-8") for p in parts)
        if not username or not password:
            return self._fail(f"{PLAIN_INVALID}empty user name or password")
        if authzid and authzid != username:
            return self._fail(f"{PLAIN_INVALID}authorization id is not the user")
        if not self._config.check_plain(username, password):
            return self._fail(INVALID_CREDENTIALS)
        self.principal = username
        self.state = SaslState.COMPLETE
        return SaslStep(0)

    def _scram(self, token: bytes) -> SaslStep:
        assert self.mechanism is not None
        scram, infos, decoy = self._config.scram(self.mechanism)
        message = token.decode("utf-8")
        if self._scram_server is None:
            known: list[str] = []

            def auth_info(username: str) -> Any:
                known.append(username)
                return infos.get(username, decoy)

            self._scram_server = scram.make_server(auth_info)
            self._scram_server.set_client_first(message)
            self._username = known[0] if known else ""
            self._auth_info = infos.get(self._username, decoy)
            # "n,," (or "y,,", or with an authzid): what the client binds in its final message.
            flag, authzid, bare = message.split(",", 2)
            self._gs2_header = f"{flag},{authzid},"
            self._client_first_bare = bare
            self._server_first: str = self._scram_server.get_server_first()
            self._server_nonce = self._server_first.split(",", 1)[0].removeprefix("r=")
            return SaslStep(0, token=self._server_first.encode())
        server_final = self._check_client_final(message)
        if server_final is None or self._username not in infos:
            return self._fail(
                "Authentication failed during authentication due to invalid credentials with "
                f"SASL mechanism {self.mechanism}"
            )
        self.principal = self._username
        self.state = SaslState.COMPLETE
        return SaslStep(0, token=server_final.encode())

    def _check_client_final(self, message: str) -> str | None:
        """The server-final message when the client's proof is right, else None.

        Kafka's rule for the nonce, not RFC 5802's letter: the client's nonce must END with the
        server's (librdkafka sends its own nonce again in front of the combined one, and Kafka
        accepts that), so this step is checked here, with scramp's derived keys, instead of by
        scramp's strict `set_client_final`."""
        _salt, stored_key, server_key, _iterations = self._auth_info
        without_proof, sep, proof_text = message.rpartition(",p=")
        attributes = dict(item.split("=", 1) for item in without_proof.split(",") if "=" in item)
        if not sep or "r" not in attributes or "c" not in attributes:
            log.debug("SCRAM client-final refused: malformed")
            return None
        expected_binding = base64.b64encode(self._gs2_header.encode()).decode()
        if attributes["c"] != expected_binding or not attributes["r"].endswith(self._server_nonce):
            log.debug("SCRAM client-final refused: channel binding or nonce")
            return None
        try:
            proof = base64.b64decode(proof_text, validate=True)
        except ValueError:
            return None
        auth_message = ",".join(
            (self._client_first_bare, self._server_first, without_proof)
        ).encode()
        digest = self._config.scram(self.mechanism or "")[0].hf
        client_signature = hmac.new(stored_key, auth_message, digest).digest()
        if len(proof) != len(client_signature):
            return None
        client_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=True))
        if not hmac.compare_digest(hashlib.new(digest().name, client_key).digest(), stored_key):
            log.debug("SCRAM client-final refused: wrong proof")
            return None
        server_signature = hmac.new(server_key, auth_message, digest).digest()
        return "v=" + base64.b64encode(server_signature).decode()


class SaslClient:
    """The client side: `first()` is the first token; `respond(server_token)` the next one, or
    None when done (after checking the server's proof). SaslClientError when the server fails."""

    def __init__(self, credentials: SaslCredentials) -> None:
        self.credentials = credentials
        self._scram: ScramClient | None = None
        self._round = 0

    def first(self) -> bytes:
        creds = self.credentials
        if creds.mechanism == PLAIN:
            return b"\0" + creds.username.encode() + b"\0" + creds.password.encode()
        self._scram = ScramClient([creds.mechanism], creds.username, creds.password)
        first: str = self._scram.get_client_first()
        return first.encode()

    def respond(self, server_token: bytes) -> bytes | None:
        self._round += 1
        if self._scram is None:
            return None
        try:
            if self._round == 1:
                self._scram.set_server_first(server_token.decode("utf-8"))
                final: str = self._scram.get_client_final()
                return final.encode()
            self._scram.set_server_final(server_token.decode("utf-8"))
        except (ScramException, UnicodeDecodeError) as exc:
            raise SaslClientError(f"the server's SCRAM answer is wrong: {exc}") from None
        return None


class SaslClientError(Exception):
    """The server refused us, or proved nothing; one line."""
