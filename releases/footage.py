"""Adding footage to a release: store the original privately, then queue processing.
Also the captions or transcript staff attach to a recording (WebVTT)."""

import hashlib
import io
import uuid
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from releases import audit, processing, redactions
from releases.media import captions, storage
from releases.models import Footage, ProcessingJob, Release

CAPTION_LANGUAGES = [("en", gettext_lazy("English")), ("es", gettext_lazy("Spanish"))]
CAPTIONS_FROZEN = gettext_lazy("Captions can only change while the release is a draft or has changes requested.")


class FootageError(Exception):
    """The action is not allowed; the message says why."""


@transaction.atomic
def add_footage(
    release: Release, *, fileobj: BinaryIO, filename: str, label: str, actor, sha256: str | None = None
) -> Footage:
    """Store an original under an opaque private key and queue it for processing.

    `sha256` is the digest computed while an upload streamed in; without it the file is
    hashed here, in chunks.
    """
    if not release.footage_editable:
        raise FootageError("Footage can only be added to a release in draft or with changes requested.")
    stored = storage.store_fileobj(storage.private_storage(), storage.original_key(), fileobj, sha256=sha256)
    footage = Footage.objects.create(
        release=release,
        label=label or "Recording",
        original_key=stored.name,
        original_filename=Path(filename).name[:255],
        original_size=stored.size,
        original_sha256=stored.sha256,
        uploaded_by=actor,
    )
    audit.record(
        "footage.uploaded",
        footage,
        actor=actor,
        summary={"release": release.pk, "size": stored.size, "sha256": stored.sha256},
    )
    plan = redactions.initial_plan(footage, actor=actor)
    processing.queue_render(footage, plan=plan, actor=actor)
    return footage


@transaction.atomic
def reprocess(footage: Footage, *, actor) -> Footage:
    """Queue a failed (or stuck) footage again. The original is untouched by design."""
    footage = Footage.objects.select_for_update().select_related("release").get(pk=footage.pk)
    if not footage.release.footage_editable:
        raise FootageError("Footage can only be reprocessed while its release is a draft or has changes requested.")
    try:
        processing.retry(footage, actor=actor)
    except processing.ProcessingError as exc:
        raise FootageError(str(exc)) from exc
    footage.refresh_from_db()
    return footage


# --- captions -----------------------------------------------------------------------------


@transaction.atomic
def set_captions(footage: Footage, *, fileobj: BinaryIO, language: str = "en", actor) -> Footage:
    """Attach (or replace) the recording's captions: validated, stored privately under an
    opaque key, audited, and a render queued, which publishes them with the text under
    every audio redaction withheld. The footage is not ready until that render is done.

    Raises FootageError with a readable reason; nothing is stored then."""
    footage = _editable(footage, str(CAPTIONS_FROZEN))
    if language not in dict(CAPTION_LANGUAGES):
        raise FootageError(_("Unknown captions language %(language)r.") % {"language": language})
    data = fileobj.read(captions.MAX_BYTES + 1)
    try:
        cues = captions.parse(data, duration=footage.duration)
    except captions.CaptionsError as exc:
        raise FootageError(str(exc)) from exc
    sha256 = hashlib.sha256(data).hexdigest()
    private = storage.private_storage()
    old = footage.captions_key
    if old and language == footage.captions_language and _stored_sha256(private, old) == sha256:
        return footage  # the same file again: nothing to render
    stored = storage.store_fileobj(private, f"captions/{uuid.uuid4().hex}", io.BytesIO(data), sha256=sha256)
    footage.captions_key, footage.captions_language = stored.name, language
    footage.save(update_fields=["captions_key", "captions_language"])
    audit.record(
        "footage.captions_uploaded",
        footage,
        actor=actor,
        summary={"size": stored.size, "sha256": sha256, "cues": len(cues), "language": language, "replaced": bool(old)},
    )
    _render_again(footage, actor=actor, stale_key=old)
    footage.refresh_from_db()
    return footage


@transaction.atomic
def remove_captions(footage: Footage, *, actor) -> Footage:
    """Take the captions off a recording; the next render publishes none."""
    footage = _editable(footage, str(CAPTIONS_FROZEN))
    if not footage.captions_key:
        raise FootageError(_("This recording has no captions."))
    old = footage.captions_key
    footage.captions_key = ""
    footage.save(update_fields=["captions_key"])
    audit.record("footage.captions_removed", footage, actor=actor, summary={"language": footage.captions_language})
    _render_again(footage, actor=actor, stale_key=old)
    footage.refresh_from_db()
    return footage


def _editable(footage: Footage, message: str) -> Footage:
    footage = Footage.objects.select_for_update().select_related("release").get(pk=footage.pk)
    if not footage.release.footage_editable:
        raise FootageError(message)
    return footage


def _stored_sha256(private, key: str) -> str | None:
    try:
        with private.open(key, "rb") as fh:
            return storage.sha256_stream(fh)[0]
    except OSError:
        return None


def _render_again(footage: Footage, *, actor, stale_key: str) -> None:
    """The published package includes the captions, so new captions need a new render,
    like a new plan version: the footage is pending (not ready, so it can be neither
    submitted as rendered nor published) until the render has read the new captions. A
    render already running stands down at commit (releases.media.pipeline)."""
    footage.jobs.filter(kind=ProcessingJob.Kind.RENDER, state=ProcessingJob.State.QUEUED).update(
        state=ProcessingJob.State.SUPERSEDED, finished_at=timezone.now()
    )
    processing.queue_render(footage, actor=actor)
    if stale_key:
        # Transcripts hold names: the replaced file is not kept (the audit log keeps its hash).
        transaction.on_commit(lambda: storage.delete_quietly(storage.private_storage(), [stale_key]), robust=True)
