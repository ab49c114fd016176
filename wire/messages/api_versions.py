"""ApiVersions (key 18), v0-4, flexible from v3.

Requests v0-2 have an empty body. Responses always travel with response header v0 (decided in
`wire.headers`). An unsupported request version is answered with a v0 body, built by
`wire.headers.api_versions_unsupported_response`.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ApiVersionsRequest(Message):
    API_KEY: ClassVar[int] = 18
    VERSIONS: ClassVar[Versions] = Versions(0, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    client_software_name: str = f("string", "3+", ignorable=True)
    client_software_version: str = f("string", "3+", ignorable=True)


@dataclass(frozen=True)
class ApiVersionsResponse(Message):
    API_KEY: ClassVar[int] = 18
    VERSIONS: ClassVar[Versions] = Versions(0, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    @dataclass(frozen=True)
    class ApiVersion(Struct):
        api_key: int = f("int16", "0+")
        min_version: int = f("int16", "0+")
        max_version: int = f("int16", "0+")

    @dataclass(frozen=True)
    class SupportedFeatureKey(Struct):
        name: str = f("string", "3+")
        min_version: int = f("int16", "3+")
        max_version: int = f("int16", "3+")

    @dataclass(frozen=True)
    class FinalizedFeatureKey(Struct):
        name: str = f("string", "3+")
        max_version_level: int = f("int16", "3+")
        min_version_level: int = f("int16", "3+")

    error_code: int = f("int16", "0+")
    api_keys: list[ApiVersion] = f([ApiVersion], "0+")
    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    supported_features: list[SupportedFeatureKey] = f(
        [SupportedFeatureKey], "3+", tagged="3+", tag=0, ignorable=True
    )
    finalized_features_epoch: int = f("int64", "3+", tagged="3+", tag=1, default=-1, ignorable=True)
    finalized_features: list[FinalizedFeatureKey] = f(
        [FinalizedFeatureKey], "3+", tagged="3+", tag=2, ignorable=True
    )
    zk_migration_ready: bool = f("bool", "3+", tagged="3+", tag=3, ignorable=True)


# Kafka's ApiVersionsRequest.isValid(): both client software fields must match this (v3+)
_SOFTWARE = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?")


def is_valid_request(request: ApiVersionsRequest, version: int) -> bool:
    """False when a v3+ request must be answered with INVALID_REQUEST (42)."""
    if version < 3:
        return True
    return all(
        _SOFTWARE.fullmatch(value) is not None
        for value in (request.client_software_name, request.client_software_version)
    )
