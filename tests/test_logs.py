"""No status token reaches a log: Django's handlers and gunicorn's access log redact them."""

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from portal import logs
from tests.factories import file_access_request

TOKEN = "VC2ba6ivpyWkPWm3KQc2ffKw1DnEK4WwjyVX21QLjFE"


def test_status_paths_are_redacted():
    assert (
        logs.redact(f"GET /requests/status/{TOKEN}/appeal/ HTTP/1.1") == "GET /requests/status/[token]/appeal/ HTTP/1.1"
    )
    assert logs.redact(f"/api/requests/status/{TOKEN}/") == "/api/requests/status/[token]/"
    assert logs.redact("/requests/BWC-2026-000001/") == "/requests/BWC-2026-000001/"


def test_the_logging_filter_rewrites_django_request_lines():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Bad Request: %s", (f"/requests/status/{TOKEN}/appeal/",), None
    )
    assert logs.RedactTokens().filter(record)
    assert TOKEN not in record.getMessage()
    assert "/requests/status/[token]/appeal/" in record.getMessage()


@pytest.mark.django_db
def test_a_bad_request_on_a_status_page_logs_no_token(client):
    """A real 400 (an appeal before any decision) through the configured handlers."""
    _req, token = file_access_request()
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, logs.RedactTokens) for f in h.filters))
    seen = []
    handler_emit = handler.emit
    handler.emit = lambda record: seen.append(handler.format(record))
    try:
        response = client.post(f"/requests/status/{token}/appeal/", {"reason": "Too early."})
    finally:
        handler.emit = handler_emit
    assert response.status_code == 400
    assert seen, "the 400 was logged"
    assert not any(token in line for line in seen)


def test_gunicorns_access_log_atoms_are_redacted():
    logger = logs.GunicornLogger(Config())
    req = SimpleNamespace(
        method="GET",
        path=f"/requests/status/{TOKEN}/",
        query="filed=1",
        uri=f"/requests/status/{TOKEN}/?filed=1",
        version=(1, 1),
        headers=[],
    )
    resp = SimpleNamespace(status="200 OK", sent=10, response_length=10, headers=[])
    environ = {
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "RAW_URI": f"/requests/status/{TOKEN}/?filed=1",
        "PATH_INFO": f"/requests/status/{TOKEN}/",
        "HTTP_REFERER": f"http://x/requests/status/{TOKEN}/",
    }
    atoms = logger.atoms(resp, req, environ, timedelta(seconds=0.01))
    assert TOKEN not in repr(atoms)
    assert atoms["U"] == "/requests/status/[token]/"
    assert atoms["r"] == "GET /requests/status/[token]/?filed=1 HTTP/1.1"
