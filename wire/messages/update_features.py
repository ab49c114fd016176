"""UpdateFeatures (key 57), v0-2, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class UpdateFeaturesRequest(Message):
    API_KEY: ClassVar[int] = 57
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class FeatureUpdateKey(Struct):
        feature: str = f("string", "0+")
        max_version_level: int = f("int16", "0+")
        allow_downgrade: bool = f("bool", "0")
        upgrade_type: int = f("int8", "1+", default=1)

    timeout_ms: int = f("int32", "0+", default=60000)
    feature_updates: list[FeatureUpdateKey] = f([FeatureUpdateKey], "0+")
    validate_only: bool = f("bool", "1+")


@dataclass(frozen=True)
class UpdateFeaturesResponse(Message):
    API_KEY: ClassVar[int] = 57
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class UpdatableFeatureResult(Struct):
        feature: str = f("string", "0+")
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+")
    results: list[UpdatableFeatureResult] = f([UpdatableFeatureResult], "0-1", ignorable=True)
