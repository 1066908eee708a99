"""Adding footage to a release: store the original privately, then queue processing."""

from pathlib import Path
from typing import BinaryIO

from django.db import transaction

from releases import audit, processing, redactions
from releases.media import storage
from releases.models import Footage, Release


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
