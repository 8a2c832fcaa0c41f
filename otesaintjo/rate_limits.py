"""Token buckets: how much a client may spend, refilled over time (cost per client, and the
throttles of sign-up, reset, newsletter, support and KYC).

A bucket holds up to ``capacity`` points and regains ``refill_per_second``; a request takes
its points or is refused with the seconds to wait. In memory per process (the embedded
default), or in Redis shared by every API process (one atomic Lua script per take).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis


@dataclass(frozen=True)
class Bucket:
    capacity: float
    refill_per_second: float


class Buckets(Protocol):
    async def take(self, key: str, bucket: Bucket, points: float) -> float:
        """0 when taken; else the seconds until ``points`` are available (nothing taken)."""


class MemoryBuckets:
    """Per process; the least recently used keys go first beyond ``max_keys``."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._levels: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, key: str, bucket: Bucket, points: float) -> float:
        now = time.monotonic()
        level, at = self._levels.get(key, (bucket.capacity, now))
        level = min(bucket.capacity, level + (now - at) * bucket.refill_per_second)
        if points > level:
            self._levels[key] = (level, now)
            return (points - level) / bucket.refill_per_second
        self._levels[key] = (level - points, now)
        self._levels.move_to_end(key)
        while len(self._levels) > self.max_keys:
            self._levels.popitem(last=False)
        return 0.0


_TAKE = """
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or ARGV[1])
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or ARGV[4])
local capacity, refill = tonumber(ARGV[1]), tonumber(ARGV[2])
local points, now = tonumber(ARGV[3]), tonumber(ARGV[4])
level = math.min(capacity, level + math.max(now - at, 0) * refill)
local wait = 0
if points > level then
  wait = (points - level) / refill
else
  level = level - points
end
redis.call('HSET', KEYS[1], 'level', level, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / refill) + 60)
return tostring(wait)
"""


class RedisBuckets:
    """Shared by every API process: one script call per take, atomic in Redis."""

    def __init__(self, url: str, prefix: str = "bucket:") -> None:
        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self._script = self.client.register_script(_TAKE)

    async def take(self, key: str, bucket: Bucket, points: float) -> float:
        wait = await self._script(
            keys=[self.prefix + key],
            args=[bucket.capacity, bucket.refill_per_second, points, time.time()],
        )
        return float(wait)

    async def close(self) -> None:
        await self.client.aclose()


HOUR = 3600.0


def per_hour(count: int) -> Bucket:
    """``count`` at once, then ``count`` an hour."""
    return Bucket(capacity=count, refill_per_second=count / HOUR)


def seconds_to_wait(wait: float) -> int:
    return max(1, math.ceil(wait))
