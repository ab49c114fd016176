"""`kraft dump-log` over segments built with wire.records: Kafka's DumpLogSegments format, records
and payloads only on request, control records, torn tails, CRC, constant memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kraft.cli import main
from kraft.cli.render import java_utf8
from tests.cli.segments import repeated_segment, write_corner_cases
from tests.consumer.fakes import FakePort
from tests.e2e.cluster import ROOT


def write_segment(tmp_path: Path) -> tuple[Path, bytes]:
    port = FakePort()
    port.append_leader_change(1)
    port.append_data(1, [b"hello", b"\x00\xff"])
    port.append_data(1, [b"world"])
    data = b"".join(port.batches)
    path = tmp_path / "00000000000000000000.log"
    path.write_bytes(data)
    return path, data


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, object]:
    code = main(["dump-log", "--json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out) if code == 0 else None


def test_segment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = write_segment(tmp_path)
    code, reports = run_json(capsys, "--print-data-log", str(path))
    assert code == 0
    assert isinstance(reports, list)
    [report] = reports
    assert report["torn_tail"] is None and report["corrupt"] is None
    assert report["log_start_offset"] == 0
    batches = report["batches"]
    assert [b["base_offset"] for b in batches] == [0, 1, 3]
    assert all(b["crc_valid"] for b in batches)
    control = batches[0]["records"][0]["control"]
    assert control["type"] == "LEADER_CHANGE"
    # Kafka's JSON of the value, as DumpLogSegments prints it.
    assert control["value"] == {
        "version": 0,
        "leaderId": 1,
        "voters": [{"voterId": 1}, {"voterId": 2}, {"voterId": 3}],
        "grantingVoters": [{"voterId": 1}],
    }
    values = [(r["value"], r["value_encoding"]) for r in batches[1]["records"]]
    assert values == [("hello", "text"), ("00ff", "hex")]
    assert [r["value_size"] for r in batches[1]["records"]] == [5, 2]


def test_records_and_payloads_only_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Like Kafka: batch lines by default, record lines with --deep-iteration, payloads only
    with --print-data-log (the same in --json)."""
    path, _ = write_segment(tmp_path)
    code, reports = run_json(capsys, str(path))
    assert code == 0
    assert all("records" not in b for b in reports[0]["batches"])  # type: ignore[index]
    code, reports = run_json(capsys, "--deep-iteration", str(path))
    records = reports[0]["batches"][1]["records"]  # type: ignore[index]
    assert [r["offset"] for r in records] == [1, 2]
    assert all("value" not in r for r in records)
    assert main(["dump-log", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [f"Dumping {path}", "Log starting offset: 0"]
    assert len(lines) == 5 and all(line.startswith("baseOffset: ") for line in lines[2:])
    assert main(["dump-log", "--deep-iteration", str(path)]) == 0
    out = capsys.readouterr().out
    assert "payload:" not in out and "hello" not in out
    assert (
        "| offset: 0 CreateTime: 10 keySize: 4 valueSize: 29 sequence: -1 headerKeys: [] "
        'LeaderChange: {"version":0,"leaderId":1,"voters":[{"voterId":1},{"voterId":2},'
        '{"voterId":3}],"grantingVoters":[{"voterId":1}]}'
    ) in out.splitlines()
    assert main(["dump-log", "--print-data-log", f"--files={path}"]) == 0
    out = capsys.readouterr().out
    assert (
        "| offset: 1 CreateTime: 2000 keySize: -1 valueSize: 5 sequence: -1 headerKeys: [] "
        "payload: hello"
    ) in out.splitlines()


def test_kafka_batch_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every field of DumpLogSegments' batch line, from a batch with producer state set."""
    path = write_corner_cases(tmp_path)
    assert main(["dump-log", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[4] == (
        "baseOffset: 13 lastOffset: 15 count: 3 baseSequence: 2147483646 lastSequence: 0 "
        "producerId: 4242 producerEpoch: 3 partitionLeaderEpoch: 1 isTransactional: false "
        "isControl: false deleteHorizonMs: OptionalLong.empty position: 395 "
        "CreateTime: 1700000000007 size: 106 magic: 2 compresscodec: none crc: 751787899 "
        "isvalid: true"
    )
    assert "deleteHorizonMs: OptionalLong[1700000000012]" in lines[9]
    assert "LogAppendTime: 1700000000099" in lines[8]
    assert [line.split("compresscodec: ")[1].split()[0] for line in lines[10:14]] == [
        "gzip",
        "snappy",
        "lz4",
        "zstd",
    ]
    assert main(["dump-log", "--deep-iteration", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "| offset: 13 CreateTime: 1700000000005 keySize: 5 valueSize: 7 sequence: 2147483646 "
        "headerKeys: [h1,h2]" in out
    )
    assert "sequence: 0 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 5" not in out
    assert "headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 5" in out
    assert "headerKeys: [] endTxnMarker: ABORT coordinatorEpoch: 5" in out
    assert "headerKeys: [] controlType: UNKNOWN(99)" in out
    assert 'KRaftVersion {"version":0,"kRaftVersion":1}' in out


def test_java_utf8_replacement() -> None:
    """Payloads print as Java's String decoder prints them: these groupings were read off Kafka
    4.3.1's DumpLogSegments output (tests/kafka/test_kafka_tools.py compares the whole file)."""
    repl = "\ufffd"
    assert java_utf8(b"d\xed\xbd86") == f"d{repl}86"
    assert java_utf8(b"e%\xc5\xf6\xa2\xaa\xe1_") == "e%" + repl * 5 + "_"
    assert java_utf8(b"v\xf5\x86r\xf7\xca0") == f"v{repl}{repl}r{repl}{repl}0"
    assert java_utf8("café 😀".encode()) == "café 😀"
    assert java_utf8(b"") == ""


def test_torn_tail_and_bad_crc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, data = write_segment(tmp_path)
    corrupted = bytearray(data)
    corrupted[-1] ^= 0xFF  # last batch's payload: CRC now wrong
    path.write_bytes(bytes(corrupted) + data[:30])  # + a torn partial header
    code, reports = run_json(capsys, str(tmp_path))  # directory form
    assert code == 0
    [report] = reports  # type: ignore[misc]
    assert [b["crc_valid"] for b in report["batches"]] == [True, True, False]
    assert report["torn_tail"]["bytes"] == 30
    # A batch cut in the middle (a node killed mid-write) is a torn tail too.
    path.write_bytes(data[:-5])
    code, reports = run_json(capsys, str(path))
    assert code == 0
    [report] = reports  # type: ignore[misc]
    assert len(report["batches"]) == 2
    assert "cut" in report["torn_tail"]["reason"]
    # The text form says so as well.
    assert main(["dump-log", str(path)]) == 0
    out = capsys.readouterr().out
    torn = len(data) - 5 - report["valid_bytes"]
    assert f"Found {torn} invalid bytes at the end of 00000000000000000000.log" in out.splitlines()
    assert "isvalid: true" in out
    assert main(["dump-log", "--deep-iteration", str(path)]) == 0
    assert "LeaderChange: " in capsys.readouterr().out


def test_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump-log", str(tmp_path / "missing.log")]) == 1
    assert "no such file" in capsys.readouterr().err
    junk = tmp_path / "notes.txt"
    junk.write_text("this is not a log at all, just some words to fill more than 61 bytes.....")
    assert main(["dump-log", str(junk)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a record log" in err
    (tmp_path / "empty").mkdir()
    assert main(["dump-log", str(tmp_path / "empty")]) == 1


def test_snapshot_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, data = write_segment(tmp_path)
    snap = tmp_path / "00000000000000000004-0000000001.checkpoint"
    snap.write_bytes(data)
    code, reports = run_json(capsys, str(snap))
    assert code == 0
    assert reports[0]["snapshot_id"] == {"end_offset": 4, "epoch": 1}  # type: ignore[index]
    assert main(["dump-log", str(snap)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "Snapshot end offset: 4, epoch: 1"


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["dump-log", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "torn tail" in out and "--print-data-log" in out and "--deep-iteration" in out


def test_quorum_state_and_epoch_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_segment(tmp_path)
    (tmp_path / "quorum-state").write_text('{"leaderId":1,"leaderEpoch":5,"data_version":1}')
    (tmp_path / "leader-epoch-checkpoint").write_text("0\n2\n1 0\n3 3\n")
    code, reports = run_json(capsys, str(tmp_path))
    assert code == 0
    assert isinstance(reports, list)
    kinds = [r["kind"] for r in reports]
    assert kinds == ["segment", "leader-epoch-checkpoint", "quorum-state"]
    assert reports[1]["epochs"] == [
        {"epoch": 1, "start_offset": 0},
        {"epoch": 3, "start_offset": 3},
    ]
    assert reports[2]["state"]["leaderEpoch"] == 5
    assert main(["dump-log", str(tmp_path)]) == 0
    assert "epoch: 3 startOffset: 3" in capsys.readouterr().out
    (tmp_path / "leader-epoch-checkpoint").write_text("0\n5\n1 0\n")
    assert main(["dump-log", str(tmp_path / "leader-epoch-checkpoint")]) == 1
    assert "malformed" in capsys.readouterr().err


def test_live_segment_with_preallocated_zeros(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A running node's active segment ends in preallocated zeros: not damage, not batches."""
    path, data = write_segment(tmp_path)
    path.write_bytes(data + bytes(4096))
    code, reports = run_json(capsys, str(path))
    assert code == 0
    [report] = reports  # type: ignore[misc]
    assert [b["base_offset"] for b in report["batches"]] == [0, 1, 3]
    assert report["torn_tail"] is None and report["corrupt"] is None
    assert report["valid_bytes"] == len(data) and report["preallocated_bytes"] == 4096
    assert main(["dump-log", str(path)]) == 0
    assert "Preallocated zeros after the data: 4096 bytes" in capsys.readouterr().out
    # Fewer zeros than a batch header are the same thing, not a torn header.
    path.write_bytes(data + bytes(30))
    code, reports = run_json(capsys, str(path))
    [report] = reports  # type: ignore[misc]
    assert report["torn_tail"] is None and report["preallocated_bytes"] == 30


def test_large_segment_streams_in_constant_memory(tmp_path: Path) -> None:
    """A 192 MiB segment is dumped (text and --json) with a peak RSS far below its size: batches
    are read, printed and dropped one at a time (issue #12: 2 GB RSS for 416 MB before)."""
    path = tmp_path / "00000000000000000000.log"
    batches = repeated_segment(path, 192 << 20)
    size_mib = path.stat().st_size >> 20
    for flags in ([], ["--json"]):
        code = (
            "import resource, subprocess, sys\n"
            "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, check=True)\n"
            "print(r.stdout.count(b'baseOffset'), r.stdout.count(b'base_offset'))\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        # stdout goes through a pipe into the parent, so measure the child only (ru_maxrss of
        # RUSAGE_CHILDREN in a helper that holds nothing but the output).
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                sys.executable,
                "-m",
                "kraft.cli",
                "dump-log",
                *flags,
                str(path),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        counts, peak_kib = result.stdout.splitlines()
        assert batches in [int(n) for n in counts.split()]
        peak_mib = int(peak_kib) >> 10
        assert peak_mib < 80, f"peak RSS {peak_mib} MiB dumping a {size_mib} MiB segment {flags}"
