"""probe → transcode (one decode) → verify → hash → store → mark ready. Idempotent.

Safe to run twice and safe to kill: each run writes to its own private work prefix,
and the database only points at a run's outputs once every one of them is stored
and hashed. A run that finds the footage already ready does nothing.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from releases.media import ffmpeg, storage
from releases.models import Footage, Rendition

log = logging.getLogger(__name__)

# A decoded output shorter than this share of the source means the input was cut off.
MIN_DECODED_SHARE = 0.9


class TransientError(Exception):
    """Worth retrying: storage or network trouble, not the input."""


@dataclass(frozen=True)
class Produced:
    kind: str
    name: str
    mime_type: str
    size: int
    sha256: str
    info: ffmpeg.OutputInfo


def process(footage_id: int) -> Footage:
    footage = _start(footage_id)
    if footage.state == Footage.State.READY:
        log.info("footage %s already processed; nothing to do", footage_id)
        return footage
    produced: list[Produced] = []
    try:
        probe_info = _render(footage, produced)
    except ffmpeg.MediaError as exc:
        _discard(produced)
        return _fail(footage_id, str(exc))
    except storage.IntegrityError as exc:
        _discard(produced)
        return _fail(footage_id, f"The stored original failed its integrity check: {exc}")
    except OSError as exc:
        _discard(produced)
        _mark(footage_id, Footage.State.PENDING, f"Temporary storage problem, will retry: {exc}")
        raise TransientError(str(exc)) from exc
    except Exception as exc:
        _discard(produced)
        _fail(
            footage_id,
            f"Processing stopped on an internal error ({type(exc).__name__}). "
            "The original is intact; an administrator can retry.",
        )
        raise
    return _commit(footage_id, probe_info, produced)


def _start(footage_id: int) -> Footage:
    with transaction.atomic():
        footage = Footage.objects.select_for_update().get(pk=footage_id)
        if footage.state != Footage.State.READY:
            footage.state = Footage.State.PROCESSING
            footage.error = ""
            footage.attempts += 1
            footage.save(update_fields=["state", "error", "attempts"])
        return footage


def _render(footage: Footage, produced: list[Produced]) -> ffmpeg.ProbeInfo:
    private = storage.private_storage()
    with storage.scratch_dir() as tmp:
        workdir = Path(tmp)
        source = workdir / "source"
        digest = storage.fetch(private, footage.original_key, source)
        if digest != footage.original_sha256:
            raise storage.IntegrityError(
                f"expected SHA-256 {footage.original_sha256}, found {digest}. Processing refused."
            )
        info = ffmpeg.probe(source)
        outputs = ffmpeg.transcode(source, workdir, info)
        prefix = storage.work_prefix(footage.public_id)
        for out in outputs:
            out_info = ffmpeg.inspect_output(out.path)
            if out_info.duration is not None and out_info.duration < info.duration * MIN_DECODED_SHARE:
                raise ffmpeg.MediaError(
                    f"Only {out_info.duration:.1f} s of the recording's {info.duration:.1f} s could be "
                    "decoded; the file appears truncated or damaged."
                )
            stored = storage.store_path(private, prefix + out.path.name, out.path)
            produced.append(Produced(out.kind, stored.name, out.mime_type, stored.size, stored.sha256, out_info))
    return info


def _commit(footage_id: int, info: ffmpeg.ProbeInfo, produced: list[Produced]) -> Footage:
    stale: list[str] = []
    with transaction.atomic():
        footage = Footage.objects.select_for_update().get(pk=footage_id)
        if footage.state == Footage.State.READY:
            # Another run (a redelivered task) finished first; keep its outputs.
            transaction.on_commit(lambda: _discard(produced))
            return footage
        old = list(footage.renditions.all())
        if any(r.public_key for r in old):
            raise RuntimeError("Refusing to replace renditions that are published.")
        stale = [r.private_key for r in old]
        footage.renditions.all().delete()
        Rendition.objects.bulk_create(
            Rendition(
                footage=footage,
                kind=p.kind,
                private_key=p.name,
                mime_type=p.mime_type,
                size=p.size,
                sha256=p.sha256,
                width=p.info.width,
                height=p.info.height,
                duration=p.info.duration,
                video_codec=p.info.video_codec,
                audio_codec=p.info.audio_codec,
            )
            for p in produced
        )
        footage.probe = info.as_dict()
        footage.duration = info.duration
        footage.width = info.video.width if info.video else None
        footage.height = info.video.height if info.video else None
        footage.state = Footage.State.READY
        footage.error = ""
        footage.processed_at = timezone.now()
        footage.save(update_fields=["probe", "duration", "width", "height", "state", "error", "processed_at"])
        transaction.on_commit(lambda: storage.delete_quietly(storage.private_storage(), stale))
    log.info("footage %s ready: %s", footage_id, ", ".join(p.kind for p in produced))
    return footage


def _fail(footage_id: int, reason: str) -> Footage:
    log.warning("footage %s failed: %s", footage_id, reason)
    return _mark(footage_id, Footage.State.FAILED, reason)


def _mark(footage_id: int, state: str, reason: str) -> Footage:
    with transaction.atomic():
        footage = Footage.objects.select_for_update().get(pk=footage_id)
        if footage.state != Footage.State.READY:
            footage.state = state
            footage.error = reason
            footage.save(update_fields=["state", "error"])
        return footage


def _discard(produced: list[Produced]) -> None:
    storage.delete_quietly(storage.private_storage(), [p.name for p in produced])
