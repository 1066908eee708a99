"""The public/staff boundary: every public route hides unpublished material; staff routes need a login."""

import base64
import hashlib
import re

import pytest
from django.contrib import admin
from django.urls import URLPattern, reverse

from releases import processing, workflow
from releases.media import storage
from releases.models import (
    City,
    Exemption,
    Footage,
    ProcessingJob,
    PublishedFile,
    RedactionPlan,
    Release,
    Rendition,
)
from releases.views import public_urls
from tests.conftest import upload
from tests.factories import ReleaseFactory, UserFactory

Status = Release.Status

# Adding a public route means adding it here, and to the checks below.
KNOWN_PUBLIC_ROUTES = {
    "home", "release-list", "release-detail", "city-detail", "media",
    "redaction-log-json", "redaction-log-csv", "redaction-log-vtt",
    "manifest-json", "manifest-signature", "keys", "current-key", "key-pem", "verify",
    "audit", "audit-json",
    "request-file", "request-status", "request-status-action",
    "request-log", "request-log-csv", "request-log-feed", "request-log-detail",
    "releases-feed", "city-feed", "changes-feed", "sitemap",
    "release-version", "release-embed", "city-list",
    "data", "data-dictionary", "data-statistics-csv", "data-statistics-json", "data-releases-csv", "data-releases-json",
}  # fmt: skip
REDACTION_LOG_ROUTES = ["redaction-log-json", "redaction-log-csv", "redaction-log-vtt"]
SECRET_TITLE = "Unpublished encounter zebra"
CONTROL_TITLE = "Published control encounter"


def test_the_public_routes_are_exactly_the_known_ones():
    assert all(isinstance(p, URLPattern) for p in public_urls.urlpatterns), "no nested includes in public URLs"
    names = [p.name for p in public_urls.urlpatterns]
    assert len(names) == len(set(names))
    assert set(names) == KNOWN_PUBLIC_ROUTES


def _publish(release: Release, author, reviewer, publisher) -> Release:
    workflow.submit(release, actor=author)
    workflow.approve(release, actor=reviewer, note="Checked.")
    workflow.publish(release, actor=publisher)
    release.refresh_from_db()
    return release


@pytest.fixture
def control(reviewer, publisher, clip, django_capture_on_commit_callbacks, db):
    """A published release in the same city, so each page is shown to list something."""
    release = ReleaseFactory(title=CONTROL_TITLE)
    author = release.created_by
    with django_capture_on_commit_callbacks(execute=True):
        upload(release, clip, actor=author)
    _publish(release, author, reviewer, publisher)
    assert release.is_published
    return release


# Every page test runs once per state, each with two real renders, so the states here are
# the distinct cases for the public: never reviewed, in review, approved and scheduled (the
# content is final but not public) and withdrawn (a tombstone). Processing and changes
# requested differ from draft only for staff; test_models checks the published() rule
# for every state.
HIDDEN_STATES = [Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED, Status.WITHDRAWN]


@pytest.fixture(params=HIDDEN_STATES)
def hidden(request, processed_release, uploader, reviewer, publisher):
    """A release in every non-published state, built through the real workflow.

    A withdrawal's file deletion runs on commit, which never happens inside a test: the
    public files are still on disk, so only the boundary itself can keep them hidden.
    """
    import datetime

    from django.utils import timezone

    from releases import redactions
    from tests.factories import plan_item

    Release.objects.filter(pk=processed_release.pk).update(title=SECRET_TITLE)
    state = request.param
    release = processed_release
    if state == Status.PROCESSING:
        redactions.replace_plan(release.footage.get(), [plan_item()], actor=uploader)  # render waits
    if state != Status.DRAFT:
        workflow.submit(release, actor=uploader)
    if state == Status.CHANGES_REQUESTED:
        workflow.request_changes(release, actor=reviewer, note="Blur more.")
    if state in (Status.APPROVED, Status.SCHEDULED, Status.WITHDRAWN):
        workflow.approve(release, actor=reviewer, note="Checked.")
    if state == Status.SCHEDULED:
        workflow.schedule(release, actor=publisher, publish_at=timezone.now() + datetime.timedelta(days=1))
    if state == Status.WITHDRAWN:
        workflow.publish(release, actor=publisher)
        workflow.withdraw(release, actor=publisher, reason="Bystander visible.")
    release.refresh_from_db()
    assert release.status == state
    return release


