"""Queueing media jobs, and the sweeper that makes sure none is stuck forever.

A job is queued inside the caller's transaction and sent to the broker only after
commit (transaction.on_commit), so a worker never looks for a row that is not there.
"""

import logging
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from releases.models import Footage, ProcessingJob, RedactionPlan

log = logging.getLogger(__name__)
Job = ProcessingJob


class ProcessingError(Exception):
    """The request was refused; the message says why."""


def _send(job: ProcessingJob) -> None:
    from releases import tasks  # tasks import the pipeline, which imports models

    # robust: if the broker is unreachable, the committed job stays QUEUED and the
    # sweeper sends it again; the person who queued it does not get an error page.
    transaction.on_commit(lambda: tasks.process_job.delay(job.pk), robust=True)


def _create(footage: Footage, kind: str, plan: RedactionPlan, actor) -> ProcessingJob:
    """A queued job that must see the original as it was hashed at upload."""
    return ProcessingJob.objects.create(
        footage=footage,
        kind=kind,
        plan=plan,
        source_sha256=footage.original_sha256,
        requested_by=actor,
        queued_at=timezone.now(),
    )


@transaction.atomic
def queue_render(footage: Footage, *, plan: RedactionPlan | None = None, actor=None) -> ProcessingJob:
    """Queue the full render of `plan` (default: the latest version). Older queued
    renders are superseded; a running one notices at commit time and stands down."""
    footage = Footage.objects.select_for_update().get(pk=footage.pk)
    plan = plan or footage.plans.order_by("-version").first()
    if plan is None:
        raise ProcessingError("This footage has no redaction plan.")
    footage.jobs.filter(kind=Job.Kind.RENDER, state=Job.State.QUEUED).exclude(plan=plan).update(
        state=Job.State.SUPERSEDED, finished_at=timezone.now()
    )
    job = _create(footage, Job.Kind.RENDER, plan, actor)
    footage.state = Footage.State.PENDING
    footage.error = ""
    footage.save(update_fields=["state", "error"])
    _send(job)
    return job


@transaction.atomic
def request_preview(footage: Footage, *, actor) -> ProcessingJob:
    """A low-resolution, watermarked, private render of the latest plan, for staff."""
    footage = Footage.objects.select_for_update().get(pk=footage.pk)
    plan = footage.plans.order_by("-version").first()
    if plan is None:
        raise ProcessingError("This footage has no redaction plan.")
    existing = footage.jobs.active().filter(kind=Job.Kind.PREVIEW, plan=plan).first()
    if existing:
        return existing  # one preview of a version at a time
    job = _create(footage, Job.Kind.PREVIEW, plan, actor)
    _send(job)
    return job


@transaction.atomic
def retry(footage: Footage, *, actor) -> ProcessingJob:
    """Render the latest plan again after a failure (the original is never touched)."""
    footage = Footage.objects.select_for_update().select_related("release").get(pk=footage.pk)
    if footage.state == Footage.State.READY:
        raise ProcessingError("This footage is already rendered from its latest plan.")
    if footage.jobs.active().filter(kind=Job.Kind.RENDER).exists():
        raise ProcessingError("A render of this footage is already queued or running.")
    return queue_render(footage, actor=actor)


# --- the sweeper ----------------------------------------------------------------------


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    scratch_removed: int = 0


def sweep(now=None) -> SweepResult:
    """Find jobs whose worker died (running, heartbeat too old) or whose message was
    lost (queued too long), and queue them again, or fail them after too many
    attempts. Runs from Celery beat; safe to run concurrently (rows are locked)."""
    now = now or timezone.now()
    result = SweepResult()
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    lost = now - timedelta(seconds=settings.JOB_QUEUED_TIMEOUT)
    candidates = list(
        ProcessingJob.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=stale).values_list("pk", flat=True)
    ) + list(ProcessingJob.objects.filter(state=Job.State.QUEUED, queued_at__lt=lost).values_list("pk", flat=True))
    for pk in candidates:
        with transaction.atomic():
            job = ProcessingJob.objects.select_for_update().select_related("footage").get(pk=pk)
            if job.state == Job.State.RUNNING and job.heartbeat_at and job.heartbeat_at >= stale:
                continue  # it came back to life meanwhile
            if job.state not in (Job.State.RUNNING, Job.State.QUEUED):
                continue
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                from releases.media import pipeline  # the pipeline imports this module

                pipeline.fail_job(job, pipeline.gave_up_reason(job))
                result.failed.append(pk)
                continue
            job.state = Job.State.QUEUED
            job.queued_at = now
            job.error = "Re-queued by the sweeper: the previous worker stopped responding."
            job.save(update_fields=["state", "queued_at", "error"])
            _send(job)
            result.requeued.append(pk)
    result.scratch_removed = clean_scratch()
    if result.requeued or result.failed:
        log.warning("sweeper: requeued %s, failed %s", result.requeued, result.failed)
    return result


def clean_scratch(max_age: float | None = None) -> int:
    """Remove scratch directories left by killed workers (older than the stale limit).

    A running attempt's directory is kept whatever its age: its mtime stops changing once
    ffmpeg has created its output files, so age alone would delete a long render's
    working files from under it."""
    root = Path(settings.SCRATCH_DIR)
    if not root.is_dir():
        return 0
    cutoff = time.time() - (max_age if max_age is not None else settings.JOB_STALE_SECONDS * 2)
    running = {
        f"job-{pk}-{attempt}-"
        for pk, attempt in ProcessingJob.objects.filter(state=Job.State.RUNNING).values_list("pk", "attempts")
    }
    removed = 0
    for entry in root.iterdir():
        try:
            if entry.name.startswith(tuple(running)):
                continue
            if entry.is_dir() and entry.name.startswith("job-") and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        except FileNotFoundError:
            continue
    return removed


# --- who is working on a job ------------------------------------------------------------


def worker_identity() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


def owner_alive(job: ProcessingJob, now=None) -> bool:
    """Is the worker recorded on a running job still working on it?"""
    now = now or timezone.now()
    if job.heartbeat_at is None or job.heartbeat_at < now - timedelta(seconds=settings.JOB_STALE_SECONDS):
        return False
    host, pid = worker_identity()
    if job.worker_host == host and job.worker_pid:
        if job.worker_pid == pid:
            return False  # a redelivery to the very process that owned it: that run is over
        try:
            os.kill(job.worker_pid, 0)
        except ProcessLookupError:
            return False  # killed (SIGKILL, OOM): take over now rather than wait for the sweeper
        except PermissionError:
            return True
    return True
