"""Throw-away certificates for a secured quorum, made by trustme (never committed keys).

`python -m tests.security.certs DIR` writes, for the README's secured quorum:
- `ca.pem`: the CA every node and client trusts (`ssl.truststore.location`);
- `node.pem`: a node's private key and certificate chain in one PEM file
  (`ssl.keystore.location`, `ssl.keystore.type=PEM`), valid for localhost and 127.0.0.1;
- `client.pem`: a client certificate of the same CA (mutual TLS, `ssl.client.auth=required`);
- `expired.pem` (a node certificate of the same CA that expired yesterday) and `rogue.pem`
  / `rogue-ca.pem` (signed by another CA), for the rejection tests.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization

HOSTS = ("localhost", "127.0.0.1")


def _keystore(leaf: trustme.LeafCert) -> bytes:
    """Key (PKCS#8, the only form Kafka's Java PEM loader reads) then the certificate chain."""
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), password=None)
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pkcs8 + b"".join(blob.bytes() for blob in leaf.cert_chain_pems)


def write_certs(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    rogue_ca = trustme.CA()
    now = datetime.datetime.now(datetime.UTC)
    files = {
        "ca": ca.cert_pem.bytes(),
        "node": _keystore(ca.issue_cert(*HOSTS)),
        "client": _keystore(ca.issue_cert("client", common_name="client")),
        "expired": _keystore(
            ca.issue_cert(
                *HOSTS,
                not_before=now - datetime.timedelta(days=30),
                not_after=now - datetime.timedelta(days=1),
            )
        ),
        "rogue": _keystore(rogue_ca.issue_cert(*HOSTS)),
        "rogue-ca": rogue_ca.cert_pem.bytes(),
    }
    paths = {}
    for name, data in files.items():
        path = directory / f"{name}.pem"
        path.write_bytes(data)
        path.chmod(0o600)
        paths[name] = path
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.security.certs DIR")
    for name, path in write_certs(Path(sys.argv[1])).items():
        print(f"{name}: {path}")
