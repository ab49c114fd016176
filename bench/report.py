"""Writes a bench result: `<dir>/<name>.json`, `<name>.md` (Markdown table) and `<name>.png`.

The JSON holds everything measured (per-run figures included); the Markdown table is the summary
that goes into README "Performance"; the PNG plots append→commit latency against committed
throughput from the latency and throughput scenarios (matplotlib, Agg backend, no display).
Each scenario module may provide `rows(figures) -> list[Row]`; a scenario that could not run shows
as one row with the reason.
"""

from __future__ import annotations

import importlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RATIO_TARGET = 5.0
TARGETS = {
    "throughput": "≥ 200,000 rec/s at 256 B; ≥ 5x PySyncObj",
    "latency": "p99 ≤ 5 ms at 5,000 rec/s, linger 0",
    "consumer": "≥ 500 MB/s (raw fetch)",
    "failover": "≤ 3 s",
    "memory": "RSS growth < 10% over 10 min at 20,000 rec/s",
}


@dataclass(frozen=True)
class Row:
    scenario: str
    figure: str
    value: str
    note: str = ""
    # The issue #6 target this figure is judged by and whether it is met, e.g. "≥ 500: yes".
    target: str = ""


def verdict(target: str, met: bool) -> str:
    return f"{target}: {'yes' if met else 'NO'}"


