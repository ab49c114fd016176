"""`kraft`: one command for every pykraft tool.

Each tool is a module in this package with `register(subparsers) -> None`; the parser it adds sets
`run=<callable(args) -> int>`. Tools are imported lazily so `kraft --help` stays fast and a tool's
heavy imports (trio, construct) are paid only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# (subcommand, module, one-line help). The module is imported only when its subcommand runs.
TOOLS: tuple[tuple[str, str, str], ...] = (
    ("decode", "kraft.cli.decode", "decode Kafka request/response frames given as hex into JSON"),
    ("sim", "kraft.cli.sim", "run seeded deterministic Raft simulations and check invariants"),
    ("server", "kraft.cli.server", "run one node of the test raft server"),
    ("bench", "kraft.cli.bench", "run the benchmarks in bench/ and write bench/results/"),
    ("tail", "kraft.cli.tail", "follow the committed metadata log as an id-less observer"),
    (
        "describe-quorum",
        "kraft.cli.describe_quorum",
        "show the quorum like kafka-metadata-quorum.sh",
    ),
    ("dump-log", "kraft.cli.dump_log", "print log segments and snapshot files offline"),
)


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kraft", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="tool", metavar="TOOL")
    wanted = argv[0] if argv else None
    for name, module_name, help_text in TOOLS:
        if name == wanted:
            importlib.import_module(module_name).register(subparsers)
        else:
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 2 if args.tool is None else 1
    code: int = run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
