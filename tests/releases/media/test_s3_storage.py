"""The pipeline and publication against S3 (moto): private and public buckets stay apart."""

import hashlib
from pathlib import Path

import av
import boto3
import moto
import numpy as np
import pytest

from releases import redactions, workflow
from releases.models import Footage, PublishedFile, Release, Rendition
from tests.conftest import upload
from tests.factories import ReleaseFactory

PRIVATE_BUCKET = "portal-private"
PUBLIC_BUCKET = "portal-public"
REGION = "us-east-1"
PACKAGE_360P = {
    "360p.mp4", "hls/master.m3u8", "hls/360p.m3u8", "hls/360p.m4s", "poster.jpg", "storyboard.jpg", "storyboard.vtt",
}  # fmt: skip


@pytest.fixture
def s3(settings, monkeypatch, media_roots):
    """Two moto buckets wired in as the private, default and public storages."""
    # media_roots (autouse) set local storages first; these settings replace them.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with moto.mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=PRIVATE_BUCKET)
        client.create_bucket(Bucket=PUBLIC_BUCKET)
        private = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": PRIVATE_BUCKET, "region_name": REGION},
        }
        settings.STORAGES = {
            **settings.STORAGES,
            "default": private,
            "private": private,
            "public": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": PUBLIC_BUCKET, "region_name": REGION, "querystring_auth": False},
            },
        }
        yield client


def objects(client, bucket: str) -> dict[str, str]:
    """Every object in a bucket: key → SHA-256 of its downloaded bytes."""
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"]] = hashlib.sha256(body).hexdigest()
    return found


@pytest.fixture
def processed_on_s3(s3, draft_release, uploader, clip, django_capture_on_commit_callbacks) -> Footage:
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, clip, actor=uploader)
    footage.refresh_from_db()
    return footage


def test_processing_on_s3_stores_hashed_renditions_in_the_private_bucket_only(s3, processed_on_s3, clip, media_roots):
    footage = processed_on_s3
    assert footage.state == Footage.State.READY, footage.error
    renditions = list(footage.renditions.all())
    assert {r.name for r in renditions} == PACKAGE_360P

    private = objects(s3, PRIVATE_BUCKET)
    assert set(private) == {footage.original_key, *(r.private_key for r in renditions)}
    for r in renditions:
        assert private[r.private_key] == r.sha256
        head = s3.head_object(Bucket=PRIVATE_BUCKET, Key=r.private_key)
        assert head["ContentLength"] == r.size
    assert private[footage.original_key] == footage.original_sha256 == hashlib.sha256(clip.read_bytes()).hexdigest()

    assert objects(s3, PUBLIC_BUCKET) == {}
    # Nothing went to the local roots either: the storages really are the buckets.
    assert not any(p.is_file() for p in media_roots["private"].rglob("*"))
    assert not any(p.is_file() for p in media_roots["public"].rglob("*"))


def _approve(release, uploader, reviewer):
    workflow.submit(release, actor=uploader)
    workflow.approve(release, actor=reviewer, note="Checked.")


def _published_files(release):
    release.refresh_from_db()
    return list(PublishedFile.objects.filter(footage__version=release.public_version))


def test_publishing_on_s3_copies_only_renditions_and_withdrawing_removes_them(
    s3, processed_on_s3, draft_release, uploader, reviewer, publisher, django_capture_on_commit_callbacks
):
    footage = processed_on_s3
    assert footage.state == Footage.State.READY, footage.error
    private_before = objects(s3, PRIVATE_BUCKET)

    _approve(draft_release, uploader, reviewer)
    assert objects(s3, PUBLIC_BUCKET) == {}  # submitting and approving publish nothing
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(draft_release, actor=publisher)
    draft_release.refresh_from_db()
    assert draft_release.status == Release.Status.PUBLISHED

    renditions = _published_files(draft_release)
    assert {r.name for r in renditions} == set(footage.renditions.values_list("name", flat=True))
    public = objects(s3, PUBLIC_BUCKET)
    assert set(public) == {r.public_key for r in renditions}
    for r in renditions:
        assert r.public_key
        assert public[r.public_key] == r.sha256
    # The original never leaves the private bucket, under its key or under any other.
    assert footage.original_key not in public
    assert footage.original_sha256 not in public.values()
    assert not any(key.startswith(("originals/", "renditions/")) for key in public)
    assert objects(s3, PRIVATE_BUCKET) == private_before

    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(draft_release, actor=publisher, reason="Published in error.")
    draft_release.refresh_from_db()
    assert draft_release.status == Release.Status.WITHDRAWN
    assert objects(s3, PUBLIC_BUCKET) == {}
    assert not PublishedFile.objects.filter(footage__footage=footage).exclude(public_key="").exists()
    assert objects(s3, PRIVATE_BUCKET) == private_before


def test_publishing_on_s3_refuses_a_rendition_changed_in_the_private_bucket(
    s3, processed_on_s3, draft_release, uploader, reviewer, publisher
):
    _approve(draft_release, uploader, reviewer)
    poster = processed_on_s3.renditions.get(kind=Rendition.Kind.POSTER)
    s3.put_object(Bucket=PRIVATE_BUCKET, Key=poster.private_key, Body=b"\xff\xd8\xff swapped image")

    with pytest.raises(workflow.WorkflowError, match="does not match its recorded SHA-256"):
        workflow.publish(draft_release, actor=publisher)

    draft_release.refresh_from_db()
    assert draft_release.status == Release.Status.APPROVED
    assert objects(s3, PUBLIC_BUCKET) == {}  # nothing half-published


# --- the whole pipeline with a redaction plan -------------------------------------


