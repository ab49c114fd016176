"""A disk error while the node runs stops it with one line and exit status 3 (in-process, no root).

The real full disk (a tmpfs under a node's log dir) is `test_faults.py`'s ENOSPC test; this one
makes `DiskLog.append` fail the way a full disk does, on any machine.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from kraft.cli import main
from kraft.cli.server import EXIT_LOG_DIR_FAILURE
from kraft.shell.disk_log import DiskLog
from tests.e2e.cluster import free_ports, segment_data
from wire.records import iter_batches

APPENDS_BEFORE_FAILURE = 5


def test_full_disk_while_running_is_one_line_and_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (port,) = free_ports(1)
    config = tmp_path / "server.properties"
    config.write_text(
        f"node.id=1\nprocess.roles=controller\nlisteners=PLAINTEXT://127.0.0.1:{port}\n"
        f"controller.quorum.voters=1@127.0.0.1:{port}\nlog.dirs={tmp_path / 'logs'}\n"
    )
    appends = 0
    real_append = DiskLog.append

    def append(self: DiskLog, data: bytes) -> int:
        nonlocal appends
        appends += 1
        if appends > APPENDS_BEFORE_FAILURE:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_append(self, data)

    monkeypatch.setattr(DiskLog, "append", append)
    # `main` configures the root logger; leave it as pytest had it afterwards.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    status = main(
        ["server", "--config", str(config), "--throughput", "1000", "--log-level", "ERROR"]
    )
    err = capsys.readouterr().err
    assert status == EXIT_LOG_DIR_FAILURE, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("kraft server:")]
    assert len(lines) == 1, err
    assert "No space left on device" in lines[0] and "restart" in lines[0], lines[0]
    # What was written before the failure is a clean log: whole batches, then nothing.
    segment = tmp_path / "logs" / "__cluster_metadata-0" / "00000000000000000000.log"
    data = segment.read_bytes()
    assert data and segment_data(segment) == data
    assert sum(1 for _ in iter_batches(data)) >= APPENDS_BEFORE_FAILURE
