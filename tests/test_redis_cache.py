"""portal/redis_cache.py: Django's Redis backend with one redis-py client per pool.

Needs a Redis server (CI starts one; REDIS_URL or the local default); skipped without one.
"""

import pytest

from portal.redis_cache import RedisCache
from tests import redis_server

pytestmark = pytest.mark.skipif(not redis_server.up(), reason="no Redis server on 127.0.0.1:6379")


def test_the_backend_reuses_one_client_and_still_stores_and_expires():
    cache = RedisCache(redis_server.URL, {"KEY_PREFIX": "redis-cache-test"})
    cache.set("a", {"page": b"x" * 10}, timeout=30)
    assert cache.get("a") == {"page": b"x" * 10}
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client() is client  # one server: reads use the same pool
    assert cache.add("a", "other") is False
    cache.set("short", 1, timeout=0)  # Django's meaning: expire at once
    assert cache.get("short") is None
    cache.delete("a")
    assert cache.get("a") is None
