"""`kraft decode` on real capture shapes: 0x hex, xxd, hexdump -C, tcpdump -X, pcap, proxy saves."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import dpkt
import pytest

from kraft.cli import main
from kraft.cli.decode import decode_frame
from wire import headers
from wire.messages.metadata import MetadataRequest, MetadataResponse
from wire.messages.produce import ProduceRequest
from wire.messages.vote import VoteRequest

VOTE = headers.encode_request(52, 2, 11, "raft-client-1", VoteRequest(cluster_id="abc", voter_id=2))
METADATA_REQUEST = headers.encode_request(3, 12, 7, "app", MetadataRequest(topics=None))
B = MetadataResponse.MetadataResponseBroker
METADATA_RESPONSE = headers.encode_response(
    3,
    12,
    7,
    MetadataResponse(brokers=[B(node_id=1, host="h", port=9092)], error_code=0, topics=[]),
)
ERROR_RESPONSE = headers.encode_response(
    3,
    12,
    8,
    MetadataResponse(topics=[MetadataResponse.MetadataResponseTopic(error_code=3, name="x")]),
)
ERROR_REQUEST = headers.encode_request(3, 12, 8, "app", MetadataRequest(topics=None))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["decode", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_0x_prefixed_hex_and_readable_output(capsys: pytest.CaptureFixture[str]) -> None:
    spaced = " ".join(f"0x{b:02x}," for b in VOTE)
    code, out, err = _run(capsys, spaced, "0x" + VOTE.hex())
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    assert lines[0].startswith("Vote v2 request correlation 11 client raft-client-1: {")


def test_response_errors_are_named_in_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--response", "--api-key", "Metadata", "--api-version", "12", ERROR_RESPONSE.hex())
    code, out, _ = _run(capsys, *args)
    assert code == 0 and '"error_code":"3 UNKNOWN_TOPIC_OR_PARTITION"' in out
    code, out, _ = _run(capsys, "--json", *args)
    assert json.loads(out)["errors"] == ["UNKNOWN_TOPIC_OR_PARTITION"]


@pytest.mark.parametrize("tool", [["xxd"], ["hexdump", "-C"]])
def test_xxd_and_hexdump_dumps(
    tool: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if shutil.which(tool[0]) is None:
        pytest.skip(f"{tool[0]} is not installed")
    # a run of frames with a long zero stretch (hexdump collapses repeated lines into `*`)
    padded = headers.encode_request(52, 2, 12, "x" * 80, VoteRequest(cluster_id="\0" * 64))
    blob = tmp_path / "frames.bin"
    dumps = ""
    for data in (VOTE, VOTE + padded):
        blob.write_bytes(data)
        dumps += subprocess.run(
            [*tool, str(blob)], capture_output=True, text=True, check=True
        ).stdout
    _stdin(monkeypatch, dumps)
    code, out, err = _run(capsys, "--json")
    assert code == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["header"]["correlation_id"] for o in objs] == [11, 11, 12]
    assert objs[2]["body"]["cluster_id"] == "\0" * 64


def _tcp_segments(
    client: tuple[str, int], server: tuple[str, int], stream_up: bytes, stream_down: bytes
) -> list[bytes]:
    """IPv4 packets of one connection: SYN, the client's bytes cut small and out of order with
    a retransmission, then the server's."""

    def packet(
        src: tuple[str, int], dst: tuple[str, int], seq: int, flags: int, data: bytes
    ) -> bytes:
        tcp = dpkt.tcp.TCP(sport=src[1], dport=dst[1], seq=seq, flags=flags, data=data)
        ip = dpkt.ip.IP(
            src=bytes(map(int, src[0].split("."))),
            dst=bytes(map(int, dst[0].split("."))),
            p=dpkt.ip.IP_PROTO_TCP,
            data=tcp,
        )
        ip.len = len(bytes(ip))
        return bytes(ip)

    up_isn, down_isn = 0xFFFFFF00, 5000  # the client's sequence numbers wrap around
    out = [
        packet(client, server, up_isn, dpkt.tcp.TH_SYN, b""),
        packet(server, client, down_isn, dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK, b""),
    ]
    pieces = [(i, stream_up[i : i + 10]) for i in range(0, len(stream_up), 10)]
    pieces[1], pieces[2] = pieces[2], pieces[1]
    pieces.insert(4, pieces[0])
    for offset, data in pieces:
        out.append(packet(client, server, (up_isn + 1 + offset) % (1 << 32), dpkt.tcp.TH_ACK, data))
    for offset in range(0, len(stream_down), 25):
        out.append(
            packet(
                server,
                client,
                down_isn + 1 + offset,
                dpkt.tcp.TH_ACK,
                stream_down[offset : offset + 25],
            )
        )
    return out


