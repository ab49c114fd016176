"""What the bin/ scripts install: the runtime for a node or a tool, an extra only where needed.

`bin/_venv.sh` is run against a fake `.venv` whose `python` only records how it was called, so
every decision (install or not, with which extras) is visible without pip. One slow test installs
the project for real (`pip install .`) into a fresh venv and runs the `kraft` command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE_PYTHON = '#!/bin/sh\necho "$*" >> "$(dirname "$0")/../calls.log"\n'
TEST_ONLY_PACKAGES = ("pytest", "mypy", "matplotlib", "confluent_kafka", "hypothesis", "kio")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project copy with bin/_venv.sh, a pyproject.toml and a recording fake .venv."""
    (tmp_path / "bin").mkdir()
    shutil.copy(ROOT / "bin" / "_venv.sh", tmp_path / "bin" / "_venv.sh")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def installs(root: Path, extras: str | None) -> list[str]:
    """The `pip install -e` targets one script start (asking for `extras`) ran."""
    log = root / ".venv" / "calls.log"
    log.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYKRAFT_EXTRAS"}
    if extras is not None:
        env["PYKRAFT_EXTRAS"] = extras
    subprocess.run(
        ["bash", "-c", f"source {root}/bin/_venv.sh"], env=env, check=True, capture_output=True
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return [c.split(" -e ")[1].replace(str(root), "ROOT") for c in calls if " -e " in c]


def test_each_script_installs_only_what_it_needs_and_once(root: Path) -> None:
    # bin/kraft and bin/test-raft-server-start.sh on a fresh clone: the runtime only.
    assert installs(root, None) == ["ROOT"]
    assert installs(root, None) == []
    # bin/test adds the test extra once; bin/kraft then has nothing to do, nor bin/test again.
    assert installs(root, "test") == ["ROOT[test]"]
    assert installs(root, None) == []
    assert installs(root, "test") == []
    # bin/bench adds its own extra without undoing the test one.
    assert installs(root, "bench") == ["ROOT[bench]"]
    assert installs(root, "test") == []
    assert installs(root, "test,bench") == ["ROOT[test,bench]"]
    assert installs(root, "bench") == []


def test_test_first_then_kraft_installs_nothing_more(root: Path) -> None:
    assert installs(root, "test") == ["ROOT[test]"]
    assert installs(root, None) == []


def test_a_changed_pyproject_installs_again(root: Path) -> None:
    assert installs(root, "test") == ["ROOT[test]"]
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '2'\n")
    assert installs(root, None) == ["ROOT"]
    assert installs(root, "test") == ["ROOT[test]"]
    assert installs(root, None) == []


def test_run_scripts_ask_for_no_extra() -> None:
    for script in ("kraft", "test-raft-server-start.sh"):
        assert "PYKRAFT_EXTRAS" not in (ROOT / "bin" / script).read_text(), script
    assert "PYKRAFT_EXTRAS=test\n" in (ROOT / "bin" / "test").read_text()
    assert "PYKRAFT_EXTRAS=bench\n" in (ROOT / "bin" / "bench").read_text()


@pytest.mark.slow
def test_pip_install_gives_a_working_kraft_command(tmp_path: Path) -> None:
    """`pip install .` (not editable, from a clean copy of the tracked files) into a fresh venv:
    the `kraft` command works and no test-only package came with it."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    source = tmp_path / "src"
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", str(source)], check=True, capture_output=True, timeout=600)
    kraft = venv / "bin" / "kraft"
    run = {"capture_output": True, "text": True, "timeout": 60, "cwd": tmp_path}
    shown = subprocess.run([str(kraft), "--help"], **run)  # type: ignore[call-overload]
    assert shown.returncode == 0, shown.stderr
    assert all(tool in shown.stdout for tool in ("tail", "describe-quorum", "dump-log"))
    # A tool that needs trio and the codec runs too (an unreachable node: one line, exit 1).
    tail = subprocess.run(  # type: ignore[call-overload]
        [str(kraft), "tail", "--bootstrap-server", "127.0.0.1:1", "--timeout-ms", "500"], **run
    )
    assert tail.returncode == 1 and "refused" in tail.stderr, tail.stderr
    listed = subprocess.run([*pip, "list", "--format=freeze"], capture_output=True, text=True)
    installed = {line.split("==")[0].lower().replace("-", "_") for line in listed.stdout.split()}
    assert not installed & set(TEST_ONLY_PACKAGES), installed
