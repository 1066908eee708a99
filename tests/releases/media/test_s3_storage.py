"""The pipeline and publication against S3 (moto): private and public buckets stay apart."""

import hashlib

import boto3
import moto
import pytest

from releases import workflow
from releases.models import Footage, Release, Rendition
from tests.conftest import upload

PRIVATE_BUCKET = "portal-private"
PUBLIC_BUCKET = "portal-public"
REGION = "us-east-1"


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
    assert {r.kind for r in renditions} == {Rendition.Kind.MP4, Rendition.Kind.POSTER}

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


def test_publishing_on_s3_copies_only_renditions_and_withdrawing_removes_them(
    s3, processed_on_s3, draft_release, uploader, reviewer, django_capture_on_commit_callbacks
):
    footage = processed_on_s3
    assert footage.state == Footage.State.READY, footage.error
    private_before = objects(s3, PRIVATE_BUCKET)

    workflow.submit(draft_release, actor=uploader)
    assert objects(s3, PUBLIC_BUCKET) == {}  # submitting publishes nothing
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(draft_release, actor=reviewer)
    draft_release.refresh_from_db()
    assert draft_release.status == Release.Status.PUBLISHED

    renditions = list(footage.renditions.all())
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
        workflow.withdraw(draft_release, actor=reviewer, reason="Published in error.")
    draft_release.refresh_from_db()
    assert draft_release.status == Release.Status.WITHDRAWN
    assert objects(s3, PUBLIC_BUCKET) == {}
    assert not footage.renditions.exclude(public_key="").exists()
    assert objects(s3, PRIVATE_BUCKET) == private_before


def test_publishing_on_s3_refuses_a_rendition_changed_in_the_private_bucket(
    s3, processed_on_s3, draft_release, uploader, reviewer
):
    workflow.submit(draft_release, actor=uploader)
    poster = processed_on_s3.renditions.get(kind=Rendition.Kind.POSTER)
    s3.put_object(Bucket=PRIVATE_BUCKET, Key=poster.private_key, Body=b"\xff\xd8\xff swapped image")

    with pytest.raises(workflow.WorkflowError, match="does not match its recorded SHA-256"):
        workflow.publish(draft_release, actor=reviewer)

    draft_release.refresh_from_db()
    assert draft_release.status == Release.Status.IN_REVIEW
    assert objects(s3, PUBLIC_BUCKET) == {}  # nothing half-published