def test_pcap_streams_pair_responses_with_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    up = METADATA_REQUEST + ERROR_REQUEST
    down = METADATA_RESPONSE + ERROR_RESPONSE
    path = tmp_path / "kafka.pcap"
    with path.open("wb") as f:
        writer = dpkt.pcap.Writer(f, linktype=dpkt.pcap.DLT_EN10MB)
        for i, ip in enumerate(_tcp_segments(("127.0.0.1", 50000), ("127.0.0.2", 9092), up, down)):
            eth = dpkt.ethernet.Ethernet(type=dpkt.ethernet.ETH_TYPE_IP, data=ip)
            writer.writepkt(bytes(eth), ts=1.0 + i / 1000)
    code, out, err = _run(capsys, "--pcap", str(path))
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    assert "Metadata v12" in lines[0] and "all topics → 1 brokers, 0 topics" in lines[0]
    assert "UNKNOWN_TOPIC_OR_PARTITION" in lines[1]
    code, out, _ = _run(capsys, "--pcap", str(path), "--json")
    first = json.loads(out.splitlines()[0])
    assert (
        first["client"] == "127.0.0.1:50000"
        and first["response"]["body"]["brokers"][0]["port"] == 9092
    )


def test_tcpdump_x_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = []
    packets = _tcp_segments(
        ("10.0.0.1", 40000), ("10.0.0.2", 9092), METADATA_REQUEST, METADATA_RESPONSE
    )
    for n, ip in enumerate(packets):
        parsed = dpkt.ip.IP(ip)
        src = ".".join(map(str, parsed.src)) + f".{parsed.data.sport}"
        dst = ".".join(map(str, parsed.dst)) + f".{parsed.data.dport}"
        lines.append(
            f"12:00:00.{n:06d} IP {src} > {dst}: Flags [P.], length {len(parsed.data.data)}"
        )
        for offset in range(0, len(ip), 16):
            row = ip[offset : offset + 16]
            groups = " ".join(row[i : i + 2].hex() for i in range(0, len(row), 2))
            ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
            lines.append(f"\t0x{offset:04x}:  {groups:<40}  {ascii_}")
    _stdin(monkeypatch, "\n".join(lines) + "\n")
    code, out, err = _run(capsys)
    assert code == 0, err
    (line,) = out.splitlines()
    assert "Metadata v12" in line and "1 brokers" in line


def test_proxy_save_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(
        monkeypatch,
        "# kraft proxy capture\n"
        f"1 > {METADATA_REQUEST.hex()}\n2 > {ERROR_REQUEST.hex()}\n"
        f"2 < {ERROR_RESPONSE.hex()}\n1 < {METADATA_RESPONSE.hex()}\n",
    )
    code, out, err = _run(capsys, "--json")
    assert code == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    assert [(o["connection"], o["errors"]) for o in objs] == [
        (2, ["UNKNOWN_TOPIC_OR_PARTITION"]),
        (1, []),
    ]


def test_framed_auto_takes_an_unframed_produce_that_looks_framed() -> None:
    # Produce v9, correlation id 0x00030005: the first 4 bytes read as "size 9", then what looks
    # like api key 3 (Metadata) version 5: Kafka's own encoding, which `auto` used to refuse
    payload = headers.encode_request(
        0, 9, 0x00030005, "producer", ProduceRequest(acks=-1, timeout_ms=30000)
    )[4:]
    assert payload[:4] == b"\x00\x00\x00\x09"
    result = decode_frame(payload, "auto", None, None)
    assert result["api"] == "Produce" and result["header"]["correlation_id"] == 0x00030005
    # a truly cut framed frame is still told as such
    with pytest.raises(Exception, match="size prefix"):
        decode_frame(METADATA_REQUEST[:-2], "auto", None, None)
