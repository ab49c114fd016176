"""SASL server and client state machines (kraft.shell.sasl): PLAIN, SCRAM-SHA-256/512."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from kraft.shell.sasl import (
    ILLEGAL_SASL_STATE,
    MECHANISMS,
    PLAIN,
    SASL_AUTHENTICATION_FAILED,
    SCRAM_SHA_256,
    SCRAM_SHA_512,
    UNSUPPORTED_SASL_MECHANISM,
    SaslClient,
    SaslConfigError,
    SaslCredentials,
    SaslServer,
    SaslServerConfig,
    SaslState,
    parse_jaas,
)

USERS = {"alice": "alice-secret", "bob": 'b"ob'}


def _login(mechanism: str, username: str, password: str) -> tuple[SaslServer, list[int]]:
    server = SaslServer(SaslServerConfig({mechanism: USERS}))
    assert server.handshake(mechanism, 1) == 0
    client = SaslClient(SaslCredentials(mechanism, username, password))
    codes = []
    token: bytes | None = client.first()
    while token is not None:
        step = server.authenticate(token)
        codes.append(step.error_code)
        if step.failed:
            break
        token = client.respond(step.token)
    return server, codes


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_right_password_authenticates(mechanism: str) -> None:
    server, codes = _login(mechanism, "alice", "alice-secret")
    assert server.complete and server.principal == "alice"
    assert codes == ([0] if mechanism == PLAIN else [0, 0])


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize(("username", "password"), [("alice", "wrong"), ("mallory", "x")])
def test_wrong_password_or_unknown_user_fails(mechanism: str, username: str, password: str) -> None:
    server, codes = _login(mechanism, username, password)
    assert server.state == SaslState.FAILED and server.principal is None
    assert codes[-1] == SASL_AUTHENTICATION_FAILED


def test_unknown_user_of_scram_gets_a_server_first_like_anyone_else() -> None:
    """A made-up salt and the same iteration count: the answer does not tell who exists."""
    firsts = []
    for username in ("alice", "mallory"):
        server = SaslServer(SaslServerConfig({SCRAM_SHA_256: USERS}))
        server.handshake(SCRAM_SHA_256, 1)
        first = SaslClient(SaslCredentials(SCRAM_SHA_256, username, "x")).first()
        firsts.append(server.authenticate(first))
    assert all(not step.failed for step in firsts)
    assert [step.token.split(b",")[2] for step in firsts] == [b"i=4096", b"i=4096"]


def test_scram_accepts_librdkafka_nonce_as_kafka_does() -> None:
    """librdkafka puts its own nonce again in front of the combined nonce; Kafka accepts a
    client nonce that ENDS with the server's, and so must we (kcat, confluent-kafka)."""
    server = SaslServer(SaslServerConfig({SCRAM_SHA_512: USERS}))
    server.handshake(SCRAM_SHA_512, 1)
    c_nonce = "fyko+d2lbbFgONRv9qkxdawL"
    bare = f"n=alice,r={c_nonce}"
    server_first = server.authenticate(f"n,,{bare}".encode()).token.decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    salted = hashlib.pbkdf2_hmac(
        "sha512", b"alice-secret", base64.b64decode(fields["s"]), int(fields["i"])
    )
    client_key = hmac.new(salted, b"Client Key", "sha512").digest()
    without_proof = f"c=biws,r={c_nonce}{fields['r']}"  # librdkafka's doubled nonce
    auth_message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha512(client_key).digest(), auth_message, "sha512").digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True)))
    step = server.authenticate(f"{without_proof},p={proof.decode()}".encode())
    assert not step.failed and server.complete
    server_key = hmac.new(salted, b"Server Key", "sha512").digest()
    expected = base64.b64encode(hmac.new(server_key, auth_message, "sha512").digest())
    assert step.token == b"v=" + expected


def test_scram_refuses_a_nonce_that_is_not_the_servers() -> None:
    server = SaslServer(SaslServerConfig({SCRAM_SHA_256: USERS}))
    server.handshake(SCRAM_SHA_256, 1)
    server.authenticate(b"n,,n=alice,r=abc")
    step = server.authenticate(b"c=biws,r=abcNOTTHESERVERS,p=AAAA")
    assert step.error_code == SASL_AUTHENTICATION_FAILED


def test_handshake_with_a_disabled_mechanism_lists_the_enabled_ones() -> None:
    server = SaslServer(SaslServerConfig({PLAIN: USERS}))
    assert server.handshake(SCRAM_SHA_512, 1) == UNSUPPORTED_SASL_MECHANISM
    assert server.mechanisms == (PLAIN,) and server.state == SaslState.FAILED


def test_out_of_order_is_illegal_sasl_state() -> None:
    server = SaslServer(SaslServerConfig({PLAIN: USERS}))
    assert server.authenticate(b"\0alice\0alice-secret").error_code == ILLEGAL_SASL_STATE
    second = SaslServer(SaslServerConfig({PLAIN: USERS}))
    second.handshake(PLAIN, 1)
    assert second.handshake(PLAIN, 1) == ILLEGAL_SASL_STATE


def test_handshake_v0_means_raw_tokens() -> None:
    server = SaslServer(SaslServerConfig({PLAIN: USERS}))
    server.handshake(PLAIN, 0)
    assert server.raw_tokens
    assert not server.authenticate(b"\0alice\0alice-secret").failed and server.complete


@pytest.mark.parametrize(
    "token",
    [b"", b"alice\0alice-secret", b"bob\0alice\0alice-secret", b"\0alice\0", b"\xff\0a\0b"],
)
def test_malformed_plain_tokens_fail(token: bytes) -> None:
    server = SaslServer(SaslServerConfig({PLAIN: USERS}))
    server.handshake(PLAIN, 1)
    assert server.authenticate(token).error_code == SASL_AUTHENTICATION_FAILED


@pytest.mark.parametrize("token", [b"", b"garbage", b"n,,", b"\xff\xfe", b"y,,n=a,r=b,m=x"])
def test_malformed_scram_tokens_fail_without_an_exception(token: bytes) -> None:
    server = SaslServer(SaslServerConfig({SCRAM_SHA_256: USERS}))
    server.handshake(SCRAM_SHA_256, 1)
    step = server.authenticate(token)
    if not step.failed:  # a well-formed first message: the final one is garbage
        step = server.authenticate(token)
    assert step.error_code == SASL_AUTHENTICATION_FAILED


def test_jaas_lines_as_kafka_writes_them() -> None:
    entry = parse_jaas(
        'org.apache.kafka.common.security.plain.PlainLoginModule required\n  username="admin" '
        'password="a;b\\"c" user_admin="x" user_bob=plain;',
        "k",
    )
    assert entry.login_module.endswith("PlainLoginModule")
    assert entry.options == {
        "username": "admin",
        "password": 'a;b"c',
        "user_admin": "x",
        "user_bob": "plain",
    }
    with pytest.raises(SaslConfigError, match="k: a JAAS configuration ends with"):
        parse_jaas('x.Module required a="b"', "k")
    with pytest.raises(SaslConfigError, match="k: expected"):
        parse_jaas('username="b";', "k")