BLACKOUT = (0.5, 1.5)
MUTE = (0.5, 1.5)
PLAN = [
    {"kind": "blackout", "start": BLACKOUT[0], "end": BLACKOUT[1], "category": "bystander_face", "exemption": "b7c",
     "public_reason": "A bystander is identifiable."},
    {"kind": "mute", "start": MUTE[0], "end": MUTE[1], "category": "spoken_pii", "exemption": "b6",
     "public_reason": "A home address is spoken."},
]  # fmt: skip


def download(client, bucket: str, key: str, dest: Path) -> Path:
    dest.write_bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    return dest


def luma_by_time(path: Path) -> list[tuple[float, float]]:
    """(time, mean luma) of every decoded frame."""
    with av.open(str(path)) as container:
        return [(f.time, float(f.to_ndarray(format="gray").mean())) for f in container.decode(video=0)]


def loudness_between(path: Path, a: float, b: float) -> float:
    """Root mean square of the first channel's samples between a and b seconds."""
    with av.open(str(path)) as container:
        parts = [(f.time, f.to_ndarray()[0]) for f in container.decode(audio=0)]
    rate = 48000
    samples = np.concatenate([chunk for _, chunk in parts])
    start = parts[0][0]
    window = samples[round((a - start) * rate) : round((b - start) * rate)]
    return float(np.sqrt(np.mean(window.astype(np.float64) ** 2)))


def test_the_whole_pipeline_on_s3_renders_the_plan_publishes_one_package_and_withdraws_it(
    s3, draft_release, uploader, reviewer, publisher, clip, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, clip, actor=uploader)
    # Another draft, processed in the same buckets, that is never published.
    other_release = ReleaseFactory(created_by=uploader)
    with django_capture_on_commit_callbacks(execute=True):
        other = upload(other_release, clip, actor=uploader, label="Unpublished camera")
    footage.refresh_from_db()
    first_package = {r.private_key for r in footage.renditions.all()}

    with django_capture_on_commit_callbacks(execute=True):
        plan = redactions.replace_plan(footage, PLAN, actor=uploader, base_version=1)

    footage.refresh_from_db()
    assert footage.state == Footage.State.READY, footage.error
    assert (plan.version, footage.rendered_plan) == (2, plan)
    renditions = list(footage.renditions.all())
    assert {r.name for r in renditions} == PACKAGE_360P
    private = objects(s3, PRIVATE_BUCKET)
    # The first render's files left the private bucket once the second was committed.
    assert not first_package & set(private)
    mine = {footage.original_key, *(r.private_key for r in renditions)}
    theirs = {other.original_key, *other.renditions.values_list("private_key", flat=True)}
    assert set(private) == mine | theirs
    for r in renditions:
        assert private[r.private_key] == r.sha256
    assert objects(s3, PUBLIC_BUCKET) == {}  # rendered is not published

    _approve(draft_release, uploader, reviewer)
    assert objects(s3, PUBLIC_BUCKET) == {}  # submitted and approved is not published either
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(draft_release, actor=publisher)

    renditions = _published_files(draft_release)
    public = objects(s3, PUBLIC_BUCKET)
    (token,) = {r.public_key.split("/")[1] for r in renditions}
    prefix = f"r/{token}/{footage.public_id.hex[:12]}/"
    # Every file of the package, HLS and storyboard included, side by side under one prefix.
    assert public == {prefix + r.name: r.sha256 for r in renditions}
    assert {r.public_key for r in renditions} == set(public)
    # Nothing of the unpublished release, neither its media nor its original. (Its text
    # files may equal ours byte for byte: a storyboard index depends only on the duration.)
    media_kinds = [Rendition.Kind.MP4, Rendition.Kind.HLS_MEDIA, Rendition.Kind.POSTER, Rendition.Kind.STORYBOARD]
    unpublished = {
        other.original_sha256,
        *other.renditions.filter(kind__in=media_kinds).values_list("sha256", flat=True),
    }
    assert len(unpublished) == 5
    assert not unpublished & set(public.values())
    assert not PublishedFile.objects.filter(footage__footage=other).exists()
    assert not any(other.public_id.hex[:12] in key for key in public)
    assert footage.original_sha256 not in public.values()

    # The relative references inside the package resolve within the public bucket.
    def read_public(name: str) -> str:
        return s3.get_object(Bucket=PUBLIC_BUCKET, Key=prefix + name)["Body"].read().decode()

    for line in read_public("hls/master.m3u8").splitlines():
        if line and not line.startswith("#"):
            assert f"{prefix}hls/{line}" in public, line
    assert '#EXT-X-MAP:URI="360p.m4s"' in read_public("hls/360p.m3u8")
    assert "storyboard.jpg#xywh=" in read_public("storyboard.vtt")

    # What the public downloads is the redacted render: black and silent in the ranges.
    video = download(s3, PUBLIC_BUCKET, prefix + "360p.mp4", tmp_path / "public.mp4")
    lumas = luma_by_time(video)
    inside = [y for t, y in lumas if BLACKOUT[0] + 0.1 <= t <= BLACKOUT[1] - 0.1]
    outside = [y for t, y in lumas if t < BLACKOUT[0] - 0.1 or t > BLACKOUT[1] + 0.1]
    assert inside
    assert outside
    assert max(inside) < 20
    assert min(outside) > 50
    assert loudness_between(video, MUTE[0] + 0.05, MUTE[1] - 0.05) < 1e-3
    assert loudness_between(video, 0.0, MUTE[0] - 0.05) > 0.01

    private_before = objects(s3, PRIVATE_BUCKET)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(draft_release, actor=publisher, reason="Published in error.")
    assert objects(s3, PUBLIC_BUCKET) == {}
    assert not PublishedFile.objects.filter(footage__footage=footage).exclude(public_key="").exists()
    assert objects(s3, PRIVATE_BUCKET) == private_before
