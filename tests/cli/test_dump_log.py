"""`kraft dump-log` over segments built with wire.records: records, control, torn tails, CRC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kraft.cli import main
from tests.consumer.fakes import FakePort


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
    code, reports = run_json(capsys, str(path))
    assert code == 0
    assert isinstance(reports, list)
    [report] = reports
    assert report["torn_tail"] is None and report["corrupt"] is None
    batches = report["batches"]
    assert [b["base_offset"] for b in batches] == [0, 1, 3]
    assert all(b["crc_valid"] for b in batches)
    control = batches[0]["records"][0]["control"]
    assert control["type"] == "LEADER_CHANGE"
    assert control["value"]["leader_id"] == 1
    values = [(r["value"], r["value_encoding"]) for r in batches[1]["records"]]
    assert values == [("hello", "text"), ("00ff", "hex")]


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
    assert "Torn tail" in out and "crcValid: true" in out and "LEADER_CHANGE" in out


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


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["dump-log", "--help"])
    assert exc.value.code == 0
    assert "torn tail" in capsys.readouterr().out


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
