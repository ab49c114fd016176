"""Smoke of the benchmark harness (`kraft bench --quick`), so that bench/ cannot rot.

Asserts structure and sanity, never speed: the machine running CI may be loaded. The quick run
exercises the real scenarios end to end: codec (bench/codec.py, bench/records.py), PySyncObj
3-node cluster processes, and a 3-voter pykraft quorum once `bin/test-raft-server-start.sh`
exists (before that, the throughput scenario must say "node not runnable yet", not crash).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.fetch_client import scan_batches
from bench.options import ROOT
from kraft.cli import main
from wire.records import build_data_batch, iter_batches

NODE_SCRIPT = ROOT / "bin" / "test-raft-server-start.sh"


def test_scan_batches_matches_wire_records() -> None:
    """The raw Fetch client's batch walk agrees with wire.records, and stops at a partial batch."""
    batches = [
        build_data_batch(base, 3, 1_700_000_000_000, [bytes([i]) * 100 for i in range(n)])
        for base, n in ((0, 5), (5, 1), (6, 40))
    ]
    buf = b"".join(batches)
    headers = [h for _, h in iter_batches(buf)]
    size, count, next_offset = scan_batches(memoryview(buf), 0)
    assert (size, count, next_offset) == (len(buf), 3, headers[-1].next_offset) == (len(buf), 3, 46)
    cut = buf + batches[0][:30]
    assert scan_batches(memoryview(cut), 0) == (len(buf), 3, 46)
    assert scan_batches(memoryview(b""), 7) == (0, 0, 7)


def test_plot_writes_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from bench import report

    points = [
        {
            "append_linger_ms": linger,
            "offered_records_per_s": rate,
            "committed_records_per_s": rate * 0.99,
            "commit_latency_ms_p50": 1.0 + linger,
            "commit_latency_ms_p99": 3.0 + linger,
        }
        for linger in (0, 25)
        for rate in (5_000, 20_000)
    ]
    path = tmp_path / "plot.png"
    assert report.plot({"name": "t", "scenarios": {"latency": {"points": points}}}, path)
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_quick_bench_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pysyncobj")
    argv = ["bench", "--quick", "--quiet", "--record-sizes", "256"]
    argv += ["--name", "smoke", "--results-dir", str(tmp_path), "--workdir", str(tmp_path)]
    assert main(argv) == 0
    result = json.loads((tmp_path / "smoke.json").read_text())
    table = (tmp_path / "smoke.md").read_text()
    assert capsys.readouterr().out == table
    assert "| scenario | figure | value | target met (issue #6) | note |" in table
    assert result["machine"]["nproc"] >= 1
    assert result["command"].startswith("bin/bench --quick")
    scenarios = result["scenarios"]
    assert set(scenarios) == {"codec", "peer", "throughput"}

    records = scenarios["codec"]["records"]["256"]
    assert records["build_records_per_s"] > 0 and records["parse_records_per_s"] > 0

    peer = scenarios["peer"]["by_record_size"]["256"]
    (run,) = peer["runs"]
    assert run["is_leader"] and run["committed_ops"] > 0
    assert 0 < peer["committed_ops_per_s"] < 10_000_000
    assert math.isclose(run["committed_mb_per_s"], run["committed_ops_per_s"] * 256 / 1e6)
    assert len(run["cpu_cores_per_node"]) == 3
    assert all(rss > 1 for rss in run["rss_mib_peak_per_node"])

    throughput = scenarios["throughput"]
    if not NODE_SCRIPT.exists():
        assert throughput["unavailable"].startswith("node not runnable yet")
        assert "throughput | not measured" in table
        return
    assert "unavailable" not in throughput, throughput.get("unavailable")
    ours = throughput["by_record_size"]["256"]
    assert ours["committed_records_per_s"] > 0
    assert ours["high_watermark_offsets_per_s"] > 0
    (node_run,) = ours["runs"]
    assert set(node_run["cpu_cores_per_node"]) == {"1", "2", "3"}
    assert "pykraft / PySyncObj at 256 B" in table
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith("pykraft-bench-")]
    assert leftovers == []


def test_update_readme_replaces_only_the_bench_block(tmp_path: Path) -> None:
    from bench import report

    readme = tmp_path / "README.md"
    before = "# x\n\n## Performance\n\ntext\n\n"
    after = "\n## Next\n\nmore\n"
    begin, end = "<!-- bench:begin (w) -->\n", "<!-- bench:end -->"
    readme.write_text(before + begin + "old table\n" + end + after)
    report.update_readme(readme, "| new |\n")
    assert readme.read_text() == before + begin + "| new |\n" + end + after


def test_a_failing_scenario_keeps_the_others_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in one scenario (the last of a half-hour run) must not lose the earlier figures."""
    import types

    from bench import runner
    from bench.options import BenchOptions

    def crashes(options: BenchOptions) -> dict[str, object]:
        raise TypeError("Unrecognized configs: {'fetch_bytes_max'}")

    modules = {
        "bench.scenarios.first": types.SimpleNamespace(run=lambda options: {"records_per_s": 1}),
        "bench.scenarios.second": types.SimpleNamespace(run=crashes),
    }
    monkeypatch.setattr(runner.importlib, "import_module", modules.__getitem__)
    results = runner.run_scenarios(("first", "second"), BenchOptions(verbose=False))
    assert results["first"]["records_per_s"] == 1
    assert "TypeError" in results["second"]["unavailable"]
