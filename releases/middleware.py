"""Staff request middleware: who is acting (for audit entries written by signal receivers),
and staff sessions that end after a spell of inactivity or a working day."""

import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

from releases import audit

# Session keys (epoch seconds). Written at most once a minute, so an active staff member
# does not cost a session write on every request.
LAST_SEEN = "staff_last_seen"
STARTED = "staff_session_started"
WRITE_EVERY = 60


class AuditActorMiddleware:
    """Keeps the current request where releases.audit.request_actor() can find it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = audit.current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            audit.current_request.reset(token)


class StaffSessionMiddleware:
    """Logs a staff user out after STAFF_SESSION_IDLE_MINUTES without a request, and
    SESSION_COOKIE_AGE after the session began, with an "auth.session_expired" entry.

    Django's own expiry slides: every session write pushes it back by SESSION_COOKIE_AGE,
    and this middleware writes once a minute, so the absolute limit is enforced here.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        # No session cookie, no signed-in user: public pages skip the session entirely
        # (touching it would add "Vary: Cookie" to cacheable responses).
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return
        session = request.session
        now = int(time.time())
        last_seen, started = session.get(LAST_SEEN), session.get(STARTED)
        idle_limit = settings.STAFF_SESSION_IDLE_MINUTES * 60
        if last_seen is not None and now - last_seen > idle_limit:
            self._expire(request, user, "idle", last_seen, started)
        elif started is not None and now - started > settings.SESSION_COOKIE_AGE:
            self._expire(request, user, "limit", last_seen, started)
        else:
            if started is None:
                session[STARTED] = now
            if last_seen is None or now - last_seen >= WRITE_EVERY:
                session[LAST_SEEN] = now

    def _expire(self, request, user, why: str, last_seen: int | None, started: int | None) -> None:
        if why == "idle":
            text = f"Signed out after {settings.STAFF_SESSION_IDLE_MINUTES} minutes without activity."
        else:
            text = f"Signed out: sessions last at most {settings.SESSION_COOKIE_AGE // 3600} hours."
        audit.record(
            "auth.session_expired",
            user,
            actor=user,
            summary={
                "username": user.get_username(),
                "why": why,
                "last_seen": _iso(last_seen),
                "started": _iso(started),
                "idle_minutes": settings.STAFF_SESSION_IDLE_MINUTES,
            },
        )
        request.audit_logout_recorded = True  # the logout receiver writes no second entry
        logout(request)
        messages.warning(request, f"{text} Please sign in again.", fail_silently=True)


def _iso(epoch: int | None) -> str | None:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat() if epoch is not None else None
