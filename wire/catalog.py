"""TEMPORARY (branch `proxy`): the API catalog interface, built from `wire.registry.API_SPECS`.

The `wire-all` branch replaces this file with the catalog of every Kafka API; until it is merged,
the proxy and `kraft decode` look APIs up here so that their code needs no change at the merge.
"""

from __future__ import annotations

from collections.abc import Mapping

from wire.registry import API_SPECS, ApiSpec

CATALOG: Mapping[int, ApiSpec] = API_SPECS


def spec_for(api_key: int) -> ApiSpec | None:
    return CATALOG.get(api_key)
