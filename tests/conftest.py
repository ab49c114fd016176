"""Suite-wide scheduling: the longest test files start first.

`bin/test` runs `pytest -n 2 --dist loadfile --no-loadscope-reorder`: xdist hands whole files to
its two workers in collection order, each worker taking the next file when it is free. xdist's own
reorder (most tests first) started the hypothesis-heavy wire files first and the Kafka files, few
tests but minutes each, last, where one of them ran alone for minutes at the end. Sorting the files
longest first (the classic longest-processing-time order) lets the short ones fill the gaps.

`FILE_SECONDS` holds the measured time of the longest files (sum of the per-test times of
`pytest --junitxml`, one loaded run on 2 cores); only their order matters. Files not listed run
after them, slow-marked ones (real processes) before the rest, each group in collection order.
Update the table when a file grows past the last entry.
"""

from __future__ import annotations

import signal

import pytest

# A suite started in the background (`bin/test &`, nohup, some CI runners) inherits SIGINT
# ignored, and so would every tool it starts: the tests that stop a tool with Ctrl-C would see
# it ignored. The tools' own handling of an ignored SIGINT is tested explicitly (tests/cli/
# test_stop.py ignores it in the child on purpose).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

FILE_SECONDS = {
    "tests/kafka/test_cluster_image.py": 193,
    "tests/kafka/test_observe_controllers_dynamic.py": 190,
    "tests/kafka/test_observe_controllers.py": 185,
    "tests/kafka/test_mixed_quorum.py": 152,
    "tests/kafka/test_kafka_tools.py": 151,
    "tests/wire/test_totality.py": 112,
    "tests/faults/test_faults.py": 105,
    "tests/kafka/test_observe_truncation.py": 98,
    "tests/wire/test_roundtrip.py": 95,
    "tests/wire/test_catalog.py": 86,
    "tests/sim/test_simulation.py": 85,
    "tests/cli/test_install.py": 79,
    "tests/wire/test_kio.py": 66,
    "tests/kafka/test_snapshot_files.py": 65,
    "tests/interop/test_quorum_clients.py": 58,
    "tests/fuzz/test_live.py": 54,
    "tests/security/test_secured_quorum.py": 47,
    "tests/wire/test_kafka_python.py": 41,
    "tests/kafka/test_metadata_serde.py": 37,
    "tests/e2e/test_failover.py": 34,
    "tests/bench/test_smoke.py": 32,
    "tests/e2e/test_node.py": 32,
    "tests/proxy/test_kafka_through_proxy.py": 32,
    "tests/e2e/test_snapshots.py": 29,
    "tests/security/test_mixed_sasl_ssl.py": 24,
    "tests/cli/test_connect.py": 20,
}
# Unlisted files that start real processes (marked slow) go before the unlisted rest.
UNLISTED_SLOW_SECONDS = 10


def _file_seconds(item: pytest.Item) -> float:
    path = item.nodeid.split("::", 1)[0]
    if path in FILE_SECONDS:
        return FILE_SECONDS[path]
    return UNLISTED_SLOW_SECONDS if item.get_closest_marker("slow") else 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: each file's tests keep their order (module fixtures, kill-last tests).
    items.sort(key=_file_seconds, reverse=True)
