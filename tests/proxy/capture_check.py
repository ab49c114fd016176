"""Checks on a `kraft proxy --save` capture: every frame decodes and re-encodes to its bytes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kraft.shell.proxy.frames import (
    api_name,
    decode_request,
    decode_response,
    encode_request_payload,
    encode_response_payload,
    peek_correlation,
    peek_request,
)
from wire.catalog import spec_for
from wire.errors import DecodeError


@dataclass
class CaptureReport:
    frames: int = 0
    by_api: Counter[str] = field(default_factory=Counter)
    # "Api vN request|response: reason" for frames of catalogued APIs that failed
    failures: list[str] = field(default_factory=list)
    # APIs the catalog lacks (their frames are shown as hex by the proxy)
    not_in_catalog: Counter[str] = field(default_factory=Counter)
    cut: int = 0


def check_capture(path: Path) -> CaptureReport:
    report = CaptureReport()
    inflight: dict[tuple[int, int], tuple[int, int]] = {}
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            report.cut += "not saved" in line
            continue
        connection_text, arrow, hex_text = line.split()
        connection = int(connection_text)
        raw = bytes.fromhex(hex_text)
        assert int.from_bytes(raw[:4], "big") == len(raw) - 4, line[:80]
        payload = raw[4:]
        report.frames += 1
        if arrow == ">":
            peek = peek_request(payload)
            assert peek is not None
            key, version, correlation_id = peek
            inflight[(connection, correlation_id)] = (key, version)
            what = f"{api_name(key)} v{version} request"
            if spec_for(key) is None:
                report.not_in_catalog[api_name(key)] += 1
                continue
            try:
                header, body, _ = decode_request(payload)
                if encode_request_payload(header, body) != payload:
                    report.failures.append(f"{what}: re-encoding differs")
            except DecodeError as e:
                report.failures.append(f"{what}: {e}")
            report.by_api[api_name(key)] += 1
        else:
            correlation_id = peek_correlation(payload)
            assert correlation_id is not None
            key, version = inflight.pop((connection, correlation_id))
            what = f"{api_name(key)} v{version} response"
            if spec_for(key) is None:
                report.not_in_catalog[api_name(key)] += 1
                continue
            try:
                _, body, _ = decode_response(key, version, payload)
                if encode_response_payload(key, version, correlation_id, body) != payload:
                    report.failures.append(f"{what}: re-encoding differs")
            except DecodeError as e:
                report.failures.append(f"{what}: {e}")
    return report