def test_unpublished_release_page_is_404(client, hidden, control):
    release = hidden
    assert client.get(control.get_absolute_url()).status_code == 200
    response = client.get(release.get_absolute_url())
    if release.status == Status.WITHDRAWN:
        # The tombstone: the title it was published under and the reason, no files.
        assert response.status_code == 410
        page = response.content.decode()
        assert "Bystander visible." in page
        assert "/media/" not in page
        assert "manifest.json" not in page
    else:
        assert response.status_code == 404
    # The version permalink and the embed follow the page: 404, or 410 once withdrawn.
    gone = 410 if release.status == Status.WITHDRAWN else 404
    for name, kwargs in (("release-version", {"number": 1}), ("release-embed", {})):
        assert client.get(reverse(f"public:{name}", kwargs={"slug": control.slug, **kwargs})).status_code == 200
        response = client.get(reverse(f"public:{name}", kwargs={"slug": release.slug, **kwargs}))
        assert response.status_code in (404, gone), name
        assert SECRET_TITLE not in response.content.decode() or release.status == Status.WITHDRAWN, name


# Each test below builds two releases with real renders for every hidden state, so the
# routes of one kind are checked in one test rather than one test per route.


def test_unpublished_release_manifest_is_404(client, hidden, control):
    for name in ("manifest-json", "manifest-signature"):
        assert client.get(reverse(f"public:{name}", kwargs={"slug": control.slug, "number": 1})).status_code == 200
        assert client.get(reverse(f"public:{name}", kwargs={"slug": hidden.slug, "number": 1})).status_code == 404


def test_a_correction_in_progress_never_shows_its_working_copy(
    client, published_release, uploader, publisher, django_capture_on_commit_callbacks
):
    from releases import redactions
    from tests.factories import plan_item

    public_title = published_release.title
    workflow.start_correction(published_release, actor=publisher, reason="Re-redact the plate.")
    workflow.edit_details(published_release, actor=uploader, title=SECRET_TITLE, summary="Secret summary zebra")
    with django_capture_on_commit_callbacks(execute=True):
        redactions.replace_plan(
            published_release.footage.get(), [plan_item(public_reason="Zebra reason")], actor=uploader
        )
    pages = [published_release.get_absolute_url(), *LISTING_PAGES]
    footage_id = published_release.footage.get().public_id.hex
    pages += [reverse(f"public:{n}", kwargs={"slug": published_release.slug, "footage_id": footage_id})
              for n in REDACTION_LOG_ROUTES]  # fmt: skip
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "zebra" not in body.lower(), url
    assert public_title in client.get(published_release.get_absolute_url()).content.decode()
    # The new renders are private until the correction is published.
    for r in Rendition.objects.filter(footage__release=published_release):
        assert client.get(f"/media/{r.private_key}").status_code == 404


def _log_url(name: str, release: Release, footage: Footage) -> str:
    return reverse(f"public:{name}", kwargs={"slug": release.slug, "footage_id": footage.public_id.hex})


def test_unpublished_release_redaction_log_is_404(client, hidden, control):
    for name in REDACTION_LOG_ROUTES:
        assert client.get(_log_url(name, control, control.footage.get())).status_code == 200, name
        assert client.get(_log_url(name, hidden, hidden.footage.get())).status_code == 404, name
        # A published slug with an unpublished release's footage id is still 404.
        assert client.get(_log_url(name, control, hidden.footage.get())).status_code == 404, name


LISTING_PAGES = [
    reverse("public:home"),
    reverse("public:release-list"),
    reverse("public:release-list") + "?city=detroit",
    reverse("public:city-detail", kwargs={"slug": "detroit"}),
    reverse("public:releases-feed"),
    reverse("public:city-feed", kwargs={"slug": "detroit"}),
    # Search for a word both titles share, and the open-data catalogue.
    reverse("public:release-list") + "?q=encounter",
    reverse("public:data-releases-csv"),
    reverse("public:data-releases-json"),
]


