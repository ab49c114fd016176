"""Outbound request bookkeeping (Kafka's `RequestManager`): ids, one in-flight request per
destination, timeouts and retry backoff, all driven by `now_ms`.

A destination is *ready* when nothing is in flight to it and its backoff has ended. A response is
accepted only for the request id currently in flight to its destination; everything else (late
answers to timed-out requests, answers to requests forgotten by `reset_all` on a role transition)
is ignored, as upstream does.
"""

from __future__ import annotations

from dataclasses import dataclass

from kraft.rpc import Request
from kraft.types import ReplicaAddress

# Upper bound on destinations tracked at once (voters + bootstrap servers, far below this).
DESTINATIONS_MAX = 4096


@dataclass(slots=True)
class InFlight:
    request_id: int
    destination: ReplicaAddress
    request: Request
    deadline_ms: int


class RequestManager:
    def __init__(self, request_timeout_ms: int, retry_backoff_ms: int) -> None:
        self.request_timeout_ms = request_timeout_ms
        self.retry_backoff_ms = retry_backoff_ms
        self._next_request_id = 1
        self._in_flight: dict[int, InFlight] = {}  # by destination node id
        self._backoff_until_ms: dict[int, int] = {}  # by destination node id

    def is_ready(self, node_id: int, now_ms: int) -> bool:
        if node_id in self._in_flight:
            return False
        return self._backoff_until_ms.get(node_id, 0) <= now_ms

    def any_in_flight(self, request_type: type) -> bool:
        return any(isinstance(e.request, request_type) for e in self._in_flight.values())

    def start(self, destination: ReplicaAddress, request: Request, now_ms: int) -> InFlight:
        assert destination.node_id not in self._in_flight, "one request in flight per destination"
        assert len(self._in_flight) < DESTINATIONS_MAX
        entry = InFlight(
            self._next_request_id, destination, request, now_ms + self.request_timeout_ms
        )
        self._next_request_id += 1
        self._in_flight[destination.node_id] = entry
        self._backoff_until_ms.pop(destination.node_id, None)
        return entry

    def complete(self, request_id: int) -> InFlight | None:
        """The response to `request_id` arrived: the entry if it was expected, else None."""
        for node_id, entry in self._in_flight.items():
            if entry.request_id == request_id:
                del self._in_flight[node_id]
                return entry
        return None

    def fail(self, request_id: int, now_ms: int) -> InFlight | None:
        """`request_id` failed: back off its destination; the entry if it was expected."""
        entry = self.complete(request_id)
        if entry is not None:
            self.back_off(entry.destination.node_id, now_ms)
        return entry

    def back_off(self, node_id: int, now_ms: int) -> None:
        self._backoff_until_ms[node_id] = now_ms + self.retry_backoff_ms
        if len(self._backoff_until_ms) > DESTINATIONS_MAX:
            self._backoff_until_ms = {k: v for k, v in self._backoff_until_ms.items() if v > now_ms}

    def expire(self, now_ms: int) -> list[InFlight]:
        """Requests whose timeout passed; their destinations back off."""
        expired = [e for e in self._in_flight.values() if e.deadline_ms <= now_ms]
        for entry in expired:
            del self._in_flight[entry.destination.node_id]
            self.back_off(entry.destination.node_id, now_ms)
        return expired

    def reset_all(self) -> None:
        """Forget every in-flight request and backoff (a role transition)."""
        self._in_flight.clear()
        self._backoff_until_ms.clear()

    def next_deadline_ms(self, now_ms: int) -> int | None:
        deadlines = [e.deadline_ms for e in self._in_flight.values()]
        deadlines += [t for t in self._backoff_until_ms.values() if t > now_ms]
        return min(deadlines, default=None)
