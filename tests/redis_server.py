"""The Redis server tests of the production cache backend talk to: REDIS_URL (CI sets it)
or database 15 of the local default. Tests that need it skip when nothing listens."""

import os
import socket

URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True
