"""The public/staff boundary: every public route hides unpublished material; staff routes need a login."""

import pytest
from django.contrib import admin
from django.urls import URLPattern, reverse

from releases import workflow
from releases.media import storage
from releases.models import City, Footage, Release, Rendition
from releases.views import public_urls
from tests.conftest import upload
from tests.factories import ReleaseFactory

Status = Release.Status

# Adding a public route means adding it here, and to the checks below.
KNOWN_PUBLIC_ROUTES = {"home", "release-list", "release-detail", "city-detail", "media"}
SECRET_TITLE = "Unpublished encounter zebra"
CONTROL_TITLE = "Published control encounter"


def test_the_public_routes_are_exactly_the_known_ones():
    assert all(isinstance(p, URLPattern) for p in public_urls.urlpatterns), "no nested includes in public URLs"
    names = [p.name for p in public_urls.urlpatterns]
    assert len(names) == len(set(names))
    assert set(names) == KNOWN_PUBLIC_ROUTES


@pytest.fixture
def control(reviewer, clip, django_capture_on_commit_callbacks, db):
    """A published release in the same city, so each page is shown to list something."""
    release = ReleaseFactory(title=CONTROL_TITLE)
    author = release.created_by
    with django_capture_on_commit_callbacks(execute=True):
        upload(release, clip, actor=author)
    workflow.submit(release, actor=author)
    workflow.publish(release, actor=reviewer)
    release.refresh_from_db()
    assert release.is_published
    return release


@pytest.fixture(params=[Status.DRAFT, Status.IN_REVIEW, Status.WITHDRAWN])
def hidden(request, processed_release, uploader, reviewer):
    """A release in a non-published state, built through the real workflow.

    A withdrawal's file deletion runs on commit, which never happens inside a test: the
    public files are still on disk, so only the boundary itself can keep them hidden.
    """
    Release.objects.filter(pk=processed_release.pk).update(title=SECRET_TITLE)
    if request.param != Status.DRAFT:
        workflow.submit(processed_release, actor=uploader)
    if request.param == Status.WITHDRAWN:
        workflow.publish(processed_release, actor=reviewer)
        workflow.withdraw(processed_release, actor=reviewer, reason="Bystander visible.")
    processed_release.refresh_from_db()
    assert processed_release.status == request.param
    return processed_release


def test_unpublished_release_page_is_404(client, hidden, control):
    release = hidden
    assert client.get(control.get_absolute_url()).status_code == 200
    assert client.get(release.get_absolute_url()).status_code == 404


LISTING_PAGES = [
    reverse("public:home"),
    reverse("public:release-list"),
    reverse("public:release-list") + "?city=detroit",
    reverse("public:city-detail", kwargs={"slug": "detroit"}),
]


def test_unpublished_release_is_absent_from_listing_pages(client, hidden, control):
    release = hidden
    for url in LISTING_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert CONTROL_TITLE in page, url
        assert SECRET_TITLE not in page, url
        assert release.slug not in page, url


def test_city_counts_only_published_releases(client, hidden, control):
    city = City.objects.get(slug="detroit")
    assert city.releases.count() == 2
    response = client.get(city.get_absolute_url())
    assert response.context["city"].published_releases == 1
    home = client.get(reverse("public:home"))
    detroit = next(c for c in home.context["cities"] if c.slug == "detroit")
    assert detroit.published_releases == 1


def test_private_keys_of_an_unpublished_release_are_never_served(client, hidden, media_roots):
    release = hidden
    footage = release.footage.get()
    keys = [footage.original_key, *Rendition.objects.filter(footage=footage).values_list("private_key", flat=True)]
    assert len(keys) == 3
    for key in keys:
        assert (media_roots["private"] / key).is_file()
        assert client.get(f"/media/{key}").status_code == 404
        assert client.get(f"/media/{key}", HTTP_RANGE="bytes=0-9").status_code == 404


def test_former_public_urls_of_a_withdrawn_release_are_404(client, published_release, reviewer, media_roots):
    former_keys = list(
        Rendition.objects.filter(footage__release=published_release).values_list("public_key", flat=True)
    )
    assert len(former_keys) == 2
    for key in former_keys:
        assert client.get(f"/media/{key}").status_code == 200
    workflow.withdraw(published_release, actor=reviewer, reason="Bystander visible.")
    for key in former_keys:
        assert (media_roots["public"] / key).is_file()  # deletion waits for a commit that never comes
        assert client.get(f"/media/{key}").status_code == 404
        assert client.get(f"/media/{key}?download=1", HTTP_RANGE="bytes=0-99").status_code == 404


def test_published_files_are_served_but_private_keys_of_the_same_release_are_not(client, published_release):
    footage = published_release.footage.get()
    for r in Rendition.objects.filter(footage=footage):
        assert client.get(f"/media/{r.public_key}").status_code == 200
        assert client.get(f"/media/{r.private_key}").status_code == 404
    assert client.get(f"/media/{footage.original_key}").status_code == 404


def test_published_status_without_a_publication_date_is_not_public(client, db):
    release = ReleaseFactory(title=SECRET_TITLE)
    Release.objects.filter(pk=release.pk).update(status=Status.PUBLISHED)  # published_at stays empty
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
    objects = {Release: release, Footage: footage, City: release.city}
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        if model in objects:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[objects[model].pk]))
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[objects[model].pk]))
    urls.append(reverse("admin:releases_release_transition", args=[release.pk, "submit"]))
    return urls


def test_every_registered_model_is_covered_by_the_staff_url_check():
    assert set(admin.site._registry) >= {Release, Footage, City}


def test_anonymous_requests_to_staff_urls_are_sent_to_login(client, processed_release):
    urls = _staff_urls(processed_release, processed_release.footage.get())
    assert len(urls) >= 14
    login = reverse("admin:login")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
        response = client.post(url, {})
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url


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
