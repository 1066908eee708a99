"""fetch → verify → probe → redact + transcode (one decode) → check → hash → store → commit.

Safe to run twice and safe to kill:
- a job is claimed under a row lock; a second delivery of the same job stands down
  while the first worker is alive, and takes over if it died;
- each attempt writes to its own temporary prefix in private storage; the database
  points at those files only once every output is written, read back and hashed, so
  a killed attempt leaves no half ladder marked ready (and the next attempt deletes
  what the killed one left);
- a render whose plan was replaced by a newer version stands down, and so does one
  whose captions were replaced or removed while it ran (it commits only if the
  footage still has the captions it read).
Bad input fails at once with a reason a person can read; storage trouble is
transient and retried; the original is only ever read.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from releases import audit, processing, workflow
from releases.media import captions, ffmpeg, hls, redaction, storage
from releases.models import AuditEntry, Footage, ProcessingJob, RedactionPlan, Rendition

log = logging.getLogger(__name__)
Job = ProcessingJob

# A decoded output shorter than this share of the source means the input was cut off.
MIN_DECODED_SHARE = 0.9

try:  # S3 errors are as transient as a full disk
    from botocore.exceptions import BotoCoreError, ClientError

    _STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError, BotoCoreError, ClientError)
except ImportError:  # pragma: no cover
    _STORAGE_ERRORS = (OSError,)


class TransientError(Exception):
    """Worth retrying: storage or network trouble, not the input."""


class JobLost(Exception):
    """Another worker took the job over, or a newer plan superseded it: stand down."""


@dataclass(frozen=True)
class Produced:
    kind: str
    name: str  # name within the package
    key: str  # key in private storage
    rung: str
    mime_type: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    bitrate: int | None = None
    video_codec: str = ""
    audio_codec: str = ""


def process(job_id: int) -> ProcessingJob | None:
    job = _claim(job_id)
    if job is None:
        return None
    private = storage.private_storage()
    produced: list[Produced] = []
    try:
        # Inside the try: a storage error here re-queues the job like any other.
        for earlier in range(1, job.attempts):
            storage.delete_prefix(private, _prefix(job, earlier))
        info, tail, captions_key = _render(job, produced)
    except ffmpeg.MediaError as exc:
        _discard(produced)
        return fail_job(job, str(exc), stderr_tail=exc.stderr_tail)
    except PlanInvalid as exc:
        _discard(produced)
        return fail_job(job, f"The redaction plan cannot be applied to this recording: {exc}")
    except captions.CaptionsError as exc:
        _discard(produced)
        return fail_job(job, f"The captions cannot be used with this recording: {exc} Upload corrected captions.")
    except storage.IntegrityError as exc:
        _discard(produced)
        return _integrity_alarm(job, str(exc))
    except JobLost:
        _discard(produced)
        _stand_down(job)
        log.info("job %s: stood down (taken over or superseded)", job_id)
        return None
    except SoftTimeLimitExceeded:
        _discard(produced)
        return fail_job(
            job,
            f"Processing took longer than the time limit ({settings.MEDIA_TASK_SOFT_TIME_LIMIT} s) and was "
            "stopped. The original is intact; an administrator can raise MEDIA_TASK_SOFT_TIME_LIMIT and retry.",
        )
    except _STORAGE_ERRORS as exc:
        _discard(produced)
        _back_to_queue(job, f"Temporary storage problem, will retry: {exc}")
        raise TransientError(str(exc)) from exc
    except Exception as exc:
        _discard(produced)
        fail_job(
            job,
            f"Processing stopped on an internal error ({type(exc).__name__}). "
            "The original is intact; an administrator can retry.",
        )
        raise
    return _commit(job, info, produced, tail, captions_key)


class PlanInvalid(Exception):
    pass


# --- claim ---------------------------------------------------------------------------


def _claim(job_id: int) -> ProcessingJob | None:
    with transaction.atomic():
        try:
            job = Job.objects.select_for_update().select_related("plan").get(pk=job_id)
        except Job.DoesNotExist:
            log.warning("job %s no longer exists", job_id)
            return None
        if job.state in (Job.State.SUCCEEDED, Job.State.FAILED, Job.State.SUPERSEDED):
            return None
        if job.state == Job.State.RUNNING and processing.owner_alive(job):
            log.info("job %s is running in another live worker; not starting it twice", job_id)
            return None
        if job.kind == Job.Kind.RENDER and _superseded(job):
            job.state = Job.State.SUPERSEDED
            job.finished_at = timezone.now()
            job.save(update_fields=["state", "finished_at"])
            return None
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            fail_job(job, gave_up_reason(job))
            return None
        host, pid = processing.worker_identity()
        now = timezone.now()
        job.state = Job.State.RUNNING
        job.attempts += 1
        job.worker_host, job.worker_pid = host, pid
        job.started_at = job.heartbeat_at = now
        job.finished_at = None
        job.progress, job.speed, job.error = 0, None, ""
        job.save()
        if job.kind == Job.Kind.RENDER:
            Footage.objects.filter(pk=job.footage_id).update(
                state=Footage.State.PROCESSING, error="", attempts=F("attempts") + 1
            )
        return job


def _superseded(job: ProcessingJob) -> bool:
    return RedactionPlan.objects.filter(footage_id=job.footage_id, version__gt=job.plan.version).exists()


def _stand_down(job: ProcessingJob) -> None:
    """A render whose plan was replaced mid-run is marked superseded (otherwise it would
    show as running until the sweeper noticed); a job another worker took over is left to it."""
    host, pid = processing.worker_identity()
    if job.kind == Job.Kind.RENDER and _superseded(job):
        Job.objects.filter(pk=job.pk, state=Job.State.RUNNING, worker_host=host, worker_pid=pid).update(
            state=Job.State.SUPERSEDED, finished_at=timezone.now()
        )


def _prefix(job: ProcessingJob, attempt: int) -> str:
    return storage.job_prefix(job.footage.public_id, job.pk, attempt, preview=job.kind == Job.Kind.PREVIEW)


# --- render ----------------------------------------------------------------------------


def _heartbeat(job: ProcessingJob, **fields) -> None:
    host, pid = processing.worker_identity()
    updated = Job.objects.filter(pk=job.pk, state=Job.State.RUNNING, worker_host=host, worker_pid=pid).update(
        heartbeat_at=timezone.now(), **fields
    )
    if not updated:
        raise JobLost
    if job.kind == Job.Kind.RENDER and _superseded(job):
        raise JobLost


def _render(job: ProcessingJob, produced: list[Produced]) -> tuple[ffmpeg.ProbeInfo, list[str], str]:
    """Returns the probe, ffmpeg's last lines and the captions key the render read."""
    footage = job.footage
    # Read once: the commit checks that the footage still has these captions.
    captions_key = footage.captions_key if job.kind == Job.Kind.RENDER else ""
    private = storage.private_storage()
    with storage.scratch_dir(f"{job.pk}-{job.attempts}") as tmp:
        workdir = Path(tmp)
        digest = storage.fetch(private, footage.original_key, workdir / "source")
        if digest != footage.original_sha256 or digest != job.source_sha256:
            raise storage.IntegrityError(
                f"the stored original's SHA-256 is {digest}, but {footage.original_sha256} was recorded at upload"
            )
        _heartbeat(job)
        info = ffmpeg.probe(workdir / "source")
        items = job.plan.items
        issues = redaction.validate(items, duration=info.duration)
        if issues:
            raise PlanInvalid("; ".join(str(i) for i in issues))
        # Before the encode: captions that do not fit the recording fail the job at once.
        captions_vtt = _redacted_captions(private, captions_key, footage.captions_language, info, items)
        spec = ffmpeg.preview_spec(info) if job.kind == Job.Kind.PREVIEW else ffmpeg.full_spec(info)

        def on_progress(seconds: float | None, speed: float | None) -> None:
            fields = {"speed": speed}
            if seconds is not None and info.duration:
                fields["progress"] = round(min(99.0, max(0.0, 100 * seconds / info.duration)), 1)
            _heartbeat(job, **fields)

        outputs, tail = ffmpeg.render("source", workdir, info, items, spec, on_progress=on_progress)
        files = _check_and_describe(workdir, info, outputs)
        if captions_vtt is not None:
            (workdir / "captions.vtt").write_text(captions_vtt, encoding="utf-8")
            # The rung carries the language, so it is frozen with the file when published.
            files.append(
                {"kind": Rendition.Kind.CAPTIONS, "name": "captions.vtt", "rung": footage.captions_language,
                 "mime_type": "text/vtt"}
            )  # fmt: skip
        prefix = _prefix(job, job.attempts)
        for f in files:
            stored = storage.store_path(private, prefix + f["name"], workdir / f["name"])
            produced.append(Produced(key=stored.name, size=stored.size, sha256=stored.sha256, **f))
            _heartbeat(job)
    return info, tail, captions_key


