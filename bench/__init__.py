"""pykraft benchmarks: `bin/kraft bench` (see README "Performance").

Each scenario in `bench/scenarios/` is a function `run(options) -> dict` of figures; `bench.runner`
runs the selected ones, and `bench.report` writes `bench/results/<name>.json`, a Markdown table and
a PNG plot. Node scenarios drive real `bin/test-raft-server-start.sh` processes on 127.0.0.1 with
fsync on; the peer scenario runs PySyncObj in the same run so that ratios compare like with like.
"""
