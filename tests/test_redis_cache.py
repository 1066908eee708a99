"""portal/redis_cache.py: Django's Redis backend with one redis-py client per pool.

Needs a Redis server (CI starts one; REDIS_URL or the local default); skipped without one.
"""

import os
import socket

import pytest

from portal.redis_cache import RedisCache

URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis server on 127.0.0.1:6379")


def test_the_backend_reuses_one_client_and_still_stores_and_expires():
    cache = RedisCache(URL, {"KEY_PREFIX": "redis-cache-test"})
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
