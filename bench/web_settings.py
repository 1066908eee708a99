"""bench/web.py's server: the portal's own settings, plus one route (the trivial view)."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"
