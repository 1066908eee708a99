"""releases/api/throttling.py: the anonymous read throttle as a sliding-window counter,
in the development cache (LocMemCache) and in Redis (production; skipped without one)."""

import uuid

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import RequestFactory

from portal.redis_cache import RedisCache
from releases.api.throttling import AnonWindowThrottle
from tests import redis_server


def _locmem():
    cache = LocMemCache("throttle-test", {})
    cache.clear()
    return cache


def _redis():
    if not redis_server.up():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    # A prefix of its own instead of a flush: other test processes share this database.
    cache = RedisCache(redis_server.URL, {"KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}"})
    return cache


@pytest.fixture(params=["locmem", "redis"])
def backend(request):
    return _locmem() if request.param == "locmem" else _redis()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _throttle(cache, clock, rate: str) -> AnonWindowThrottle:
    class Throttle(AnonWindowThrottle):
        THROTTLE_RATES = {"anon": rate}
        timer = clock

    Throttle.cache = cache
    return Throttle()


def _request(address: str = "192.0.2.10"):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/api/releases/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return request


def _allowed(cache, clock, n: int, rate: str = "10/minute", address: str = "192.0.2.10") -> list[bool]:
    return [_throttle(cache, clock, rate).allow_request(_request(address), None) for _ in range(n)]


def test_the_rate_is_kept_within_a_window_and_refusals_say_how_long_to_wait(backend):
    clock = Clock(6000.0)  # the start of a minute window (6000 = 100 × 60)
    assert _allowed(backend, clock, 11) == [True] * 10 + [False]
    throttle = _throttle(backend, clock, "10/minute")
    assert throttle.allow_request(_request(), None) is False
    # The window is full: the next window still weighs it fully at its start, so the wait
    # is past the next window's start (60 s) by a tenth of a window (1 − 9/10).
    assert throttle.wait() == pytest.approx(66, abs=1)
    # Another address has its own count.
    assert _allowed(backend, clock, 1, address="192.0.2.11") == [True]


def test_refused_requests_are_not_counted(backend):
    clock = Clock(6000.0)
    _allowed(backend, clock, 10)
    assert _allowed(backend, clock, 50) == [False] * 50
    clock.now = 6000.0 + 60 + 6.5  # past the wait the refusals were given
    assert _allowed(backend, clock, 1) == [True]


def test_the_previous_window_counts_in_proportion_to_its_overlap(backend):
    clock = Clock(6000.0 + 30)  # halfway through a window: 8 requests
    assert _allowed(backend, clock, 8) == [True] * 8
    clock.now = 6060.0 + 15  # a quarter into the next: the 8 weigh 8 × 0.75 = 6
    assert _allowed(backend, clock, 5) == [True, True, True, True, False]
    clock.now = 6120.0 + 30  # next window, halfway: the 4 weigh 2
    assert _allowed(backend, clock, 9) == [True] * 8 + [False]
    clock.now = 6240.0 + 1  # two windows on: nothing before weighs anything
    assert _allowed(backend, clock, 11) == [True] * 10 + [False]


def test_no_window_ever_lets_more_than_the_rate_through(backend):
    """Requests arriving every 0.7 s for five minutes at 10/minute: in every window-aligned
    minute and in every sliding minute, at most 10 + the share the estimate allows."""
    clock = Clock(6000.0)
    times = []
    for i in range(430):
        clock.now = 6000.0 + 0.7 * i
        if _throttle(backend, clock, "10/minute").allow_request(_request(), None):
            times.append(clock.now)
    for start in range(6000, 6000 + 300, 60):
        assert sum(start <= t < start + 60 for t in times) <= 10
    # Over any 60 s the counter lets through at most twice the rate (the fixed window's
    # worst case, at a boundary); with the sliding estimate it stays well under that.
    assert max(sum(t0 <= t < t0 + 60 for t in times) for t0 in times) <= 15
    assert len(times) >= 45  # and it is not stingy: 10 a minute over five minutes


def test_redis_does_it_in_one_round_trip():
    cache = _redis()
    client = cache._cache.get_client(write=True)
    calls = []
    original = client.pipeline

    def pipeline(*args, **kwargs):
        pipe = original(*args, **kwargs)
        calls.append(pipe)
        return pipe

    client.pipeline = pipeline
    try:
        assert _allowed(cache, Clock(6000.0), 1) == [True]
    finally:
        del client.pipeline
    assert len(calls) == 1
    # The counter lives under the backend's key scheme and expires.
    (key,) = [k for k in client.keys(f"*{cache.key_prefix}*") if b":w100" in k]
    assert 0 < client.ttl(key) <= 121
