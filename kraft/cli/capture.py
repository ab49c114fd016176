"""Reading captures for `kraft decode`: hex text in its usual shapes, and pcap files.

Text input, line by line, each shape recognised by its own lines (they may be mixed):
- plain hex, one frame per line; `0x` prefixes, `,`, `:` and whitespace inside are ignored;
- `xxd` dumps (`00000010: 0000 0001 ...  ascii`) and `hexdump -C` dumps
  (`00000010  00 00 00 01 ...  |ascii|`, `*` for repeated lines): a dump is one blob, a new one
  starts when the offset goes back to 0; a blob that is a run of size-prefixed frames is split;
- `tcpdump -X` output: a packet header line (`12:00:00.000000 IP 127.0.0.1.50000 >
  127.0.0.1.9092: Flags [P.], ...`) then `0x0000:  4500 ...` lines; the IP and TCP headers are
  stripped and each direction of each connection is one byte stream;
- `kraft proxy --save` lines (`CONN > HEX` request, `CONN < HEX` response).

`read_pcap(path)` reads pcap and pcapng (dpkt), keeps TCP segments over IPv4/IPv6 on Ethernet,
Linux cooked, loopback or raw IP links, and reassembles each direction of each connection by
sequence number (retransmissions and out-of-order segments handled; a gap ends the stream's
decodable part). The client of a connection is the side that sent the SYN, else the side whose
first bytes look like a request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kraft.shell.proxy.frames import peek_request
from wire.catalog import spec_for

XXD = re.compile(r"^([0-9a-fA-F]{7,8}):\s(.*)$")
HEXDUMP_C = re.compile(r"^([0-9a-fA-F]{7,8})((?:\s+[0-9a-fA-F]{2})+)\s*(\|.*\|)?\s*$")
HEXDUMP_END = re.compile(r"^([0-9a-fA-F]{7,8})\s*$")
TCPDUMP_HEADER = re.compile(
    r"^\S+\s+IP6?\s+(\S+)\.(\d+)\s+>\s+(\S+)\.(\d+):\s*(?:Flags\s+\[([^\]]*)\])?"
)
TCPDUMP_DATA = re.compile(r"^\s+0x([0-9a-fA-F]{4}):\s+(.*)$")
SAVED = re.compile(r"^(\d+)\s+([<>])\s+([0-9a-fA-F]+)$")
HEX_NOISE = re.compile(r"0[xX]|[,:\s]")
TCP_PROTOCOL = 6


@dataclass
class Blob:
    """One frame given as text (plain hex or a hex dump), with its line number."""

    line: int
    data: bytes


@dataclass
class SavedFrame:
    line: int
    connection: int
    request: bool
    data: bytes  # size prefix included


@dataclass
class Flow:
    """One TCP connection: the client's bytes and the server's, each in order."""

    client: str
    server: str
    to_server: bytearray = field(default_factory=bytearray)
    to_client: bytearray = field(default_factory=bytearray)
    gaps: list[str] = field(default_factory=list)


class TextError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


@dataclass
class _Dump:
    start_line: int
    data: bytearray
    last_row: bytes = b""
    repeat: bool = False


def parse_text(lines: Iterable[str]) -> Iterator[Blob | SavedFrame | TextError | list[Flow]]:
    """The frames and streams of text input, in order (tcpdump flows come last, together)."""
    dump: _Dump | None = None
    packets: list[tuple[tuple[str, int], tuple[str, int], str, bytearray]] = []
    in_packet = False
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        text = line.split("#", 1)[0].rstrip() if not line.lstrip().startswith("0x") else line
        if not text.strip():
            continue
        header = TCPDUMP_HEADER.match(text)
        if header is not None:
            src, sport, dst, dport, flags = header.groups()
            packets.append(((src, int(sport)), (dst, int(dport)), flags or "", bytearray()))
            in_packet = True
            continue
        data_line = TCPDUMP_DATA.match(text)
        if data_line is not None and in_packet:
            hex_part = data_line.group(2).split("  ")[0]
            try:
                packets[-1][3].extend(bytes.fromhex(hex_part))
            except ValueError as e:
                yield TextError(number, f"bad tcpdump hex: {e}")
            continue
        in_packet = False
        row = _dump_row(text)
        if row is not None:
            offset, data = row
            if dump is not None and offset == 0:
                yield from _finish_dump(dump)
                dump = None
            if dump is None:
                dump = _Dump(number, bytearray())
            if dump.repeat and offset > len(dump.data) and dump.last_row:
                while len(dump.data) < offset:
                    dump.data += dump.last_row[: offset - len(dump.data)]
            dump.repeat = False
            dump.data += data
            if data:
                dump.last_row = data
            continue
        if text.strip() == "*" and dump is not None:
            dump.repeat = True
            continue
        if dump is not None:
            yield from _finish_dump(dump)
            dump = None
        saved = SAVED.match(text.strip())
        if saved is not None:
            yield SavedFrame(
                number, int(saved.group(1)), saved.group(2) == ">", bytes.fromhex(saved.group(3))
            )
            continue
        try:
            yield Blob(number, bytes.fromhex(HEX_NOISE.sub("", text)))
        except ValueError as e:
            yield TextError(number, f"not hex: {e}")
    if dump is not None:
        yield from _finish_dump(dump)
    if packets:
        yield _tcpdump_flows(packets)


def _dump_row(text: str) -> tuple[int, bytes] | None:
    match = XXD.match(text)
    if match is not None:
        hex_part = match.group(2).split("  ")[0]
        try:
            return int(match.group(1), 16), bytes.fromhex(hex_part)
        except ValueError:
            return None
    match = HEXDUMP_C.match(text)
    if match is not None:
        return int(match.group(1), 16), bytes.fromhex(match.group(2))
    match = HEXDUMP_END.match(text)
    if match is not None and len(text) <= 8:
        return int(match.group(1), 16), b""
    return None


def _finish_dump(dump: _Dump) -> Iterator[Blob]:
    data = bytes(dump.data)
    frames = split_frames(data)
    if frames is None or len(frames) == 1:
        yield Blob(dump.start_line, data)
        return
    for frame in frames:
        yield Blob(dump.start_line, frame)


def split_frames(data: bytes) -> list[bytes] | None:
    """`data` cut into size-prefixed frames, if it is exactly a run of them."""
    frames = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 4:
            return None
        size = int.from_bytes(data[pos : pos + 4], "big", signed=True)
        if size < 0 or pos + 4 + size > len(data):
            return None
        frames.append(data[pos : pos + 4 + size])
        pos += 4 + size
    return frames or None


def _tcpdump_flows(
    packets: list[tuple[tuple[str, int], tuple[str, int], str, bytearray]],
) -> list[Flow]:
    segments = [_ip_tcp(bytes(data)) for _, _, _, data in packets]
    return assemble([s for s in segments if s is not None])


Endpoint = tuple[str, int]


def assemble(segments: list[tuple[Endpoint, Endpoint, int, bool, bytes]]) -> list[Flow]:
    """Per-connection byte streams from TCP segments (src, dst, seq, syn, payload), by seq."""
    by_direction: dict[tuple[Endpoint, Endpoint], list[tuple[int, bytes]]] = {}
    syn_from: set[Endpoint] = set()
    order: list[frozenset[Endpoint]] = []
    for src, dst, seq, syn, data in segments:
        if syn:
            syn_from.add(src)
            by_direction.setdefault((src, dst), []).append((seq + 1, b""))  # SYN takes a seq
        key = frozenset((src, dst))
        if key not in order:
            order.append(key)
        if data:
            by_direction.setdefault((src, dst), []).append((seq, data))
    flows = []
    for key in order:
        a, b = sorted(key) if len(key) == 2 else (next(iter(key)), next(iter(key)))
        streams = {
            (a, b): _stream(by_direction.get((a, b), [])),
            (b, a): _stream(by_direction.get((b, a), [])),
        }
        if (b in syn_from and a not in syn_from) or (
            (
                a not in syn_from
                and b not in syn_from
                and not _looks_like_requests(streams[(a, b)][0])
            )
            and _looks_like_requests(streams[(b, a)][0])
        ):
            a, b = b, a
        to_server, gaps_up = streams[(a, b)]
        to_client, gaps_down = streams[(b, a)]
        flow = Flow(f"{a[0]}:{a[1]}", f"{b[0]}:{b[1]}", to_server, to_client, gaps_up + gaps_down)
        flows.append(flow)
    return flows


def _stream(pieces: list[tuple[int, bytes]]) -> tuple[bytearray, list[str]]:
    """In-order bytes from (seq, data) pieces in capture order; stops at a gap.

    The stream starts after the SYN when it was captured (its piece has no data), else at the
    first segment seen. Offsets are modulo 2**32 (sequence numbers wrap); a segment wholly before
    what is assembled (a retransmission) adds nothing.
    """
    out = bytearray()
    if not pieces:
        return out, []
    syn = [seq for seq, data in pieces if not data]
    start = syn[0] if syn else pieces[0][0]
    placed = []
    for seq, data in pieces:
        offset = (seq - start) % (1 << 32)
        if data and offset < 1 << 31:
            placed.append((offset, data))
    gaps: list[str] = []
    for offset, data in sorted(placed, key=lambda p: p[0]):
        if offset > len(out):
            gaps.append(f"{offset - len(out)} bytes missing at stream byte {len(out)}")
            break
        out += data[len(out) - offset :]
    return out, gaps


def _looks_like_requests(data: bytes | bytearray) -> bool:
    peek = peek_request(bytes(data[4:12]))
    if peek is None:
        return False
    spec = spec_for(peek[0])
    return spec is not None and spec.min_version <= peek[1] <= spec.max_version


def read_pcap(path: str) -> list[Flow]:
    """The TCP connections of a pcap or pcapng file (see the module docstring)."""
    import dpkt

    segments = []
    with open(path, "rb") as f:
        try:
            reader: Iterable[tuple[float, bytes]] = dpkt.pcap.Reader(f)
        except ValueError:
            f.seek(0)
            reader = dpkt.pcapng.Reader(f)
        linktype = reader.datalink()  # type: ignore[attr-defined]
        for _, frame in reader:
            packet = _ip_packet(linktype, frame)
            if packet is None:
                continue
            parsed = _ip_tcp(packet)
            if parsed is not None:
                segments.append(parsed)
    return assemble(segments)


def _ip_packet(linktype: int, frame: bytes) -> bytes | None:
    import dpkt

    try:
        if linktype == dpkt.pcap.DLT_EN10MB:
            eth = dpkt.ethernet.Ethernet(frame)
            return bytes(eth.data) if isinstance(eth.data, dpkt.ip.IP | dpkt.ip6.IP6) else None
        if linktype == dpkt.pcap.DLT_LINUX_SLL:
            sll = dpkt.sll.SLL(frame)
            return bytes(sll.data) if isinstance(sll.data, dpkt.ip.IP | dpkt.ip6.IP6) else None
        if linktype in (dpkt.pcap.DLT_NULL, dpkt.pcap.DLT_LOOP):
            return frame[4:]
        if linktype in (dpkt.pcap.DLT_RAW, 101, 228, 229):  # raw IP, IPv4, IPv6
            return frame
    except (dpkt.UnpackError, IndexError):
        return None
    return None


def _ip_tcp(packet: bytes) -> tuple[Endpoint, Endpoint, int, bool, bytes] | None:
    import ipaddress

    import dpkt

    try:
        ip: dpkt.Packet = dpkt.ip6.IP6(packet) if packet[0] >> 4 == 6 else dpkt.ip.IP(packet)
    except (dpkt.UnpackError, IndexError):
        return None
    tcp = ip.data
    if not isinstance(tcp, dpkt.tcp.TCP):
        return None
    src = str(ipaddress.ip_address(ip.src))
    dst = str(ipaddress.ip_address(ip.dst))
    syn = bool(tcp.flags & dpkt.tcp.TH_SYN) and not tcp.flags & dpkt.tcp.TH_ACK
    return (src, tcp.sport), (dst, tcp.dport), tcp.seq, syn, bytes(tcp.data)
