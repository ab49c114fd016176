"""Tailers of `__cluster_metadata` partition 0 as separate processes, for the quorum tests.

Each tailer writes what it received to a file; `records()` parses it into `(offset, value)` of
every data record in arrival order (duplicates kept, so the test can see them). Control records
are skipped by the clients themselves (and by the parser for `kraft tail`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TOPIC = "__cluster_metadata"


@dataclass
class Tailer:
    name: str
    out_path: Path
    process: subprocess.Popen[bytes]

    def records(self) -> list[tuple[int, bytes]]:
        data = self.out_path.read_bytes()
        if self.name == "kcat":
            return parse_kcat(data)
        if self.name == "kraft tail":
            return parse_kraft_tail(data.decode())
        return parse_hex_lines(data.decode())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def start_python_client(name: str, bootstrap: str, out_path: Path, root: Path) -> Tailer:
    command = [sys.executable, "-m", "tests.interop.tail_client", name, bootstrap]
    return start_process(name, command, out_path, cwd=root)


def start_process(name: str, command: list[str], out_path: Path, cwd: Path | None = None) -> Tailer:
    with out_path.open("wb") as out, out_path.with_suffix(".err").open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
    return Tailer(name, out_path, process)


def parse_kcat(data: bytes) -> list[tuple[int, bytes]]:
    """Output of `kcat -f '%o:%S:%s\\n'`: offset, value size, raw value bytes."""
    records = []
    pos = 0
    while pos < len(data):
        colon = data.find(b":", pos)
        colon2 = data.find(b":", colon + 1) if colon >= 0 else -1
        if colon2 < 0:
            break  # a line still being written
        offset = int(data[pos:colon])
        size = int(data[colon + 1 : colon2])
        start = colon2 + 1
        if start + size + 1 > len(data):
            break  # a line still being written
        records.append((offset, data[start : start + size]))
        pos = start + size + 1
    return records


def parse_hex_lines(text: str) -> list[tuple[int, bytes]]:
    records = []
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) != 2:
            break  # a line still being written
        records.append((int(parts[0]), bytes.fromhex(parts[1])))
    return records


def parse_kraft_tail(text: str) -> list[tuple[int, bytes]]:
    records = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            break
        if "control" in item:
            continue
        value = item["value"]
        data = bytes.fromhex(value) if item["value_encoding"] == "hex" else value.encode()
        records.append((item["offset"], data))
    return records
