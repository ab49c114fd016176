"""Fixtures that start real node processes and always kill them in teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster

MakeCluster = Callable[..., Cluster]


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[MakeCluster]:
    clusters: list[Cluster] = []

    def make(size: int, **kwargs: object) -> Cluster:
        cluster = Cluster(tmp_path / f"cluster-{len(clusters)}", size, **kwargs)  # type: ignore[arg-type]
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.close()
