"""`kraft tail` imports only what it needs (issue #16: its start-up is part of its records/s).

Checked in a fresh interpreter, by the modules it loaded: `--help` needs neither trio nor the wire
codec (construct); a streaming tail's modules do not include the Raft core, its disk log or the
node's request handlers (the raft-mode observer imports those when it opens).
"""

from __future__ import annotations

import json
import subprocess
import sys

LOADED = "import json, sys; print(json.dumps(sorted(sys.modules)))"


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\n{LOADED}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_help_imports_neither_trio_nor_the_wire_codec() -> None:
    modules = loaded_after(
        "import contextlib, io\n"
        "from kraft.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['tail', '--help'])"
    )
    assert "kraft.cli.tail" in modules
    heavy = {m for m in modules if m.split(".")[0] in ("trio", "construct", "wire")}
    assert heavy == set()


def test_a_streaming_tail_does_not_load_the_raft_core() -> None:
    modules = loaded_after(
        "import kraft.cli.tail, kraft.cli.render, kraft.shell.client.observer\n"
        "import wire.records.record"
    )
    assert "trio" in modules and "kraft.shell.client.observer" in modules
    core = {"kraft.node", "kraft.election", "kraft.shell.node_loop", "kraft.shell.disk_log"}
    assert modules & (core | {"kraft.shell.apis"}) == set()
