"""Django's Redis cache, made cheaper per call, with a one-round-trip rate-limit counter.

Django builds a new ``redis.Redis`` object for every cache call, and building one costs
more CPU than the round trip to Redis. The client is thread-safe and only wraps the
shared connection pool, so one per pool is enough.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ClientPerPool(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ClientPerPool

    def incr_in_window(self, key: str, window_seconds: int) -> int:
        """Add one to a counter that expires ``window_seconds`` after its first count."""
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipeline.incr(key)
        pipeline.expire(key, window_seconds, nx=True)
        count, _ = pipeline.execute()
        return count
