"""Filing an access request: limits, tracking numbers, the private status token."""

import datetime
import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from releases.models import AccessRequest, TrackingSequence

TRACKING_PREFIX = "BWC"


class FilingRefused(Exception):
    """The request was not saved; the message says why, for the person filing it."""


class FilingLimited(FilingRefused):
    """Refused because of the filing limits (HTTP 429 for the form and the API)."""


def client_ip(request) -> str:
    """The filer's address: REMOTE_ADDR, or the last X-Forwarded-For hop when the proxy in
    front is trusted to write it (TRUST_X_FORWARDED_FOR)."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def fingerprint(ip: str) -> str:
    """A keyed hash of an address: it can be counted, not read back."""
    if not ip:
        return ""
    return hmac.new(settings.ACCESS_TOKEN_KEY.encode(), f"ip:{ip}".encode(), hashlib.sha256).hexdigest()


def check_limits(*, email: str, ip_fingerprint: str, now: datetime.datetime | None = None) -> None:
    """Refuse a filing over the per-address or per-e-mail limits (counted from saved
    requests, so they hold across processes and servers)."""
    now = now or timezone.now()
    requests = AccessRequest.objects
    if ip_fingerprint:
        hour = requests.filter(filer_fingerprint=ip_fingerprint, received_at__gte=now - timedelta(hours=1)).count()
        day = requests.filter(filer_fingerprint=ip_fingerprint, received_at__gte=now - timedelta(days=1)).count()
        if hour >= settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR or day >= settings.ACCESS_REQUEST_LIMIT_PER_IP_DAY:
            raise FilingLimited(
                _(
                    "Too many requests have been filed from your network recently. Please try again later, "
                    "or write to the records office."
                )
            )
    if email:
        by_email = requests.filter(email__iexact=email, received_at__gte=now - timedelta(days=1)).count()
        if by_email >= settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY:
            raise FilingLimited(
                _(
                    "This e-mail address has filed %(count)d requests in the last 24 hours, the most we accept "
                    "in a day. Please try again tomorrow, or add to one of your open requests by replying on "
                    "its status page."
                )
                % {"count": by_email}
            )


def lock_sequence(year: int) -> None:
    """Lock the year's tracking sequence row until the transaction ends (PostgreSQL; SQLite
    serialises writers anyway)."""
    TrackingSequence.objects.get_or_create(year=year)
    TrackingSequence.objects.select_for_update().filter(year=year).first()


def next_tracking_number(year: int) -> str:
    """BWC-YYYY-NNNNNN: sequential per year and never reused. The counter is bumped with one
    atomic UPDATE, so concurrent filings on any database get distinct numbers."""
    TrackingSequence.objects.get_or_create(year=year)
    TrackingSequence.objects.filter(year=year).update(last=F("last") + 1)
    number = TrackingSequence.objects.get(year=year).last
    return f"{TRACKING_PREFIX}-{year}-{number:06d}"


def new_token_salt() -> str:
    return secrets.token_hex(16)


def token_for(salt: str) -> str:
    """The private status token: derived from the request's salt with ACCESS_TOKEN_KEY, so
    the database holds only its SHA-256 and a copy of the database opens no status page."""
    mac = hmac.new(settings.ACCESS_TOKEN_KEY.encode(), f"status:{salt}".encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(mac).decode().rstrip("=")


def status_path(req: AccessRequest) -> str:
    """The status page in the requester's language (/es/... for Spanish)."""
    with translation.override(req.language):
        return reverse("public:request-status", kwargs={"token": token_for(req.token_salt)})


def status_url(req: AccessRequest) -> str:
    return settings.SITE_URL + status_path(req)


def by_token(token: str) -> AccessRequest | None:
    """The request a status token opens, or None (the caller answers 404 either way)."""
    if not token or len(token) > 100:
        return None
    return AccessRequest.objects.filter(token_digest=AccessRequest.digest_token(token)).first()
