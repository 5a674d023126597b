"""Token buckets in Redis: a per-key budget that every server process shares
(interfaces.KeyedBuckets; memory.MemoryBuckets in one process).

The same semantics as limits.TokenBucket: up to `burst` tokens, refilled at `rate` per
second, a new bucket is full, a refused take spends nothing. The refill uses Redis's own
clock (TIME), so the processes' clocks do not matter. Each take is one Lua script, so
one atomic round trip. A bucket's key expires once it would have refilled completely,
which is when forgetting it changes nothing (as BucketRegistry forgets full buckets).
"""

from signal_server.state.redis.link import RedisLink

# KEYS: the bucket. ARGV: rate per second, burst. Returns 1 if a token was spent.
_TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]), tonumber(state[2])
if tokens == nil or stamp == nil then
  tokens, stamp = burst, now
end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
           'stamp', string.format('%.6f', now))
local ttl_ms = 86400000
if rate > 0 then
  ttl_ms = math.ceil((burst - tokens) / rate * 1000) + 1000
end
redis.call('PEXPIRE', KEYS[1], ttl_ms)
return taken
"""


class RedisBucketRegistry:
    """One shared token bucket per key."""

    def __init__(self, link: RedisLink, name: str, rate: float, burst: int):
        self.link = link
        self._prefix = link.key("bucket", name, f"{rate:g}", str(burst), "")
        self._rate = rate
        self._burst = burst
        self._take = link.client.register_script(_TAKE)

    async def take(self, key: bytes) -> bool:
        """Spend one of `key`'s tokens; False (and nothing spent) if its bucket is empty."""
        bucket = self._prefix + key.hex()
        taken = self._take(keys=[bucket], args=[repr(self._rate), self._burst])
        return bool(await self.link.call(taken))
