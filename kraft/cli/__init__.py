"""`kraft`: one command for every pykraft tool.

Each tool is a module in this package with `register(subparsers) -> None`; the parser it adds sets
`run=<callable(args) -> int>`. Tools are imported lazily so `kraft --help` stays fast and a tool's
heavy imports (trio, construct) are paid only when it runs.

Every tool ends the same way when its user stops it (`main`, so no tool has to remember):
- Ctrl-C (SIGINT) and SIGTERM end it quietly, after its cleanup ran (`finally` blocks, context
  managers: a tail's temporary log dir is deleted): SIGTERM is turned into the same interrupt,
  and inside the event loop (`kraft.shell.run_async`) it cancels the run instead, so it stops a
  trio tool cleanly also when SIGINT is ignored (`kraft tail ... &` in a script, `nohup`).
  Exit status 128 + the signal number (130, 143), or the tool's `interrupted_exit` default when
  its help says a stop is normal (`kraft tail`: 0).
- Its reader going away (`kraft ... | head`: EPIPE on stdout) ends it quietly with 141 (128 +
  SIGPIPE, what a shell reports for a Unix tool killed by SIGPIPE), after the same cleanup.
Neither prints a traceback, also when trio hands the exception over inside an exception group.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from types import FrameType

# (subcommand, module, one-line help). The module is imported only when its subcommand runs.
TOOLS: tuple[tuple[str, str, str], ...] = (
    ("decode", "kraft.cli.decode", "decode Kafka request/response frames given as hex into JSON"),
    ("proxy", "kraft.cli.proxy", "forward a Kafka connection and decode every exchange on the way"),
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
    ("image", "kraft.cli.image", "show Kafka's metadata image of a live quorum, once or --watch"),
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


EXIT_SIGNAL_BASE = 128
EXIT_BROKEN_PIPE = EXIT_SIGNAL_BASE + signal.SIGPIPE


class _Stop:
    """The signal that is stopping the tool (SIGINT unless a SIGTERM was turned into it)."""

    signum: int = signal.SIGINT


def _terminate_as_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM → the current SIGINT handler (trio's inside an event loop, so the interrupt arrives
    where trio allows it), so SIGTERM runs the same cleanup as Ctrl-C."""
    _Stop.signum = signum
    handler = signal.getsignal(signal.SIGINT)
    if not callable(handler):
        raise KeyboardInterrupt
    handler(signal.SIGINT, frame)  # raises, or (trio, in protected code) delivers it soon


def _only(exc: BaseException, kind: type[BaseException] | tuple[type[BaseException], ...]) -> bool:
    """`exc` is a `kind`, or an exception group of nothing but `kind`s (trio nurseries wrap)."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_only(inner, kind) for inner in exc.exceptions)
    return isinstance(exc, kind)


def expected_error(
    exc: BaseException, kinds: tuple[type[BaseException], ...]
) -> BaseException | None:
    """The error to report as one line when `exc` is (a group of) `kinds`, else None.

    trio wraps an exception leaving a nursery in an exception group; a tool still reports the
    one problem (the first, when several tasks failed at once) instead of a traceback.
    """
    if not _only(exc, kinds):
        return None
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


def run_observer_tool(
    name: str,
    bootstrap: str,
    command: Callable[[], Awaitable[int]],
    more_errors: tuple[type[BaseException], ...] = (),
) -> int:
    """Run a tool that follows a quorum (`kraft tail`, `kraft image`) on trio.

    A malformed `--bootstrap-server` is a usage error (2); what can go wrong out there (no
    quorum, a refused connection, undecodable bytes, or `more_errors`) ends it with one line and
    status 1; Ctrl-C and `| head` go on to `main`.
    """
    from kraft.shell import run_async
    from kraft.shell.client.connection import ConnectionFailed, parse_bootstrap
    from kraft.shell.client.state import ObserverError
    from wire.errors import DecodeError

    try:
        parse_bootstrap(bootstrap)
    except ValueError as exc:
        print(f"kraft {name}: error: {exc}", file=sys.stderr)
        return 2
    try:
        return run_async(command)
    except BaseException as exc:
        kinds = (ObserverError, ConnectionFailed, DecodeError, *more_errors)
        problem = expected_error(exc, kinds)
        if problem is None:
            raise
        print(f"kraft {name}: error: {problem}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _use_command_config(path: str) -> bool:
    """`--command-config FILE`: the security of every connection the tool opens (one line on
    stderr and False when the file cannot be used)."""
    from pathlib import Path

    from kraft.shell.security import CLIENT_SECURITY, SecurityConfigError, load_command_config

    try:
        CLIENT_SECURITY.set(load_command_config(Path(path)))
    except SecurityConfigError as exc:
        print(f"kraft: --command-config: {exc}", file=sys.stderr)
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    interrupted_exit: int | None = None
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        # Only the main thread may set handlers (tests call main() from threads too).
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        args_list = list(sys.argv[1:] if argv is None else argv)
        parser = build_parser(args_list)
        args = parser.parse_args(args_list)
        interrupted_exit = getattr(args, "interrupted_exit", None)
        run = getattr(args, "run", None)
        if run is None:
            parser.print_help()
            return 2 if args.tool is None else 1
        command_config = getattr(args, "command_config", None)
        if command_config is not None and not _use_command_config(command_config):
            return 1
        code: int = run(args)
        sys.stdout.flush()  # an EPIPE on the last buffered output is raised here, not at exit
        return code
    except BaseException as exc:
        if _only(exc, KeyboardInterrupt):
            from kraft.shell import Terminated  # trio-free: the package imports trio lazily

            signum = signal.SIGTERM if _only(exc, Terminated) else _Stop.signum
            return interrupted_exit if interrupted_exit is not None else EXIT_SIGNAL_BASE + signum
        if _only(exc, BrokenPipeError):
            _silence_stdout()
            return EXIT_BROKEN_PIPE
        raise


if __name__ == "__main__":
    sys.exit(main())