def _redacted_captions(private, key: str, language: str, info, items: list[dict]) -> str | None:
    """The text of captions.vtt (None without captions): the staff's captions, checked
    against the recording's length, with the text under every mute and bleep of the plan
    withheld (releases.media.captions). Raises captions.CaptionsError."""
    if not key:
        return None
    with private.open(key, "rb") as fh:
        data = fh.read(captions.MAX_BYTES + 1)
    cues = captions.parse(data, duration=info.duration)
    with translation.override(language or "en"):
        placeholder = gettext("[redacted: %(exemptions)s]")
    return captions.to_vtt(captions.redact(cues, items, placeholder=placeholder), language=language)


def _check_and_describe(workdir: Path, info: ffmpeg.ProbeInfo, outputs: list[ffmpeg.Output]) -> list[dict]:
    """Read every video back; refuse truncated results; write the master playlist
    and the storyboard index. Returns the package's files."""
    files: list[dict] = []
    variants: list[hls.Variant] = []
    video_info = info.video
    assert video_info is not None
    mp4_info: dict[str, ffmpeg.OutputInfo] = {}
    for out in outputs:
        entry = {"kind": out.kind, "name": out.name, "rung": out.rung, "mime_type": out.mime_type}
        if out.kind == Rendition.Kind.MP4:
            o = ffmpeg.inspect_output(workdir / out.name)
            if o.duration is not None and o.duration < info.duration * MIN_DECODED_SHARE:
                raise ffmpeg.MediaError(
                    f"Only {o.duration:.1f} s of the recording's {info.duration:.1f} s could be "
                    "decoded; the file appears truncated or damaged."
                )
            mp4_info[out.rung] = o
            size = (workdir / out.name).stat().st_size
            entry.update(
                width=o.width, height=o.height, duration=o.duration, video_codec=o.video_codec,
                audio_codec=o.audio_codec, bitrate=round(size * 8 / o.duration) if o.duration else None,
            )  # fmt: skip
        elif out.kind in (Rendition.Kind.POSTER, Rendition.Kind.STORYBOARD):
            o = ffmpeg.inspect_output(workdir / out.name)
            entry.update(width=o.width, height=o.height)
        files.append(entry)
    for out in outputs:
        if out.kind == Rendition.Kind.HLS_PLAYLIST:
            o = mp4_info[out.rung]
            peak, average = hls.bandwidth((workdir / out.name).read_text())
            variants.append(
                hls.Variant(
                    playlist=Path(out.name).name, width=o.width, height=o.height, codecs=ffmpeg.h264_codecs(o),
                    peak_bps=peak, average_bps=average, frame_rate=video_info.fps,
                )
            )  # fmt: skip
    if variants:
        (workdir / "hls" / "master.m3u8").write_text(hls.master_playlist(variants))
        files.append(
            {"kind": Rendition.Kind.HLS_MASTER, "name": "hls/master.m3u8", "rung": "",
             "mime_type": "application/vnd.apple.mpegurl"}
        )  # fmt: skip
    if any(out.kind == Rendition.Kind.STORYBOARD for out in outputs):
        width = video_info.display_width or video_info.width
        height = video_info.display_height or video_info.height
        (workdir / "storyboard.vtt").write_text(
            hls.storyboard_vtt(info.duration, sprite="storyboard.jpg", width=width, height=height)
        )
        files.append(
            {"kind": Rendition.Kind.STORYBOARD_INDEX, "name": "storyboard.vtt", "rung": "", "mime_type": "text/vtt"}
        )
    return files


