"""The anonymous read throttle: a sliding-window counter, one cache round trip per request.

DRF's AnonRateThrottle keeps, per address, the list of every request time inside the
window, and reads and rewrites that whole list on every request: two cache round trips,
and a list as long as the rate (at a generous rate that list is most of the cost of a
cached API answer). This throttle keeps two counters per address instead, one for the
current fixed window and one for the previous, and estimates the requests of the last
`duration` seconds as

    previous × (share of the previous window still inside the last `duration`) + current

(the sliding-window counter that Redis' own documentation and most API gateways use). The
estimate is exact when requests are spread evenly, and never lets through more than the
rate in any window-aligned period. With Redis (production) one pipeline does it: SET NX
(create the counter with its expiry), INCR, GET of the previous window. Other cache backends
(the development LocMemCache) use add/incr/get. A refused request is not counted, so a
client that waits for Retry-After gets through, as with DRF's own throttle.

Same rate setting as before (REST_FRAMEWORK's "anon", API_ANON_RATE), same key (the client
address as DRF computes it, honouring NUM_PROXIES), same 429 with Retry-After.
"""

import contextlib
import math

from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import AnonRateThrottle


class AnonWindowThrottle(AnonRateThrottle):
    """AnonRateThrottle's rate and key, counted as a sliding-window counter."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window, elapsed = divmod(self.now, self.duration)
        current_key = f"{self.key}:w{int(window)}"
        current, previous = self._count(current_key, f"{self.key}:w{int(window) - 1}")
        self._weight = 1 - elapsed / self.duration
        self._current, self._previous, self._elapsed = current, previous, elapsed
        if previous * self._weight + current <= self.num_requests:
            return True
        self._uncount(current_key)
        self._current -= 1
        return False

    def wait(self) -> float:
        """Seconds until the estimate leaves room for one more request."""
        duration, limit = self.duration, self.num_requests
        room = limit - 1 - self._current  # what the previous window may still weigh
        if room >= 0 and self._previous:
            # Later in this window: previous × (1 − t/duration) ≤ room.
            at = duration * (1 - room / self._previous)
        else:
            # This window is full: into the next one, where this window's count is the
            # previous one: current × (1 − s/duration) ≤ limit − 1.
            at = duration + duration * max(0.0, 1 - (limit - 1) / max(self._current, 1))
        return max(1.0, math.ceil(at - self._elapsed))

    # --- the counters ---------------------------------------------------------------

    def _count(self, current_key: str, previous_key: str) -> tuple[int, int]:
        """Add this request to the current window; return (current, previous) counts."""
        ttl = 2 * self.duration + 1  # the previous window is read for one more window
        if isinstance(self.cache, RedisCache):
            current_name = self.cache.make_and_validate_key(current_key)
            previous_name = self.cache.make_and_validate_key(previous_key)
            # Django's Redis backend stores integers unpickled, so INCR and cache.get agree.
            # `_cache` is the backend's client (Django has no public accessor for it).
            pipe = self.cache._cache.get_client(current_name, write=True).pipeline(transaction=False)
            pipe.set(current_name, 0, ex=ttl, nx=True)
            pipe.incr(current_name)
            pipe.get(previous_name)
            _, current, previous = pipe.execute()
            return int(current), int(previous or 0)
        self.cache.add(current_key, 0, ttl)
        try:
            current = self.cache.incr(current_key)
        except ValueError:  # expired between add and incr
            self.cache.set(current_key, 1, ttl)
            current = 1
        return current, int(self.cache.get(previous_key) or 0)

    def _uncount(self, current_key: str) -> None:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
            self.cache.decr(current_key)
