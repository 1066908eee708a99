"""Log redaction: the private status tokens of access requests are secrets carried in URLs
(/requests/status/<token>/, /api/requests/status/<token>/), so no log line may hold one:
not Django's (a 400 or 404 logs the path), not gunicorn's access log."""

import logging
import re

from gunicorn.glogging import Logger

_TOKEN_IN_PATH = re.compile(r"(/requests/status/)[^/\s?\"']+")
REDACTED = r"\1[token]"


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """On a handler: rewrites any record whose message holds a status path."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class GunicornLogger(Logger):
    """gunicorn's logger with the request line, path and referrer of the access log redacted
    (`--logger-class portal.logs.GunicornLogger`)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