# --- commit / fail ------------------------------------------------------------------------


def _commit(
    job: ProcessingJob, info: ffmpeg.ProbeInfo, produced: list[Produced], tail: list[str], captions_key: str = ""
) -> ProcessingJob:
    host, pid = processing.worker_identity()
    stale: list[str] = []
    with transaction.atomic():
        job = Job.objects.select_for_update().select_related("plan").get(pk=job.pk)
        footage = Footage.objects.select_for_update().get(pk=job.footage_id)
        if job.state != Job.State.RUNNING or (job.worker_host, job.worker_pid) != (host, pid):
            transaction.on_commit(lambda: _discard(produced))
            return job  # another worker took over; its result counts, not ours
        now = timezone.now()
        if job.kind == Job.Kind.PREVIEW:
            (preview,) = produced
            old = list(footage.jobs.filter(kind=Job.Kind.PREVIEW).exclude(output_key="").exclude(pk=job.pk))
            stale = [j.output_key for j in old]
            Job.objects.filter(pk__in=[j.pk for j in old]).update(output_key="")
            job.output_key, job.output_size, job.output_sha256 = preview.key, preview.size, preview.sha256
        else:
            # New captions (or none) since this render read them: a newer render is queued.
            if _superseded(job) or footage.captions_key != captions_key:
                job.state, job.finished_at = Job.State.SUPERSEDED, now
                job.save(update_fields=["state", "finished_at"])
                transaction.on_commit(lambda: _discard(produced))
                return job
            # Published files are copies in public storage (releases.models.versions), so
            # the working renditions can be replaced while a correction is prepared.
            old = list(footage.renditions.all())
            stale = [r.private_key for r in old]
            footage.renditions.all().delete()
            Rendition.objects.bulk_create(
                Rendition(
                    footage=footage, job=job, kind=p.kind, rung=p.rung, name=p.name, private_key=p.key,
                    mime_type=p.mime_type, size=p.size, sha256=p.sha256, width=p.width, height=p.height,
                    duration=p.duration, bitrate=p.bitrate, video_codec=p.video_codec, audio_codec=p.audio_codec,
                )
                for p in produced
            )  # fmt: skip
            video = info.video
            footage.probe = info.as_dict()
            footage.duration = info.duration
            footage.width = (video.display_width or video.width) if video else None
            footage.height = (video.display_height or video.height) if video else None
            footage.state, footage.error = Footage.State.READY, ""
            footage.processed_at = now
            footage.rendered_plan = job.plan
            footage.save(
                update_fields=["probe", "duration", "width", "height", "state", "error", "processed_at",
                               "rendered_plan"]
            )  # fmt: skip
        job.state, job.progress, job.finished_at = Job.State.SUCCEEDED, 100, now
        job.stderr_tail = "\n".join(tail)
        job.save(update_fields=["state", "progress", "finished_at", "stderr_tail", "output_key", "output_size",
                                "output_sha256"])  # fmt: skip
        audit.record(
            "job.succeeded",
            job,
            summary={
                "footage": str(footage.public_id),
                "kind": job.kind,
                "plan_version": job.plan.version,
                "source_sha256": job.source_sha256,
                "files": {p.name: p.sha256 for p in produced},
            },
        )
        transaction.on_commit(lambda: storage.delete_quietly(storage.private_storage(), stale), robust=True)
        if job.kind == Job.Kind.RENDER:
            _settle(footage.pk)
    log.info("job %s (%s) succeeded: %s", job.pk, job.kind, ", ".join(p.name for p in produced))
    return job


