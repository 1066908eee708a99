"""Scheduled publication by Celery beat: on time, and exactly once however many beats run."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from releases import tasks, workflow
from releases.models import AuditEntry, PublishedFile, Release, ReleaseVersion


@pytest.fixture
def scheduled(reference_data, approved_release, publisher):
    when = timezone.now() + datetime.timedelta(hours=1)
    workflow.schedule(approved_release, actor=publisher, publish_at=when)
    approved_release.refresh_from_db()
    assert approved_release.status == Release.Status.SCHEDULED
    return approved_release, when


def test_two_beat_runs_at_the_same_moment_publish_a_scheduled_release_once(scheduled, media_roots):
    """Two threads, each with its own database connection, run the beat task's function
    at the same instant (as two beat processes would). The row lock and the state check
    inside it let exactly one of them publish."""
    release, when = scheduled
    start = threading.Barrier(2)
    results: list = []
    errors: list = []

    def beat() -> None:
        try:
            start.wait(timeout=10)
            results.append(workflow.publish_due(now=when))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sorted(results) == [[], [release.pk]]
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert ReleaseVersion.objects.filter(release=release).count() == 1
    assert AuditEntry.objects.filter(action="release.publish_scheduled").count() == 1
    # One set of public files, under one prefix: the loser copied nothing.
    files = [p for p in media_roots["public"].rglob("*") if p.is_file()]
    assert len(files) == PublishedFile.objects.count() == 7
    assert AuditEntry.objects.filter(action="release.publish_scheduled_refused").count() == 0


def test_the_beat_task_publishes_due_releases_through_celery(scheduled, monkeypatch):
    release, when = scheduled
    monkeypatch.setattr(timezone, "now", lambda: when + datetime.timedelta(seconds=30))
    assert tasks.publish_due_releases.delay().get(timeout=60) == [release.pk]
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert tasks.publish_due_releases.delay().get(timeout=60) == []


def test_beat_is_configured_to_check_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["publish-due-releases"]
    assert entry["task"] == tasks.publish_due_releases.name
    assert entry["schedule"] <= 60