def test_unpublished_release_is_absent_from_listing_pages(client, hidden, control, django_capture_on_commit_callbacks):
    """Listings, feeds, the sitemap, and the access-request pages answered by it."""
    release = hidden
    for url in LISTING_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert CONTROL_TITLE in page, url
        assert SECRET_TITLE not in page, url
        assert release.slug not in page, url
    _check_sitemap_and_changes_feed(client, hidden, control)
    _check_request_pages(client, hidden, control, django_capture_on_commit_callbacks)


def _check_sitemap_and_changes_feed(client, hidden, control):
    """The sitemap has no titles: checked by slug. The changes feed lists a withdrawn
    release as its tombstone does (title, date, public reason) and nothing else."""
    sitemap = client.get(reverse("public:sitemap"))
    assert sitemap.status_code == 200
    body = sitemap.content.decode()
    assert control.get_absolute_url() in body
    assert hidden.get_absolute_url() not in body
    changes = client.get(reverse("public:changes-feed"))
    assert changes.status_code == 200
    body = changes.content.decode()
    assert control.get_absolute_url() not in body  # a first publication is not a change
    if hidden.status == Status.WITHDRAWN:
        assert f"Withdrawn: {SECRET_TITLE}" in body
        assert "Bystander visible." in body
        assert "/media/" not in body
        assert "manifest" not in body
    else:
        assert SECRET_TITLE not in body
        assert hidden.get_absolute_url() not in body


