"""Requester e-mail through the outbox: a failing mail server never loses a request or a
message, retries follow, and a real Celery worker delivers through a real file backend."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from releases import outbox, tasks
from releases.models import AccessRequest, AuditEntry, OutboundEmail
from tests.factories import file_access_request
from tests.releases.test_celery_integration import worker  # noqa: F401 (the real-worker fixture)


@pytest.fixture
def broken_smtp(settings):
    """A real SMTP backend pointed at a port nobody listens on: every send fails."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2


def _due_now(email: OutboundEmail) -> None:
    """Let the retry wait pass (instead of sleeping through it)."""
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_a_failing_mail_server_leaves_the_request_saved_and_the_mail_is_retried(
    broken_smtp, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        req, token = file_access_request()
    assert AccessRequest.objects.filter(pk=req.pk).exists()
    email = OutboundEmail.objects.get(request=req, kind="filed")
    assert email.state == OutboundEmail.State.PENDING
    assert email.attempts >= 1
    assert "ConnectionRefusedError" in email.last_error or "refused" in email.last_error.lower()
    assert email.next_attempt_at > timezone.now()
    assert outbox.due_for_retry() == []  # waiting, not hammering the server

    # The server comes back: beat's retry sweep sends it, with the status link filled in.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _due_now(email)
    assert tasks.retry_outbox.delay().get() == 1
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.SENT
    assert len(mail.outbox) == 1
    assert req.tracking_number in mail.outbox[0].subject
    assert f"/requests/status/{token}/" in mail.outbox[0].body
    # Sent once: another sweep or a duplicate task sends nothing more.
    assert outbox.deliver(email.pk) is True
    assert tasks.retry_outbox.delay().get() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_after_the_last_attempt_the_mail_is_marked_failed_and_an_alarm_is_audited(broken_smtp, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    req, _ = file_access_request()
    email = OutboundEmail.objects.get(request=req, kind="filed")
    with pytest.raises(outbox.DeliveryFailed):
        outbox.deliver(email.pk)
    _due_now(email)
    assert outbox.deliver(email.pk) is False
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.FAILED
    assert email.attempts == 2
    alarm = AuditEntry.objects.get(action="email.failed")
    assert alarm.severity == AuditEntry.Severity.ALARM
    assert req.tracking_number in repr(alarm.summary)
    assert req.email not in repr((alarm.summary, alarm.reason))
    assert AccessRequest.objects.filter(pk=req.pk).exists()


@pytest.mark.django_db
def test_a_message_whose_task_was_lost_is_sent_by_the_retry_sweep(settings):
    req, _ = file_access_request()  # on-commit never ran: as if the broker lost the task
    email = OutboundEmail.objects.get(request=req, kind="filed")
    assert outbox.due_for_retry() == []  # give the real task a minute first
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert outbox.due_for_retry() == [email.pk]
    tasks.retry_outbox.delay().get()
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.SENT
    assert [m.to for m in mail.outbox] == [[req.email]]


@pytest.mark.django_db
def test_a_claimed_message_is_not_sent_twice():
    req, _ = file_access_request()
    email = OutboundEmail.objects.get(request=req, kind="filed")
    claimed = outbox._claim(email.pk)
    assert claimed is not None
    assert outbox._claim(email.pk) is None  # a second runner finds it claimed
    assert outbox.deliver(email.pk) is True
    assert mail.outbox == []


@pytest.mark.django_db
def test_mail_is_written_in_the_requesters_language(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        file_access_request(language="es")
    assert len(mail.outbox) == 1  # rendered under translation.override("es")


# --- a real worker ----------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.xdist_group("celery-broker")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data", "mail_dir", "worker")  # mail_dir first: the worker reads it
def test_a_real_celery_worker_sends_the_acknowledgement_through_the_file_backend(mail_dir):
    req, token = file_access_request()
    email = OutboundEmail.objects.get(request=req, kind="filed")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        email.refresh_from_db()
        if email.state == OutboundEmail.State.SENT:
            break
        time.sleep(0.25)
    assert email.state == OutboundEmail.State.SENT, email.last_error
    written = "".join(p.read_text() for p in mail_dir.glob("*.log"))
    assert req.tracking_number in written
    assert f"/requests/status/{token}/" in written
    assert "To: rosa@example.org" in written


@pytest.fixture
def mail_dir(tmp_path, monkeypatch):
    """The worker writes mail as files here (the default file backend, EMAIL_FILE_PATH)."""
    folder = tmp_path / "mail"
    folder.mkdir()
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.setenv("EMAIL_FILE_PATH", str(folder))
    return folder