def fail_job(
    job: ProcessingJob, reason: str, *, stderr_tail: list[str] | None = None, alarm: bool = False
) -> ProcessingJob:
    """Mark a job failed with a readable reason (and its footage, if this was its
    latest render). The original is never touched."""
    log.warning("job %s failed: %s", job.pk, reason)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state in (Job.State.SUCCEEDED, Job.State.SUPERSEDED):
            return job
        job.state, job.error, job.finished_at = Job.State.FAILED, reason, timezone.now()
        if stderr_tail is not None:
            job.stderr_tail = "\n".join(stderr_tail)
        job.save(update_fields=["state", "error", "finished_at", "stderr_tail"])
        if job.kind == Job.Kind.RENDER:
            latest = Job.objects.filter(footage_id=job.footage_id, kind=Job.Kind.RENDER).order_by("-id").first()
            if latest is not None and latest.pk == job.pk:
                Footage.objects.filter(pk=job.footage_id).exclude(state=Footage.State.READY).update(
                    state=Footage.State.FAILED, error=reason
                )
                _settle(job.footage_id)
        audit.record(
            "job.failed",
            job,
            summary={"footage_id": job.footage_id, "kind": job.kind, "attempts": job.attempts},
            reason=reason,
            severity=AuditEntry.Severity.ALARM if alarm else AuditEntry.Severity.INFO,
        )
    return job


def _settle(footage_id: int) -> None:
    """Tell the review workflow after commit: a release waiting in processing moves on,
    and an approval no longer matching the renders is voided."""
    transaction.on_commit(lambda: workflow.footage_settled(footage_id), robust=True)


def gave_up_reason(job: ProcessingJob) -> str:
    last = job.error or "its worker stopped responding (killed, out of memory, or shut down)"
    return (
        f"The job was started {job.attempts} times without finishing. Last problem: {last} "
        "The original is intact; an administrator can retry after fixing the cause."
    )


def give_up(job_id: int, reason: str) -> ProcessingJob:
    return fail_job(Job.objects.get(pk=job_id), reason)


def _integrity_alarm(job: ProcessingJob, detail: str) -> ProcessingJob:
    return fail_job(
        job,
        f"Integrity alarm: {detail}. The stored original no longer matches its upload; processing was refused "
        "and the original left as found for investigation.",
        alarm=True,
    )


def _back_to_queue(job: ProcessingJob, reason: str) -> None:
    Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
        state=Job.State.QUEUED, error=reason, queued_at=timezone.now()
    )
    if job.kind == Job.Kind.RENDER:
        Footage.objects.filter(pk=job.footage_id).update(state=Footage.State.PENDING, error=reason)


def _discard(produced: list[Produced]) -> None:
    # Called while handling a failure, often a storage one: if deleting fails too, the job
    # must still be failed or re-queued, and the next attempt deletes this one's prefix.
    try:
        storage.delete_quietly(storage.private_storage(), [p.key for p in produced])
    except _STORAGE_ERRORS as exc:
        log.warning("could not remove %d file(s) of a failed attempt: %s", len(produced), exc)