def _check_request_pages(client, hidden, control, django_capture_on_commit_callbacks):
    """The request log, its CSV, feed and entry page, the requester's status page and the
    public API list only published releases among those answering a request."""
    from releases import access
    from tests.factories import file_access_request

    officer = UserFactory(username="records", role="Records officer")
    req, token = file_access_request()
    with django_capture_on_commit_callbacks(execute=True):
        access.link_release(req, actor=officer, release=hidden)
        access.link_release(req, actor=officer, release=control)
    urls = [
        reverse("public:request-log"),
        reverse("public:request-log-csv"),
        reverse("public:request-log-feed"),
        reverse("public:request-log-detail", kwargs={"tracking_number": req.tracking_number}),
        reverse("public:request-status", kwargs={"token": token}),
        "/api/requests/",
        f"/api/requests/{req.tracking_number}/",
        f"/api/requests/status/{token}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SECRET_TITLE not in body, url
        assert hidden.slug not in body, url
    page = client.get(reverse("public:request-log-detail", kwargs={"tracking_number": req.tracking_number}))
    assert control.get_absolute_url() in page.content.decode()
    # The requester was told about the published release only.
    assert req.events.filter(kind="release_published").count() == 1


def test_city_counts_only_published_releases(client, hidden, control):
    city = City.objects.get(slug="detroit")
    assert city.releases.count() == 2
    response = client.get(city.get_absolute_url())
    assert response.context["overview"].releases.published == 1
    assert response.context["page"].paginator.count == 1
    home = client.get(reverse("public:home"))
    detroit = next(o for o in home.context["overviews"] if o.city.slug == "detroit")
    assert detroit.releases.published == 1
    cities = client.get(reverse("public:city-list"))
    detroit = next(o for o in cities.context["overviews"] if o.city.slug == "detroit")
    assert detroit.releases.published == 1


def test_private_keys_of_an_unpublished_release_are_never_served(client, hidden, media_roots):
    release = hidden
    footage = release.footage.get()
    keys = [footage.original_key, *Rendition.objects.filter(footage=footage).values_list("private_key", flat=True)]
    assert len(keys) == 8  # the original, and the package: MP4, HLS master/playlist/media, poster, storyboard, index
    for key in keys:
        assert (media_roots["private"] / key).is_file()
        assert client.get(f"/media/{key}").status_code == 404
        assert client.get(f"/media/{key}", HTTP_RANGE="bytes=0-9").status_code == 404


def test_former_public_urls_of_a_withdrawn_release_are_404(client, published_release, publisher, media_roots):
    former_keys = list(
        PublishedFile.objects.filter(footage__version__release=published_release).values_list("public_key", flat=True)
    )
    assert len(former_keys) == 7
    footage_hex = published_release.footage.get().public_id.hex[:12]
    assert all(re.fullmatch(rf"r/[A-Za-z0-9_-]{{24}}/{footage_hex}/[a-z0-9/.]+", key) for key in former_keys), (
        former_keys
    )
    for key in former_keys:
        assert client.get(f"/media/{key}").status_code == 200
    workflow.withdraw(published_release, actor=publisher, reason="Bystander visible.")
    for key in former_keys:
        assert (media_roots["public"] / key).is_file()  # deletion waits for a commit that never comes
        assert client.get(f"/media/{key}").status_code == 404
        assert client.get(f"/media/{key}?download=1", HTTP_RANGE="bytes=0-99").status_code == 404


def test_published_files_are_served_but_private_keys_of_the_same_release_are_not(client, published_release):
    footage = published_release.footage.get()
    published = PublishedFile.objects.filter(footage__version=published_release.public_version)
    assert published.count() == 7
    for f in published:
        assert client.get(f"/media/{f.public_key}").status_code == 200
    for r in Rendition.objects.filter(footage=footage):
        assert client.get(f"/media/{r.private_key}").status_code == 404
    assert client.get(f"/media/{footage.original_key}").status_code == 404


def test_published_status_without_a_public_version_is_not_public(client, db):
    release = ReleaseFactory(title=SECRET_TITLE)
    Release.objects.filter(pk=release.pk).update(status=Status.PUBLISHED)  # no version was ever made
    assert client.get(release.get_absolute_url()).status_code == 404
    assert SECRET_TITLE not in client.get(reverse("public:release-list")).content.decode()


def test_the_private_storage_root_is_never_served(client, processed_release, media_roots):
    footage = processed_release.footage.get()
    key = footage.original_key
    assert (media_roots["private"] / key).is_file()
    paths = [
        f"/media/{key}",
        f"/media/../private/{key}",
        f"/media/%2e%2e/private/{key}",
        f"/media/..%2fprivate/{key}",
        f"/private/{key}",
        f"/static/../private/{key}",
        "/static/../var/db.sqlite3",
        "/static/../portal/settings.py",
        f"/media/{media_roots['private']}/{key}",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 404, path


def test_private_storage_has_no_url(tmp_path):
    with pytest.raises(ValueError, match="no public URL"):
        storage.private_storage().url("originals/anything")
    with pytest.raises(ValueError, match="no public URL"):
        storage.PrivateFileSystemStorage(location=str(tmp_path)).url("x")


def test_public_and_private_storage_are_different_places(media_roots):
    assert storage.private_storage().location != storage.public_storage().location
    assert storage.private_storage().location == str(media_roots["private"])


# --- staff side ----------------------------------------------------------------


def _staff_urls(release: Release, footage: Footage) -> list[str]:
    job = footage.jobs.first()
    objects = {
        Release: release, Footage: footage, City: release.city, ProcessingJob: job,
        RedactionPlan: footage.plans.first(), Exemption: Exemption.objects.first(),
    }  # fmt: skip
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        if model in objects:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[objects[model].pk]))
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[objects[model].pk]))
    urls.append(reverse("admin:releases_release_transition", args=[release.pk, "submit"]))
    urls.append(reverse("admin:releases_footage_preview", args=[footage.pk]))
    from tests.factories import file_access_request

    req, _token = file_access_request()
    urls += [
        reverse("staff-requests:queue"),
        reverse("staff-requests:detail", args=[req.pk]),
        reverse("staff-requests:act", args=[req.pk, "acknowledge"]),
    ]
    return urls


def _staff_api_urls(release: Release, footage: Footage) -> list[tuple[str, str]]:
    return [
        ("get", reverse("staff-api:footage-plan", args=[footage.public_id])),
        ("put", reverse("staff-api:footage-plan", args=[footage.public_id])),
        ("post", reverse("staff-api:footage-preview", args=[footage.public_id])),
        ("get", reverse("staff-api:job", args=[footage.jobs.first().pk])),
        ("post", reverse("staff-api:release-footage", args=[release.pk])),
    ]


def test_every_registered_model_is_covered_by_the_staff_url_check():
    assert set(admin.site._registry) >= {Release, Footage, City, ProcessingJob, RedactionPlan, Exemption}


def test_anonymous_requests_to_staff_urls_are_sent_to_login(client, processed_release):
    urls = _staff_urls(processed_release, processed_release.footage.get())
    assert len(urls) >= 22
    login = reverse("admin:login")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
        response = client.post(url, {})
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url


