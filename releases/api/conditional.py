"""Conditional GET for the public API: ETag, Last-Modified, 304 Not Modified.

The ETag is the SHA-256 of the response body, so it changes exactly when the answer does
(a withdrawal, a correction, a new line in the request log, a city's text) and an
If-None-Match is always answered right. Last-Modified is the newest public change the view
names (the public generation's time, releases.cache); If-Modified-Since is evaluated only
without If-None-Match (RFC 9110, 13.2.2). Responses say Cache-Control: no-cache, so browsers and proxies may keep
a copy but must revalidate it every time: a withdrawn release never outlives its withdrawal
in a cache.
"""

import hashlib
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

# Last-Modified has whole seconds. A second change within the second a client saw (or one
# committing just after, with a time taken a moment before its commit) would carry the same
# Last-Modified and be hidden from If-Modified-Since. So Last-Modified is left out until the
# newest change is this old; the ETag is always there and always exact.
SETTLE = timedelta(seconds=2)


def etag_of(content: bytes) -> str:
    return f'"{hashlib.sha256(content).hexdigest()}"'


def settled_seconds(stamp: datetime | None, *, now: datetime | None = None) -> int | None:
    """`stamp` in whole seconds for Last-Modified, or None while it is too recent (or None)."""
    if stamp is None or (now or timezone.now()) - stamp < SETTLE:
        return None
    return int(stamp.timestamp())


class ConditionalGetMixin:
    """For DRF views: every 200 answer to GET or HEAD gets an ETag from its body and, when
    last_modified() names a settled time, Last-Modified; a matching If-None-Match (or,
    without one, If-Modified-Since) gets 304 with no body."""

    def last_modified(self, request) -> datetime | None:
        """The newest change to what this view shows; None sends no Last-Modified."""
        return None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        response["ETag"] = etag_of(response.content)
        seconds = settled_seconds(self.last_modified(request))
        if seconds is not None:
            response["Last-Modified"] = http_date(seconds)
        if "Cache-Control" not in response:
            patch_cache_control(response, no_cache=True)
        return get_conditional_response(request, etag=response["ETag"], last_modified=seconds, response=response)
