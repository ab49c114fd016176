"""`kraft bench`: run the benchmarks in `bench/` (see README "Performance").

`bench/` is a directory of the source tree, not part of the installed package, so this tool puts
the tree's root on `sys.path` and fails with a sentence when run from an installed copy without it.
`bin/bench` is the documented entry: it also installs the `bench` extra (PySyncObj, matplotlib).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _runner() -> Any:
    if not (ROOT / "bench" / "runner.py").is_file():
        raise SystemExit("kraft bench: needs a pykraft source tree (bench/ not found)")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("bench.runner")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="run the benchmarks (throughput, latency, consumer, failover, PySyncObj, codec)",
        description=__doc__.splitlines()[0],
    )
    runner = _runner()
    runner.add_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    code: int = _runner().main(args)
    return code
