"""Fixtures for the fault tests: clusters in network namespaces, always torn down."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults import net
from tests.faults.harness import FaultCluster

MakeFaultCluster = Callable[..., FaultCluster]


@functools.cache
def _unavailable() -> str | None:
    return net.unavailable_reason()


@pytest.fixture
def make_fault_cluster(tmp_path: Path) -> Iterator[MakeFaultCluster]:
    reason = _unavailable()
    if reason is not None:
        pytest.skip(reason)
    clusters: list[FaultCluster] = []

    def make(size: int = 3, **kwargs: object) -> FaultCluster:
        cluster = FaultCluster(tmp_path / f"cluster-{len(clusters)}", size, **kwargs)  # type: ignore[arg-type]
        clusters.append(cluster)
        return cluster

    try:
        yield make
    finally:
        for cluster in clusters:
            cluster.close()
