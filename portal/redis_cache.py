"""Django's Redis cache backend, reusing one redis-py client per connection pool.

Django's RedisCacheClient builds a new redis.Redis object for every cache call, and
redis-py's constructor (its table of response callbacks) costs about 0.3 ms: more than
the round trip to Redis. The throttle of every API read, the page cache and django-axes
all pay it. A redis.Redis object is a thin, thread-safe wrapper around its pool, so one per
pool is enough. Everything else is Django's backend unchanged.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
