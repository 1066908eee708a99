"""Thin Celery tasks: they take ids and call one domain function."""

from celery import shared_task
from django.conf import settings

from releases import access, audit, digest, outbox, processing, workflow
from releases.media import pipeline


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # The job's own attempt limit (JOB_MAX_ATTEMPTS, which also counts starts killed
    # mid-way) normally ends retries first, with the last problem as its reason.
    max_retries=settings.JOB_MAX_ATTEMPTS,
    soft_time_limit=settings.MEDIA_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.MEDIA_TASK_SOFT_TIME_LIMIT + 120,
)
def process_job(self, job_id: int) -> None:
    """Idempotent: a job that is done, superseded or owned by a live worker is skipped."""
    try:
        pipeline.process(job_id)
    except pipeline.TransientError as exc:
        if self.request.retries >= self.max_retries:
            pipeline.give_up(job_id, f"Storage kept failing after {self.max_retries} retries: {exc}")
            return
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc


@shared_task(acks_late=True)
def sweep_jobs() -> None:
    processing.sweep()


@shared_task(acks_late=True)
def publish_due_releases() -> list[int]:
    """Publish scheduled releases whose embargo has passed. Safe with two beat processes:
    workflow.publish_due publishes each release once, under a row lock."""
    return workflow.publish_due()


@shared_task(acks_late=True)
def checkpoint_audit() -> int | None:
    """Sign the audit log's head (run by beat every AUDIT_CHECKPOINT_INTERVAL seconds).
    Idempotent: nothing is written when no entry was added since the last checkpoint."""
    point = audit.checkpoint()
    return point.pk if point else None


@shared_task(
    bind=True,
    acks_late=True,
    # Growing waits between attempts; the outbox row counts attempts and gives up at
    # OUTBOX_MAX_ATTEMPTS, and beat's retry_outbox picks up anything whose task was lost.
    max_retries=None,
)
def send_email(self, email_id: int) -> bool:
    """Send one outbox e-mail. Idempotent: a sent or claimed message is skipped."""
    try:
        return outbox.deliver(email_id)
    except outbox.DeliveryFailed as exc:
        retries = self.request.retries
        raise self.retry(exc=exc, countdown=min(6 * 3600, 30 * 2 ** (retries + 1))) from exc


@shared_task(acks_late=True)
def retry_outbox() -> int:
    """Re-queue pending e-mails whose wait is over or whose task was lost."""
    ids = outbox.due_for_retry()
    for email_id in ids:
        send_email.delay(email_id)
    return len(ids)


@shared_task(acks_late=True)
def send_deadline_digest() -> int:
    """Daily: recompute every access request's clock, then e-mail the records officers
    what is due soon and what is overdue."""
    access.recompute_clocks()
    return digest.send()


@shared_task(acks_late=True)
def notify_requesters(release_id: int) -> int:
    """After a publication: tell the requesters whose requests this release answers."""
    return access.notify_published(release_id)
