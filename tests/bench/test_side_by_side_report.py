"""The side-by-side report (issue #16): every figure of the issue's Deliver 1 gets a row with its
target, and `--update-readme` writes the side-by-side section (and its plot) into README
"Performance" without replacing the issue #6 table when the run has none of its scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import report
from bench.ladder import climb
from bench.scenarios.kafka import side_by_side


def ladder(capacity: float, kind: str, collapses: bool) -> dict[str, Any]:
    def measure(rate: int) -> dict[str, Any]:
        over = rate > capacity
        return {
            "committed_records_per_s": (0.0 if collapses else capacity) if over else rate * 1.0,
            "leadership_changed": over and collapses,
            "leader_kind": kind,
        }

    found = climb(measure, 40_000).summary()
    found["leaders"] = [s["leader_kind"] for s in found["steps"]]
    return found


def point(name: str, rate: int, linger: int, p99: float) -> dict[str, Any]:
    return {
        "implementation": name,
        "offered_records_per_s": rate,
        "append_linger_ms": linger,
        "committed_records_per_s": rate * 0.999,
        "commit_latency_ms_p50": None if name == "Kafka" else p99 / 3,
        "commit_latency_ms_p75": p99 / 2,
        "commit_latency_ms_p99": p99,
        "commit_latency_ms_p999": p99 * 2,
        "quorum_cpu_us_per_record": 60.0 if name == "pykraft" else 80.0,
        "leader_cpu_us_per_record": 30.0,
        "rss_mib_peak_per_node": {"1": 50.0, "2": 51.0, "3": 49.0}
        if name == "pykraft"
        else {"1": 260.0, "2": 270.0, "3": 250.0},
    }


def failover(median_ms: int) -> dict[str, Any]:
    rounds = [{"failover_ms": median_ms + d} for d in range(-5, 5)]
    return {
        "failover_ms_median": median_ms,
        "failover_ms_min": median_ms - 5,
        "failover_ms_max": median_ms + 4,
        "rounds": rounds,
    }


def kafka_figures() -> dict[str, Any]:
    return {
        "throughput": {
            "256": {
                "pykraft": ladder(260_000, "p", collapses=False),
                "Kafka": ladder(60_000, "k", collapses=True),
            },
            "1024": {
                "pykraft": ladder(90_000, "p", collapses=False),
                "Kafka": ladder(20_000, "k", collapses=True),
            },
        },
        "mixed": {
            "kkp": ladder(58_000, "p", collapses=False),
            "kpp": ladder(61_000, "k", collapses=True),
        },
        "latency": [
            point(name, rate, linger, p99)
            for name, p99 in (("pykraft", 8.0), ("Kafka", 40.0))
            for rate in (5_000, 20_000)
            for linger in (25, 0)
        ],
        "failover": {"pykraft": failover(2_090), "Kafka": failover(2_100)},
        "stepped_s": 600,
        "latency_s": 500,
        "failover_s": 400,
        "elapsed_s": 1500.0,
    }


CONSUMER = {
    "end_offset": 1_000_000,
    "record_size_bytes": 1024,
    "kraft_tail": {"records_per_s": 250_000.0},
    "kafka_python": {"records_per_s": 120_000.0, "mb_per_s": 122.0},
    "raw_fetch": {"mb_per_s": 1_100.0},
}


def result(scenarios: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "t",
        "created_utc": "2026-12-03 15:00 UTC",
        "command": "bin/bench --only kafka,consumer --runs 1",
        "machine": {
            "nproc": 2,
            "cpu_model": "x",
            "mem_total_gib": 1.0,
            "python": "3.11",
            "kernel": "6",
            "git_commit": "abc",
            "load_avg_at_start": [0.5, 0.4, 0.3],
            "load_avg_at_end": [1.5, 1.4, 1.3],
        },
        "scenarios": scenarios,
    }


def test_every_deliver_1_figure_has_a_row_with_its_target() -> None:
    table = "\n".join(side_by_side(kafka_figures(), CONSUMER))
    for needle in (
        "256 B, stepped saturation: highest sustained rate",
        "1024 B, stepped saturation: highest sustained rate",
        "≥ Kafka and ≥ 400,000: NO",  # 260,000 sustained
        "mixed 2 Kafka + 1 pykraft",
        "mixed 1 Kafka + 2 pykraft",
        "(leader, steps: pykraft in ",
        "(leader, steps: Kafka in ",
        "5,000 rec/s, linger 25 ms: commit latency p75 / p99 / p999 (p50) ms",
        "20,000 rec/s, linger 0 ms: commit latency",
        "p99 ≤ Kafka's: yes",
        "p99 ≤ 3 ms: NO",
        "CPU µs per committed record",
        "≤ Kafka's: yes",
        "peak RSS MiB per voter",
        "kill -9 leader → new leader commits, ms (median of 10 / 10 rounds",
        "`kraft tail` to /dev/null vs kafka-python",
        "2.08x",
        "≥ 2x: yes",
    ):
        assert needle in table, needle
    # Kafka collapses above 60,000: the ladder still gives it a sustained, non-zero figure.
    kafka_row = next(line for line in table.splitlines() if line.startswith("| 256 B"))
    assert "| 0 at" not in kafka_row


def test_without_the_consumer_scenario_the_tail_row_says_how_to_get_it() -> None:
    table = "\n".join(side_by_side(kafka_figures()))
    assert "`kraft tail` vs kafka-python: not measured in this run" in table
    assert "add `consumer` to `--only`" in table


def test_update_readme_writes_the_side_by_side_block_and_plot_only(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    readme = tmp_path / "README.md"
    issue_6 = "<!-- bench:begin (w) -->\nthe issue 6 table\n<!-- bench:end -->\n"
    kafka = "<!-- bench-kafka:begin -->\nold side by side\n<!-- bench-kafka:end -->\n"
    readme.write_text("## Performance\n\n" + issue_6 + "\ntext\n\n" + kafka + "\n## Next\n")
    run = result({"kafka": kafka_figures(), "consumer": CONSUMER})
    paths = report.write(run, tmp_path / "results")
    assert paths["png"].read_bytes().startswith(b"\x89PNG")
    assert json.loads(paths["json"].read_text())["machine"]["load_avg_at_end"] == [1.5, 1.4, 1.3]

    written = report.update_readme_from(readme, run, paths["png"])
    text = readme.read_text()
    assert written == [str(report.README_PLOT), "the side-by-side table"]
    assert issue_6 in text  # kafka + consumer only: the issue #6 table stays
    block = text[text.index("<!-- bench-kafka:begin") : text.index("<!-- bench-kafka:end")]
    assert "old side by side" not in block
    assert "load average at start [0.5, 0.4, 0.3], at end [1.5, 1.4, 1.3]" in block
    assert "Command: `bin/bench --only kafka,consumer --runs 1`" in block
    assert "| figure | pykraft | Kafka 4.3.1 |" in block
    assert f"]({report.README_PLOT.as_posix()})" in block
    assert (tmp_path / report.README_PLOT).read_bytes() == paths["png"].read_bytes()
    assert text.endswith("<!-- bench-kafka:end -->\n\n## Next\n")


def test_update_readme_rewrites_the_issue_6_table_for_its_own_scenarios(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "<!-- bench:begin -->\nold\n<!-- bench:end -->\n"
        "<!-- bench-kafka:begin -->\nkeep\n<!-- bench-kafka:end -->\n"
    )
    run = result({"codec": {"unavailable": "not here"}})
    assert report.update_readme_from(readme, run, None) == ["the issue #6 table"]
    text = readme.read_text()
    assert "| codec | not measured | — | not here |" in text or "codec | not measured" in text
    assert "\nkeep\n" in text and "\nold\n" not in text


class FakeQuorum:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> FakeQuorum:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def test_a_failover_round_that_cannot_finish_keeps_the_rounds_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A restarted Kafka voter that did not rejoin in time (loaded machine) used to void all the
    rounds of `--failover-runs 10`; now the series stops there and says why."""
    from bench.options import BenchOptions, ScenarioUnavailable
    from bench.scenarios import kafka

    done: list[int] = []

    def round_(q: object, kinds: str) -> dict[str, Any]:
        if len(done) == 3:
            raise ScenarioUnavailable(f"{kinds}: a restarted voter did not rejoin")
        done.append(1)
        return {"failover_ms": 2_000 + 100 * len(done)}

    monkeypatch.setattr(kafka, "MixedQuorum", FakeQuorum)
    monkeypatch.setattr(kafka, "failover_round", round_)
    result = kafka.failover(BenchOptions(), "kkk", 10)
    assert [r["failover_ms"] for r in result["rounds"]] == [2_100, 2_200, 2_300]
    assert result["failover_ms_median"] == 2_200
    assert result["stopped"] == "round 4: kkk: a restarted voter did not rejoin"
    # Not one round done: the part is unavailable, as before.
    with pytest.raises(ScenarioUnavailable, match="did not rejoin"):
        kafka.failover(BenchOptions(), "kkk", 10)