def fmt_num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def table_rows(result: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name, figures in result["scenarios"].items():
        if "unavailable" in figures:
            rows.append(Row(name, "not measured", "—", figures["unavailable"].splitlines()[0]))
            continue
        module = importlib.import_module(f"bench.scenarios.{name}")
        rows.extend(module.rows(figures))
        if name == "peer":
            rows.extend(ratio_rows(result["scenarios"]))
    return rows


def ratio_rows(scenarios: dict[str, Any]) -> list[Row]:
    ours = scenarios.get("throughput", {}).get("by_record_size", {})
    peer = scenarios.get("peer", {}).get("by_record_size", {})
    rows = []
    for size, figures in ours.items():
        if size in peer and peer[size]["committed_ops_per_s"] > 0:
            ratio = figures["committed_records_per_s"] / peer[size]["committed_ops_per_s"]
            rows.append(
                Row(
                    "peer",
                    f"pykraft / PySyncObj at {size} B",
                    f"{ratio:.2f}x",
                    "same run; pykraft fsyncs, PySyncObj does not",
                    verdict("≥ 5x", ratio >= RATIO_TARGET) if size == "256" else "",
                )
            )
    return rows


def run_line(result: dict[str, Any]) -> str:
    """Which run, when, on what, under which load (at start and, when known, at end)."""
    machine = result["machine"]
    load = f"load average at start {machine['load_avg_at_start']}"
    if machine.get("load_avg_at_end"):
        load += f", at end {machine['load_avg_at_end']}"
    return (
        f"Run `{result['name']}` at {result['created_utc']} on {machine['nproc']} x "
        f"{machine['cpu_model']}, {machine['mem_total_gib']} GiB, Python {machine['python']}, "
        f"Linux {machine['kernel']}, commit {machine['git_commit']}, {load}."
    )


def kafka_markdown(result: dict[str, Any]) -> str | None:
    """The side-by-side section (issue #16): run line, command, the pykraft | Kafka table and how
    long it took; None when the run has no kafka scenario."""
    kafka = result["scenarios"].get("kafka")
    if not kafka or "unavailable" in kafka:
        return None
    from bench.scenarios.kafka import side_by_side

    spent = ", ".join(
        f"{what} {kafka[key] / 60:.1f} min"
        for what, key in (
            ("stepped saturation", "stepped_s"),
            ("latency", "latency_s"),
            ("failover", "failover_s"),
        )
        if key in kafka
    )
    lines = [
        run_line(result),
        f"Command: `{result['command']}` (kafka scenario: {kafka['elapsed_s'] / 60:.1f} min; "
        f"{spent}).",
        "",
        *side_by_side(kafka, result["scenarios"].get("consumer")),
    ]
    return "\n".join(lines) + "\n"


def markdown(result: dict[str, Any]) -> str:
    lines = [
        run_line(result),
        f"Command: `{result['command']}`",
        "",
        "| scenario | figure | value | target met (issue #6) | note |",
        "|---|---|---|---|---|",
    ]
    for row in table_rows(result):
        cells = (row.scenario, row.figure, row.value, row.target, row.note)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Targets (issue #6): " + "; ".join(f"{k}: {v}" for k, v in TARGETS.items()) + ".")
    text = "\n".join(lines) + "\n"
    side = kafka_markdown(result)
    if side is not None:
        text += "\nSide by side with Kafka's own raft (issue #16):\n\n" + side
    return text


def plot_side_by_side(result: dict[str, Any], path: Path) -> bool:
    """p75 and p99 commit latency against committed records/s, pykraft and Kafka (the `kafka`
    scenario), one colour per implementation and linger, and a dotted line at each one's
    highest sustained rate (stepped saturation); False if there is nothing to plot."""
    points = [
        p
        for p in result["scenarios"].get("kafka", {}).get("latency", [])
        # Log axes: a point whose leader lost its leadership (nothing committed) cannot be placed.
        if p.get("commit_latency_ms_p99") is not None and p.get("committed_records_per_s", 0) > 0
    ]
    if not points:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    figure, axes = plt.subplots(figsize=(7.5, 4.8))
    series_keys = sorted({(p["implementation"], p["append_linger_ms"]) for p in points})
    for index, (name, linger) in enumerate(series_keys):
        series = sorted(
            (p for p in points if (p["implementation"], p["append_linger_ms"]) == (name, linger)),
            key=lambda p: p["committed_records_per_s"],
        )
        xs = [p["committed_records_per_s"] for p in series]
        for key, style in (("commit_latency_ms_p75", "o-"), ("commit_latency_ms_p99", "s--")):
            label = f"{name} {key.rsplit('_', 1)[1]}, linger {linger} ms"
            axes.plot(xs, [p[key] for p in series], style, color=f"C{index}", label=label)
    # The highest sustained rate of each (stepped saturation, 256 B): where each curve must end.
    colour_of = {name: f"C{i}" for i, (name, linger) in enumerate(series_keys) if linger == 25}
    by_name = result["scenarios"]["kafka"].get("throughput", {}).get("256", {})
    for name, found in sorted(by_name.items()):
        if found.get("sustained_offered_records_per_s"):
            axes.axvline(
                found["sustained_offered_records_per_s"],
                color=colour_of.get(name, "grey"),
                linestyle=":",
                label=f"{name}: highest sustained rate, 256 B",
            )
    axes.set_xlabel("committed records/s (3 voters, 256 B, fsync as each does)")
    axes.set_ylabel("append → commit latency (ms)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:,.0f}")
    axes.xaxis.set_major_formatter(plain)
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.yaxis.set_major_formatter(plain)
    axes.yaxis.set_minor_formatter(plain)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small", loc="best")
    axes.set_title(f"pykraft and Kafka 4.3.1 raft, same run ({result['name']})")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def plot(result: dict[str, Any], path: Path) -> bool:
    """Commit latency (p50, p99) against committed records/s; False if there is nothing to plot.
    With the side-by-side scenario, both implementations (`plot_side_by_side`)."""
    if plot_side_by_side(result, path):
        return True
    points = result["scenarios"].get("latency", {}).get("points", [])
    if not points:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    figure, axes = plt.subplots(figsize=(7, 4.5))
    lingers = sorted({p["append_linger_ms"] for p in points})
    for index, linger in enumerate(lingers):
        color = f"C{index}"
        series = sorted(
            (p for p in points if p["append_linger_ms"] == linger),
            key=lambda p: p["committed_records_per_s"],
        )
        xs = [p["committed_records_per_s"] for p in series]
        for key, style in (("commit_latency_ms_p50", "o-"), ("commit_latency_ms_p99", "s--")):
            label = f"{key.rsplit('_', 1)[1]}, linger {linger} ms"
            ys = [p[key] for p in series]
            axes.plot(xs, ys, style, color=color, label=label)
    axes.set_xlabel("committed records/s (3 voters, fsync on)")
    axes.set_ylabel("append → commit latency (ms)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:,.0f}")
    axes.set_xticks(sorted({p["offered_records_per_s"] for p in points}))
    axes.xaxis.set_major_formatter(plain)
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.yaxis.set_major_formatter(plain)
    axes.yaxis.set_minor_formatter(plain)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    axes.set_title(f"pykraft commit latency ({result['name']})")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


README_BEGIN = "<!-- bench:begin"
README_END = "<!-- bench:end -->"
README_KAFKA_BEGIN = "<!-- bench-kafka:begin"
README_KAFKA_END = "<!-- bench-kafka:end -->"
# Where `--update-readme` puts the side-by-side plot (tracked, beside the README's text).
README_PLOT = Path("bench") / "plots" / "kafka-side-by-side.png"
# The issue #6 table is rewritten only by a run that has one of its own scenarios (a run of
# `--only kafka,consumer` must not replace it with a lone consumer table).
ISSUE_6_SCENARIOS = frozenset({"codec", "throughput", "peer", "latency", "failover", "memory"})


def replace_block(text: str, begin_marker: str, end_marker: str, body: str) -> str:
    """`text` with what lies between the line holding `begin_marker` and `end_marker` replaced."""
    begin = text.index(begin_marker)
    begin_end = text.index("\n", begin) + 1
    end = text.index(end_marker, begin_end)
    return text[:begin_end] + body + text[end:]


def update_readme(readme: Path, table: str) -> None:
    """Replace what lies between the bench markers of README "Performance" with `table`."""
    readme.write_text(replace_block(readme.read_text(), README_BEGIN, README_END, table))


def update_readme_from(readme: Path, result: dict[str, Any], png: Path | None) -> list[str]:
    """Write a result into README "Performance": the issue #6 table (if the run has its
    scenarios) and the side-by-side section (if it has the kafka scenario), the latter with its
    plot copied to `README_PLOT`. Returns what was written, for the user."""
    import shutil

    text = readme.read_text()
    done = []
    if ISSUE_6_SCENARIOS & set(result["scenarios"]):
        only_issue_6 = {
            **result,
            "scenarios": {k: v for k, v in result["scenarios"].items() if k != "kafka"},
        }
        text = replace_block(text, README_BEGIN, README_END, markdown(only_issue_6))
        done.append("the issue #6 table")
    side = kafka_markdown(result)
    if side is not None:
        if png is not None and png.exists():
            target = readme.parent / README_PLOT
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, target)
            side += (
                f"\n![pykraft and Kafka commit latency against committed records/s, "
                f"run {result['name']}]({README_PLOT.as_posix()})\n"
            )
            done.append(str(README_PLOT))
        text = replace_block(text, README_KAFKA_BEGIN, README_KAFKA_END, side)
        done.append("the side-by-side table")
    readme.write_text(text)
    return done


def write(result: dict[str, Any], results_dir: Path) -> dict[str, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    name = result["name"]
    paths = {"json": results_dir / f"{name}.json", "md": results_dir / f"{name}.md"}
    png = results_dir / f"{name}.png"
    try:
        if plot(result, png):
            paths["png"] = png
    except ImportError:
        result["plot"] = "matplotlib not installed (bin/bench installs it)"
    paths["json"].write_text(json.dumps(result, indent=2, default=str) + "\n")
    paths["md"].write_text(markdown(result))
    return paths
