"""Live fuzz harness: one real node, two fake voters, hostile answers and hostile requests.

Theory of operation:
- A real node process (`python -m kraft.cli server`) runs as voter 1 of a 3-voter quorum whose
  voters 2 and 3 are fake peers: trio servers in this process on free ports, speaking the wire
  codec. The fakes drive the node through its roles in cycles: FOLLOWER (a fake sends a valid
  BeginQuorumEpoch and serves the node's Fetches with small valid batches), then CANDIDATE and
  LEADER (the fake leader resigns with EndQuorumEpoch naming voter 1; the fakes answer its Vote
  requests and then fetch from it as followers). Hostile Vote/BeginQuorumEpoch requests move it
  through unattached/voted too.
- Within a cycle, each answer to the node's own requests is mutated with some probability
  (structure-aware field mutations, record batches with valid CRCs and nonsense headers, absurd
  diverging epochs / snapshot ids / error codes / endpoints, wrong correlation ids, answers of the
  wrong API, damaged frames, closed connections), and the fakes send unsolicited hostile requests
  (absurd epochs, offsets, endpoints, field-mutated and damaged requests). Every mutation is one
  count; each has an index, and its own RNG is `Random(f"{seed}:{index}")`.
- After every burst the node must be alive, answer ApiVersions and Metadata on a new connection,
  and its stderr must show no traceback. Every `restart_every` mutations it is stopped (SIGTERM,
  which must exit 0, or SIGKILL, alternately) and restarted on the same log directory, which must
  succeed. Epochs at the int32 limit (which no fake can outrank) are sent only in the last bursts
  before a periodic restart; a node whose epoch ended up beyond `EPOCH_RESET_ABOVE` is wiped
  after that restart check. Every `IDLE_FLOOD_EVERY` mutations, 4,200 idle connections are opened
  and a newcomer must still be served.
- A failed check is a `Finding` (the check, the last mutations with their indexes, the stderr
  tail); the node is then restarted (and wiped if it cannot restart) and the campaign goes on.

Replay: the run is seeded (`--seed`), but the node's timing is not, so a replay reproduces the
same mutation stream, not necessarily the same interleaving; `--kinds` narrows it to a few kinds
(one kind alone usually reproduces a crash within a few dozen mutations).

    python -m tests.fuzz.live --mutations 100000 --seed 1 [--kinds a,b] [--json out.json]
        [--restart-every N] [--time-limit-s S] [--findings-max N] [--dir keep-files-here]

Exit status 0 when nothing was found, 1 otherwise; findings are printed as they happen.

Modules: this one runs the campaign (`Campaign`: cycles, checks, restarts; the command line);
`live_node` is the real node and the plain requests to it, `live_fakes` the fake voters' answers
and hostile requests (`FakeVoters`, the campaign's other half), `live_report` what a run found.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import trio

from tests.e2e.cluster import free_ports
from tests.fuzz.live_fakes import (
    ANSWER_KINDS,
    EPOCH_EXTREME_KINDS,
    KINDS,
    REQUEST_KINDS,
    FakeVoters,
)
from tests.fuzz.live_node import (
    BEGIN,
    BURST_MUTATIONS,
    BURST_TIME_S_MAX,
    CHECK_TIMEOUT_S,
    DRIVE_ATTEMPT_S,
    DRIVE_ATTEMPTS,
    END,
    EPOCH_MAX,
    EPOCH_RESET_ABOVE,
    FAKE_IDS,
    FETCH,
    FINDINGS_MAX,
    HOSTILE_SENDERS,
    IDLE_FLOOD_CONNECTIONS,
    IDLE_FLOOD_EVERY,
    IDLE_FLOOD_NEWCOMER_TIMEOUT_S,
    INT32_CAP_EARLY,
    NO_EPOCH,
    NODE_ID,
    PROGRESS_TIMEOUT_S,
    SLOW_CHECK_GRACE_S,
    FuzzError,
    Node,
    begin_request,
    check_serving,
    end_request,
    epoch_of_answer,
    exchange,
    fetch_request,
    fuzz_error,
)
from tests.fuzz.live_report import Finding, Mutation, Report
from wire.headers import decode_response, encode_request
from wire.records.batch import iter_batches

# ---------------------------------------------------------------------------- the campaign


class Campaign(FakeVoters):
    def __init__(
        self,
        directory: Path,
        seed: int,
        mutations: int,
        *,
        restart_every: int = 500,
        findings_max: int = FINDINGS_MAX,
        kinds: frozenset[str] | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.directory = directory
        self.seed = seed
        self.target = mutations
        self.restart_every = restart_every
        self.findings_max = findings_max
        self.deadline: float | None = None  # time.monotonic() at which to stop early
        self.progress: Callable[[Report], None] | None = None  # called every ~1000 mutations
        self.rng = random.Random(seed)
        self.log = log
        self.report = Report(seed)
        self.recent: collections.deque[Mutation] = collections.deque(maxlen=12)
        chosen = kinds or frozenset(KINDS)
        self.answer_kinds = {k: w for k, w in ANSWER_KINDS.items() if k in chosen}
        self.request_kinds = {k: w for k, w in REQUEST_KINDS.items() if k in chosen}
        self.idle_flood = "idle-connections" in chosen
        ports = free_ports(3)
        self.fake_ports = dict(zip(FAKE_IDS, ports[1:], strict=True))
        self.node = Node(directory, ports[0], self.fake_ports)
        # What the fakes want the node to see now.
        self.epoch = 0
        self.leader: int | None = None  # a fake leading `epoch`, or None
        self.mutate_probability = 0.0
        self.grant_votes = True
        # What the node showed: epochs it used, its fetches, its leadership.
        self.epoch_seen = 0
        self.fetched_at_epoch: set[tuple[int, int]] = set()
        self.leads_epoch: int | None = None
        self.high_watermark_sent = 0
        self.burst_count = 0
        self.since_restart = 0
        self.next_flood_at = IDLE_FLOOD_EVERY // 4

    # ------------------------------------------------------------------ bookkeeping

    def _next(self, kind: str) -> random.Random:
        """Count one mutation of `kind`; its own RNG, so it can be replayed alone."""
        self.report.mutations += 1
        self.report.per_kind[kind] += 1
        self.burst_count += 1
        self.since_restart += 1
        return random.Random(f"{self.seed}:{self.report.mutations}")

    @property
    def extremes_allowed(self) -> bool:
        """Epochs at the int32 limit exhaust a node (a wipe, i.e. a slow start-up), so they are
        sent only in the last bursts before a periodic restart, which then checks and wipes."""
        return self.since_restart >= self.restart_every - 2 * BURST_MUTATIONS

    def _pick(self, kinds: dict[str, int]) -> str:
        if not self.extremes_allowed:
            kinds = {k: w for k, w in kinds.items() if k not in EPOCH_EXTREME_KINDS} or kinds
        else:
            # The windows for extremes are short and come only a few times per campaign: a kind
            # not yet applied goes first, so that every campaign applies it (a weighted draw
            # alone missed one in a slow run).
            for kind in kinds:
                if kind in EPOCH_EXTREME_KINDS and self.report.per_kind[kind] == 0:
                    return kind
        return self.rng.choices(list(kinds), weights=list(kinds.values()))[0]

    @property
    def int32_cap(self) -> int | None:
        return None if self.extremes_allowed else INT32_CAP_EARLY

    def _record(self, kind: str, detail: str) -> None:
        self.recent.append(Mutation(self.report.mutations, kind, detail))

    def _see_epoch(self, epoch: int | None) -> None:
        if epoch is not None and epoch > self.epoch_seen:
            self.epoch_seen = epoch

    def _node_epoch(self) -> int:
        stats = self.node.last_stats()
        if stats is not None:
            self._see_epoch(stats.get("epoch"))
        return self.epoch_seen

    def _exit(self) -> str:
        process = self.node.process
        return f"exit status {process.returncode if process else None}"

    @property
    def done(self) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            return True
        return self.report.mutations >= self.target

    # ------------------------------------------------------------------ cycles

    async def wait_for(
        self, predicate: Callable[[], bool], what: str, timeout_s: float = PROGRESS_TIMEOUT_S
    ) -> None:
        deadline = trio.current_time() + timeout_s
        while not predicate():
            if not self.node.alive:
                raise FuzzError(f"the node died ({self._exit()}) while waiting for {what}")
            if trio.current_time() > deadline:
                stats = self.node.last_stats()
                raise FuzzError(f"no progress: {what} within {timeout_s:.0f} s (stats: {stats})")
            await trio.sleep(0.01)

    async def wait_ready(self, what: str, timeout_s: float = PROGRESS_TIMEOUT_S) -> None:
        """Until the (re)started node answers ApiVersions and Metadata; it must not die."""
        deadline = trio.current_time() + timeout_s
        while True:
            if not self.node.alive:
                code = self.node.process.returncode if self.node.process else None
                raise FuzzError(f"{what}: the node exited with status {code}")
            try:
                await check_serving(self.node.port)
                return
            except FuzzError as exc:
                if trio.current_time() > deadline:
                    raise FuzzError(f"{what}: not serving after {timeout_s:.0f} s: {exc}") from None
            await trio.sleep(0.05)

    @contextlib.contextmanager
    def timed(self, what: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.report.seconds_in[what] += time.monotonic() - started

    async def drive_follower(self) -> None:
        """A fake becomes leader of a new epoch; the node must fetch from it."""
        with self.timed("drive-follower"):
            await self._drive_follower()

    async def _drive_follower(self) -> None:
        self.mutate_probability = 0.0
        leader = self.rng.choice(FAKE_IDS)
        refused: Any = None
        for _attempt in range(DRIVE_ATTEMPTS):
            if self._node_epoch() > EPOCH_RESET_ABOVE:
                await self.exhausted()
            self.leader = leader
            # Strictly above anything tried before: a hostile BeginQuorumEpoch whose answer we
            # missed may have made the node follow this leader in our epoch at a bogus endpoint,
            # and a same-epoch BeginQuorumEpoch (rightly) changes nothing.
            epoch = max(self._node_epoch(), self.epoch) + 1
            if epoch > EPOCH_MAX:
                raise FuzzError(f"the node's epoch is {epoch - 1} after the restart")
            self.epoch = epoch
            begin = begin_request(leader, epoch, "127.0.0.1", self.fake_ports[leader])
            answer = await exchange(
                self.node.port, encode_request(BEGIN, 1, 1, "fuzz", begin), CHECK_TIMEOUT_S
            )
            if answer is None:
                raise FuzzError("a valid BeginQuorumEpoch got no answer")
            _, body = decode_response(BEGIN, 1, answer)
            if body.error_code != 0 or body.topics[0].partitions[0].error_code != 0:
                # Fenced: the node moved to a newer epoch than we knew (a hostile request).
                refused = body
                self._see_epoch(epoch_of_answer(BEGIN, body))
                await trio.sleep(0.1)
                continue
            deadline = trio.current_time() + DRIVE_ATTEMPT_S
            while trio.current_time() < deadline and self.node.alive:
                if (leader, epoch) in self.fetched_at_epoch:
                    self.report.cycles["follower"] += 1
                    return
                await trio.sleep(0.01)
        if refused is not None:
            raise FuzzError(f"valid BeginQuorumEpochs were refused: {refused}")
        raise FuzzError(
            f"no progress: no Fetch to the new leader {leader} in {DRIVE_ATTEMPTS} epochs up to "
            f"{self.epoch} ({DRIVE_ATTEMPT_S:.0f} s each; stats: {self.node.last_stats()})"
        )

    async def drive_leader(self, task_status: Any) -> None:
        """The fake leader resigns in favour of the node; the fakes vote for it and follow."""
        self.mutate_probability = 0.0
        self.grant_votes = True
        self.leads_epoch = None
        old = self.leader or FAKE_IDS[0]
        self.epoch = max(self.epoch, self._node_epoch())
        self.leader = None
        frame = encode_request(
            END,
            1,
            1,
            "fuzz",
            end_request(old, self.epoch, [NODE_ID], "127.0.0.1", self.fake_ports[old]),
        )
        await exchange(self.node.port, frame, CHECK_TIMEOUT_S)
        await self.wait_for(
            lambda: self.leads_epoch is not None and self.leads_epoch >= self.epoch,
            "the node to lead (BeginQuorumEpoch from it)",
        )
        assert self.leads_epoch is not None
        self.epoch = self.leads_epoch
        self.report.cycles["leader"] += 1
        task_status.started()

    async def follow_node(self, voter_id: int) -> None:
        """A fake follower fetching from the leading node (so it commits), forever."""
        offset, last_epoch = 0, NO_EPOCH
        while True:
            frame = encode_request(
                FETCH,
                17,
                5,
                f"raft-client-{voter_id}",
                fetch_request(voter_id, offset, last_epoch, self.epoch, 200),
            )
            answer = await exchange(self.node.port, frame, 2.0)
            if answer is None:
                await trio.sleep(0.05)
                continue
            with contextlib.suppress(Exception):
                _, body = decode_response(FETCH, 17, answer)
                part = body.responses[0].partitions[0]
                if part.diverging_epoch.end_offset >= 0:
                    offset, last_epoch = part.diverging_epoch.end_offset, part.diverging_epoch.epoch
                elif part.records:
                    for _, header in iter_batches(part.records):
                        offset, last_epoch = header.next_offset, header.partition_leader_epoch
            await trio.sleep(0.005)

    async def burst(self, probability: float, hostile: bool) -> None:
        """Mutated answers (at `probability`) and hostile requests until a burst is done."""
        with self.timed("burst"):
            await self._burst(probability, hostile)

    async def _burst(self, probability: float, hostile: bool) -> None:
        self.burst_count = 0
        self.mutate_probability = probability
        deadline = trio.current_time() + BURST_TIME_S_MAX

        def going() -> bool:
            return (
                self.burst_count < BURST_MUTATIONS
                and not self.done
                and trio.current_time() < deadline
                and self.node.alive
            )

        async def sender() -> None:
            while going():
                await self.send_hostile()

        try:
            if hostile and self.request_kinds:
                async with trio.open_nursery() as nursery:
                    for _ in range(HOSTILE_SENDERS):
                        nursery.start_soon(sender)
            while going():
                await trio.sleep(0.01)
        finally:
            self.mutate_probability = 0.0

    async def check(self) -> None:
        with self.timed("check"):
            await self._check()

    async def _check(self) -> None:
        if not self.node.alive:
            code = self.node.process.returncode if self.node.process else None
            raise FuzzError(f"the node died (exit status {code})")
        try:
            await check_serving(self.node.port)
        except FuzzError as exc:
            # Slow is not dead: on a starved machine a live node may take seconds to answer.
            # It gets SLOW_CHECK_GRACE_S more; answering then is counted, not a finding.
            await self.wait_ready(f"{exc}, and still not serving", SLOW_CHECK_GRACE_S)
            self.report.slow_checks += 1
            self.log(f"slow check: {exc} (then served)")
        text = self.node.new_stderr()
        if "Traceback" in text:
            raise FuzzError("traceback on stderr")
        stats = self.node.last_stats()
        if stats is not None:
            self.report.roles_seen[str(stats["role"])] += 1

    async def idle_connections(self) -> None:
        self._next("idle-connections")
        self._record(
            "idle-connections", f"{IDLE_FLOOD_CONNECTIONS} idle connections, then a new one"
        )
        streams = []
        try:
            with trio.move_on_after(30):
                for _ in range(IDLE_FLOOD_CONNECTIONS):
                    streams.append(await trio.open_tcp_stream("127.0.0.1", self.node.port))
            await trio.sleep(0.2)
            for stream in streams[:100]:  # idle clients that go away must free their places
                await trio.aclose_forcefully(stream)
            del streams[:100]
            # The node works through its accept backlog (and evicts idle connections) first: a
            # newcomer must get in, but may queue behind thousands of connects on a busy machine.
            started = trio.current_time()
            deadline = started + IDLE_FLOOD_NEWCOMER_TIMEOUT_S
            while True:
                try:
                    await check_serving(self.node.port)
                    break
                except FuzzError as exc:
                    if trio.current_time() > deadline or not self.node.alive:
                        raise FuzzError(
                            f"after {IDLE_FLOOD_CONNECTIONS} idle connections: {exc}"
                        ) from None
            waited_s = trio.current_time() - started
            self.report.idle_flood_newcomer_s = max(self.report.idle_flood_newcomer_s, waited_s)
        finally:
            for stream in streams:
                await trio.aclose_forcefully(stream)

    async def restart(self, *, graceful: bool, why: str) -> None:
        with self.timed("restart"):
            await self._restart(graceful=graceful, why=why)

    async def exhausted(self) -> None:
        """Hostile requests pushed the epoch beyond what a fake can outrank: wipe the log dir.
        Every other time, first check that the node restarts on it (the epoch-at-the-limit
        crash loop of issue #12); each check costs a node start-up, the slowest thing here."""
        self.report.cycles["epoch-exhausted"] += 1
        if self.report.cycles["epoch-exhausted"] % 2 == 1:
            await self.restart(graceful=self.rng.random() < 0.5, why="epoch exhausted")
            return
        with self.timed("restart"):
            self.node.kill()
            await self._wipe_and_start()
            self.since_restart = 0

    async def _wipe_and_start(self) -> None:
        self.report.wipes += 1
        self.node.kill()
        self.node.wipe()
        self.epoch_seen = 0
        self.epoch = 0
        self.node.start(self.rng.getrandbits(32))
        await self.wait_ready("start-up after a wipe")

    async def _restart(self, *, graceful: bool, why: str) -> None:
        self.report.restarts += 1
        self.mutate_probability = 0.0
        self.grant_votes = True
        code = await self.node.stop(graceful=graceful)
        if graceful and code != 0:
            raise FuzzError(f"SIGTERM ({why}): exit status {code}")
        self.node.start(self.rng.getrandbits(32))
        await trio.sleep(0.3)
        await self.wait_ready(f"restart after {why} stop")
        await self.check()
        if self._node_epoch() > EPOCH_RESET_ABOVE:
            await self._wipe_and_start()
        self.since_restart = 0

    async def recover_from(self, finding: FuzzError) -> None:
        with self.timed("recover"):
            await self._recover_from(finding)

    async def _recover_from(self, finding: FuzzError) -> None:
        self.node.kill()
        check = str(finding)
        crash = self.node.exception_line()
        if crash:
            check = f"{check}; node stderr: {crash}"
        self.report.findings.append(
            Finding(check, [str(m) for m in self.recent], self.node.stderr_tail())
        )
        self.log(f"FINDING (seed {self.seed}): {self.report.findings[-1]}")
        self.recent.clear()
        self.node.kill()
        self.node.start(self.rng.getrandbits(32))
        try:
            await self.wait_ready("restart after a finding")
            await self.check()
        except FuzzError as exc:
            self.node.kill()
            crash = self.node.exception_line()
            check = f"restart on the same log dir failed: {exc}" + (
                f"; node stderr: {crash}" if crash else ""
            )
            self.report.findings.append(Finding(check, [], self.node.stderr_tail()))
            self.log(
                f"FINDING (seed {self.seed}): restart failed: {exc}\n{self.node.stderr_tail()}"
            )
            await self._wipe_and_start()
        self.fetched_at_epoch.clear()
        self.since_restart = 0

    async def one_cycle(self) -> None:
        await self.drive_follower()
        for _ in range(self.rng.randint(1, 3)):
            await self.burst(self.rng.choice([0.5, 0.8, 1.0]), hostile=self.rng.random() < 0.7)
            await self.check()
            if self.done:
                return
            await self.drive_follower()  # hostile requests may have moved it: take it back
        async with trio.open_nursery() as nursery:
            # Vote answers are mutated too, so some elections fail and the node retries (candidate).
            self.mutate_probability = self.rng.choice([0.0, 0.3, 0.6])
            with self.timed("drive-leader"):
                await nursery.start(self.drive_leader)
            for voter_id in FAKE_IDS:
                nursery.start_soon(self.follow_node, voter_id)
            await self.burst(0.5, hostile=True)
            await self.check()
            nursery.cancel_scope.cancel()
        if self.idle_flood and self.report.mutations >= self.next_flood_at:
            self.next_flood_at = self.report.mutations + IDLE_FLOOD_EVERY
            with self.timed("idle-connections"):
                await self.idle_connections()

    async def run(self) -> Report:
        started = time.monotonic()
        try:
            async with trio.open_nursery() as nursery:
                for voter_id in FAKE_IDS:
                    await nursery.start(self.serve_fake, voter_id)
                self.node.start(self.rng.getrandbits(32))
                try:
                    await self.wait_ready("start-up")
                    while not self.done:
                        try:
                            await self.one_cycle()
                            if self.since_restart >= self.restart_every:
                                graceful = self.report.restarts % 2 == 0
                                await self.restart(graceful=graceful, why="periodic")
                        except (FuzzError, BaseExceptionGroup) as raised:
                            exc = fuzz_error(raised)
                            if len(self.report.findings) >= self.findings_max:
                                self.log(f"{self.findings_max} findings: giving up")
                                break
                            await self.recover_from(exc)
                        if self.report.mutations and self.report.mutations % 1000 < BURST_MUTATIONS:
                            elapsed_s = time.monotonic() - started
                            self.report.duration_s = elapsed_s
                            if self.progress is not None:
                                self.progress(self.report)
                            self.log(
                                f"{self.report.mutations} mutations, "
                                f"{len(self.report.findings)} findings, {elapsed_s:.0f} s"
                            )
                    try:
                        await self.restart(graceful=True, why="final")
                    except FuzzError as exc:
                        await self.recover_from(exc)
                finally:
                    self.node.kill()
                    nursery.cancel_scope.cancel()
        finally:
            self.report.duration_s = time.monotonic() - started
        return self.report


# ---------------------------------------------------------------------------- command line


@contextlib.contextmanager
def _directory(path: str | None) -> Iterator[Path]:
    if path is not None:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        yield directory
        return
    with tempfile.TemporaryDirectory(prefix="kraft-fuzz-") as tmp:
        yield Path(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz.live", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--mutations", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--restart-every", type=int, default=500)
    parser.add_argument("--findings-max", type=int, default=FINDINGS_MAX, help="then give up")
    parser.add_argument("--time-limit-s", type=float, default=None, help="stop early, reporting")
    parser.add_argument(
        "--kinds", default=None, help=f"comma-separated subset of: {', '.join(KINDS)}"
    )
    parser.add_argument(
        "--dir", default=None, help="keep the node's files here (default: a temp dir)"
    )
    parser.add_argument("--json", default=None, help="also write the report as JSON here")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4))
    kinds = None
    if args.kinds:
        kinds = frozenset(k.strip() for k in args.kinds.split(","))
        unknown = kinds - set(KINDS)
        if unknown:
            parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    try:
        with _directory(args.dir) as directory:
            campaign = Campaign(
                directory,
                seed,
                args.mutations,
                restart_every=args.restart_every,
                findings_max=args.findings_max,
                kinds=kinds,
                log=lambda s: print(s, flush=True),
            )
            if args.time_limit_s is not None:
                campaign.deadline = time.monotonic() + args.time_limit_s
            if args.json:
                json_path = Path(args.json)
                campaign.progress = lambda r: json_path.write_text(
                    json.dumps(r.to_json(), indent=1)
                )
            # SIGTERM ends the campaign like Ctrl-C, so the node process is never left behind.
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                report = trio.run(campaign.run)
            finally:
                campaign.node.kill()
    except KeyboardInterrupt:
        return 130
    print(report.summary())
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), indent=1))
    return 1 if report.findings else 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
