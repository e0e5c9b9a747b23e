"""Back-pressure: a token bucket per API key, and the bounded queue in front of the one local model.

The local model generates one answer at a time. Requests that arrive meanwhile wait in a bounded
queue; when it is full, or a request has waited ``generation_queue_timeout`` seconds, the caller
gets 429 with a Retry-After estimated from recent generation times — never a hang.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

from assistant.api.errors import TooManyRequests
from assistant.api.metrics import ServiceMetrics

# Retry-After before any generation has been timed, and the weight of each new timing.
_INITIAL_GENERATION_SECONDS = 10.0
_GENERATION_TIME_SMOOTHING = 0.3


@dataclass
class TokenBucket:
    """``capacity`` requests at once, refilled at ``rate`` requests per second."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token; return 0 on success, else the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    """Per-key token buckets; ``per_minute`` 0 turns limiting off."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60
        self.burst = burst
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def check(self, key_id: str) -> None:
        """Count one request of ``key_id``; raises TooManyRequests when its bucket is empty."""
        if self.rate <= 0:
            return
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = TokenBucket(self.rate, self.burst, self.burst, now)
            wait = bucket.take(now)
        if wait:
            raise TooManyRequests(
                f"rate limit of {self.rate * 60:g} requests per minute (burst {self.burst}) exceeded for this API key",
                retry_after=wait,
            )


class GenerationQueue:
    """One generation at a time; at most ``max_waiting`` requests wait, each at most ``timeout`` seconds.

    Used from the event loop only (acquire and release are not thread-safe, and need not be).
    """

    def __init__(self, max_waiting: int, timeout: float, metrics: ServiceMetrics) -> None:
        self.max_waiting = max_waiting
        self.timeout = timeout
        self.metrics = metrics
        self._slot = asyncio.Semaphore(1)
        self._waiting = 0
        self._busy = False
        self._typical_seconds = _INITIAL_GENERATION_SECONDS

    @property
    def waiting(self) -> int:
        return self._waiting

    def _retry_after(self) -> float:
        return self._typical_seconds * (self._waiting + 1)

    async def acquire(self) -> GenerationLease:
        """Wait for the model; raises TooManyRequests when the queue is full or the wait times out."""
        if self._busy and self._waiting >= self.max_waiting:
            self.metrics.rejected.labels("queue_full").inc()
            raise TooManyRequests(
                f"the model is busy and {self._waiting} request(s) are already waiting (queue size "
                f"{self.max_waiting}); try again later",
                retry_after=self._retry_after(),
                code="queue_full",
            )
        self._waiting += 1
        self.metrics.queue_depth.set(self._waiting)
        try:
            await asyncio.wait_for(self._slot.acquire(), self.timeout)
        except TimeoutError:
            self.metrics.rejected.labels("queue_timeout").inc()
            raise TooManyRequests(
                f"waited {self.timeout:g} s for the model without getting a turn; try again later",
                retry_after=self._retry_after(),
                code="queue_timeout",
            ) from None
        finally:
            self._waiting -= 1
            self.metrics.queue_depth.set(self._waiting)
        self._busy = True
        self.metrics.generating.set(1)
        return GenerationLease(self, time.perf_counter())

    def _release(self, seconds: float) -> None:
        self._typical_seconds += _GENERATION_TIME_SMOOTHING * (seconds - self._typical_seconds)
        self._busy = False
        self.metrics.generating.set(0)
        self._slot.release()


class GenerationLease:
    """The turn at the model; ``release`` may be called more than once (only the first counts)."""

    def __init__(self, queue: GenerationQueue, started: float) -> None:
        self._queue = queue
        self._started = started
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._queue._release(time.perf_counter() - self._started)
