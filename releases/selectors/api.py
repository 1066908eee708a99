"""When public data last changed, for the public API's Last-Modified header.

One time serves every public read: when the public generation last changed
(releases.cache). Every write the public could see (a publication, correction or
withdrawal, a line of the request log, an approved pilot figure, a city's text) sets it, in
the same transaction, so no public change can commit without moving it. Nothing here
returns content.
"""

from datetime import datetime

from releases import cache


def public_last_change() -> datetime | None:
    """The newest change to anything public (one primary-key read)."""
    return cache.last_change()


def public_request_log_last_change() -> datetime | None:
    """The request log's lines are public data like any other: the same time."""
    return cache.last_change()
