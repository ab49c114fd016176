"""`kraft sim` from the command line: summary, exit status, replay lines, byte-identical traces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kraft.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_passing_range_prints_one_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--seeds", "3", "--start", "20"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("seeds=3 passed=3 failed=0 ")


def test_failure_prints_the_replay_command_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sim", "--seed", "0", "--bug", "hw-before-epoch-commit"])
    out = capsys.readouterr().out
    assert code == 1
    replays = [line.strip() for line in out.splitlines() if "replay:" in line]
    assert len(replays) == 1
    command = replays[0].removeprefix("replay: ")
    assert command.startswith("bin/kraft sim --seed 0 --scenario ")
    assert "--bug hw-before-epoch-commit" in command
    # The printed command replays the same failure.
    assert main(command.split()[1:]) == 1
    again = capsys.readouterr().out
    assert out.splitlines()[0] == again.splitlines()[0]


def test_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--seeds", "2", "--json", "--check-determinism"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["seeds"] == 2 and data["passed"] == 2 and data["failures"] == []
    assert data["events"] > 0 and sum(data["scenarios"].values()) == 2


def test_trace_is_byte_identical_across_processes_and_hash_seeds() -> None:
    argv = [sys.executable, "-m", "kraft.cli", "sim", "--seed", "31", "--scenario", "random"]
    argv += ["--voters", "5", "--observers", "1", "--idless", "1", "--trace"]
    outputs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode()
        # Everything but the last line (the summary, which carries the wall time).
        outputs.append(proc.stdout.rsplit(b"\n", 2)[0])
    assert outputs[0] == outputs[1]
    assert b"trace-hash " in outputs[0] and outputs[0].count(b"\n") > 1000
