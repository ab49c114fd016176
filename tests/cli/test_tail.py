"""`kraft tail` start offsets: past the end is said, not a silent wait; negative: usage error."""

from __future__ import annotations

import argparse
import io
from collections.abc import AsyncIterator

import pytest
import trio

from kraft.cli import build_parser, main
from kraft.cli.tail import tail
from kraft.types import ReplicaAddress
from tests.consumer.fake_server import FakeServer
from tests.consumer.fakes import FakePort


@pytest.fixture
async def leader() -> AsyncIterator[FakePort]:
    """A fake one-node leader with a LeaderChange and three committed records (HW 4)."""
    port = FakePort()
    server = FakeServer(port)
    async with trio.open_nursery() as nursery:
        listen_port = await nursery.start(server.serve)
        port.set(voters=(ReplicaAddress(1, "127.0.0.1", listen_port),))
        port.append_leader_change(3)
        port.append_data(3, [b"a", b"b", b"c"])
        port.sync()
        yield port
        nursery.cancel_scope.cancel()


def tail_args(port: FakePort, *extra: str) -> argparse.Namespace:
    argv = ["tail", "--bootstrap-server", f"127.0.0.1:{port.view().voters[0].port}", *extra]
    return build_parser(argv).parse_args(argv)


@pytest.mark.parametrize("mode", [[], ["--consumer"]])
async def test_offset_past_the_end_is_said_then_awaited(
    leader: FakePort, mode: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    args = tail_args(leader, "--offset", "6", "--max-records", "1", *mode)

    async def write_offsets_4_to_6() -> None:
        with trio.fail_after(10):
            while "past the end" not in capsys.readouterr().err:
                await trio.sleep(0.05)
        leader.append_data(3, [b"d", b"e", b"f"])
        leader.sync()

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(write_offsets_4_to_6)
            assert await tail(args, out) == 0
    assert out.getvalue().startswith("offset: 6 ")
    assert out.getvalue().endswith("f\n")


async def test_offset_past_the_end_until_high_watermark_ends(
    leader: FakePort, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    args = tail_args(leader, "--offset", "1000", "--until-high-watermark")
    with trio.fail_after(10):
        assert await tail(args, out) == 0
    assert out.getvalue() == ""
    err = capsys.readouterr().err
    assert err == (
        "kraft tail: offset 1000 is past the end of the committed log (high watermark 4): "
        "nothing to print\n"
    )


@pytest.mark.parametrize("offset", ["-1", "-5", "x"])
def test_bad_offset_is_a_usage_error(offset: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["tail", "--bootstrap-server", "127.0.0.1:9092", f"--offset={offset}"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: kraft tail")
    assert "--offset" in err.splitlines()[-1]
    assert "Traceback" not in err


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


@pytest.mark.parametrize("mode", [[], ["--consumer"]])
async def test_output_is_flushed_per_batch_not_per_record(
    leader: FakePort, mode: list[str]
) -> None:
    """Issue #16 (tail speed): a write call per record made a catch-up read from offset 0 pay
    one syscall per line; each batch's lines are still flushed as soon as it is printed."""
    for base in (4, 10, 16):
        leader.append_data(3, [bytes([base + i]) * 8 for i in range(6)])
    leader.sync()
    out = CountingStream()
    args = tail_args(leader, "--from-beginning", "--until-high-watermark", *mode)
    with trio.fail_after(20):
        assert await tail(args, out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + 3 + 18  # LeaderChange, a b c, three batches of six
    assert [int(line.split()[1]) for line in lines] == list(range(22))
    assert 1 <= out.flushes <= 5  # at most one per batch (five batches)
