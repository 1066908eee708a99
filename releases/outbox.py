"""The e-mail outbox: queue() saves a message, deliver() sends it (from a Celery task).

A message is a row before it is a send, so a mail server that is down, a worker killed
mid-send or a lost task delays it but never loses it: the task retries with growing
waits, and beat's retry_outbox re-queues anything still pending. A claim (a lease on
next_attempt_at, taken by a conditional UPDATE) keeps two runners from sending it twice.

Status links carry the requester's private token, which is never stored: bodies hold the
placeholder STATUS_URL and the link is filled in at send time. A message to a requester is
written in their language (AccessRequest.language): queue() renders it, subject included,
under that language, and its links lead to the pages in that language.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from releases import audit
from releases.models import AccessRequest, AuditEntry, OutboundEmail

log = logging.getLogger(__name__)

STATUS_URL = "[[status-url]]"
LEASE = timedelta(minutes=10)  # a claimed message is not re-sent within this time


class DeliveryFailed(Exception):
    """Sending failed this time; the message stays pending and is retried."""


def queue(
    kind: str, *, to: str, template: str, context: dict, request: AccessRequest | None = None, language: str = "en"
) -> OutboundEmail:
    """Render `template` (subject on the first line, then the body) and save it for sending
    after the surrounding transaction commits."""
    with translation.override(language):
        text = render_to_string(template, {**context, "status_url": STATUS_URL, "site_url": settings.SITE_URL})
    subject, _, body = text.strip().partition("\n")
    email = OutboundEmail.objects.create(
        request=request, kind=kind, to=to, subject=subject.strip()[:300], body=body.strip() + "\n"
    )
    transaction.on_commit(lambda: _send_later(email.pk), robust=True)
    return email


def _send_later(email_id: int) -> None:
    from releases import tasks  # tasks imports this module

    tasks.send_email.delay(email_id)


def _claim(email_id: int) -> OutboundEmail | None:
    now = timezone.now()
    claimed = OutboundEmail.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=email_id,
        state=OutboundEmail.State.PENDING,
    ).update(next_attempt_at=now + LEASE)
    return OutboundEmail.objects.select_related("request").get(pk=email_id) if claimed else None


def body_for_sending(email: OutboundEmail) -> str:
    if STATUS_URL not in email.body:
        return email.body
    from releases import access  # access imports this module

    if email.request is None:
        return email.body.replace(STATUS_URL, settings.SITE_URL)
    # The link opens the status page in the language the requester chose (English at
    # /requests/status/…, Spanish at /es/requests/status/…), as the message is written in.
    with translation.override(email.request.language):
        return email.body.replace(STATUS_URL, access.status_url(email.request))


def deliver(email_id: int) -> bool:
    """Send one pending message. True when sent (or already sent or claimed elsewhere);
    raises DeliveryFailed when this attempt failed and another should follow."""
    email = _claim(email_id)
    if email is None:
        return True
    message = EmailMessage(
        subject=email.subject, body=body_for_sending(email), from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to]
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        attempts = email.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:1000]
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            OutboundEmail.objects.filter(pk=email.pk).update(
                attempts=attempts, last_error=error, state=OutboundEmail.State.FAILED, next_attempt_at=None
            )
            # The address is private: the log names the message and the request, not whom.
            log.error("e-mail %s (%s) given up after %s attempts: %s", email.pk, email.kind, attempts, error)
            audit.record(
                "email.failed",
                email,
                summary={
                    "kind": email.kind,
                    "request": getattr(email.request, "tracking_number", ""),
                    "attempts": attempts,
                },
                reason=error,
                severity=AuditEntry.Severity.ALARM,
            )
            return False
        wait = min(timedelta(hours=6), timedelta(seconds=30 * 2**attempts))
        OutboundEmail.objects.filter(pk=email.pk).update(
            attempts=attempts, last_error=error, next_attempt_at=timezone.now() + wait
        )
        log.warning("e-mail %s (%s) attempt %s failed: %s", email.pk, email.kind, attempts, error)
        raise DeliveryFailed(error) from exc
    OutboundEmail.objects.filter(pk=email.pk).update(
        attempts=email.attempts + 1, state=OutboundEmail.State.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def due_for_retry(now=None) -> list[int]:
    """Pending messages whose wait (or claim) is over, or that were never claimed a
    minute after they were saved (their task was lost)."""
    now = now or timezone.now()
    return list(
        OutboundEmail.objects.filter(state=OutboundEmail.State.PENDING)
        .filter(
            Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - timedelta(minutes=1))
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