def test_anonymous_requests_to_the_staff_api_are_refused(client, processed_release):
    footage = processed_release.footage.get()
    for method, url in _staff_api_urls(processed_release, footage):
        response = getattr(client, method)(url, {}, content_type="application/json")
        assert response.status_code == 403, (method, url)
        assert "credentials were not provided" in response.json()["detail"]
    assert footage.jobs.count() == 1
    assert footage.plans.count() == 1


def test_wrong_basic_auth_credentials_are_refused(client, processed_release, uploader):
    footage = processed_release.footage.get()
    token = base64.b64encode(b"uploader:wrong password").decode()
    statuses = []
    for method, url in _staff_api_urls(processed_release, footage):
        response = getattr(client, method)(
            url, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {token}"
        )
        statuses.append(response.status_code)
    # Refused every time; the fifth wrong password (AXES_FAILURE_LIMIT) locks the account
    # out from this address, so guessing through the API is throttled like the login page.
    assert statuses == [403, 403, 403, 403, 429]
    assert footage.plans.count() == 1


def test_staff_without_any_role_get_403_from_the_staff_api(client, processed_release):
    footage = processed_release.footage.get()
    client.force_login(UserFactory(username="roleless"))
    for method, url in _staff_api_urls(processed_release, footage):
        response = getattr(client, method)(url, {}, content_type="application/json")
        assert response.status_code == 403, (method, url)


@pytest.fixture
def preview_job(processed_release, uploader, django_capture_on_commit_callbacks):
    footage = processed_release.footage.get()
    with django_capture_on_commit_callbacks(execute=True):
        job = processing.request_preview(footage, actor=uploader)
    job.refresh_from_db()
    assert job.state == ProcessingJob.State.SUCCEEDED, job.error
    return job


def test_a_preview_is_served_only_to_people_who_edit_or_judge_plans(client, preview_job, uploader, reviewer):
    url = reverse("staff-media:preview", args=[preview_job.pk])
    assert url.startswith("/staff-media/")

    response = client.get(url)  # anonymous
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))

    outsiders = [
        UserFactory(username="citizen", is_staff=False),
        UserFactory(username="roleless"),
        UserFactory(username="records", role="Records officer"),
        UserFactory(username="administrator", role="Administrator"),
    ]
    for user in outsiders:
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.get(url, HTTP_RANGE="bytes=0-9").status_code == 404, user

    for user in (uploader, reviewer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user
        b"".join(response.streaming_content)


def test_a_preview_is_never_under_a_public_url(client, preview_job, published_release, media_roots):
    """Not before publication, and not after: previews are never copied to public storage."""
    key = preview_job.output_key
    assert (media_roots["private"] / key).is_file()
    for path in (f"/media/{key}", f"/media/previews/{key}", f"/{key}", f"/staff/{key}"):
        assert client.get(path).status_code in (302, 404), path
    public_files = [p for p in media_roots["public"].rglob("*") if p.is_file()]
    assert len(public_files) == 7
    assert preview_job.output_sha256 not in {hashlib.sha256(p.read_bytes()).hexdigest() for p in public_files}
    page = client.get(published_release.get_absolute_url()).content.decode()
    assert key not in page
    assert reverse("staff-media:preview", args=[preview_job.pk]) not in page


def test_only_finished_previews_are_served(client, processed_release, uploader):
    footage = processed_release.footage.get()
    render = footage.jobs.get()
    client.force_login(uploader)
    assert client.get(reverse("staff-media:preview", args=[render.pk])).status_code == 404  # a render, not a preview
    queued = processing.request_preview(footage, actor=uploader)
    assert client.get(reverse("staff-media:preview", args=[queued.pk])).status_code == 404
    assert client.get(reverse("staff-media:preview", args=[999999])).status_code == 404


@pytest.mark.parametrize("action", sorted(workflow.TRANSITIONS))
def test_anonymous_transition_post_never_changes_status(client, processed_release, action):
    for status in (Status.IN_REVIEW, Status.PUBLISHED, Status.WITHDRAWN):
        Release.objects.filter(pk=ReleaseFactory().pk).update(status=status)
    before = dict(Release.objects.values_list("pk", "status"))
    for release in Release.objects.all():
        response = client.post(
            reverse("admin:releases_release_transition", args=[release.pk, action]), {"note": "anonymous note"}
        )
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert dict(Release.objects.values_list("pk", "status")) == before
    assert not Release.objects.filter(review_note="anonymous note").exists()
