"""factory_boy factories. Footage is never faked: it is uploaded and processed for real."""

import datetime

import factory
from django.contrib.auth.models import Group, User

from releases.models import City, Release


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@agency.example")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role="Uploader") puts the user in that role's group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    title = factory.Sequence(lambda n: f"Encounter {n}")
    slug = factory.Sequence(lambda n: f"encounter-{n}")
    city = factory.LazyFunction(lambda: City.objects.get(slug="detroit"))
    encounter_date = datetime.date(2024, 5, 17)
    summary = "Officers approached a vehicle; the driver was detained."
    created_by = factory.SubFactory(UserFactory, role="Uploader")


def plan_item(kind: str = "box", start: float = 0.2, end: float = 1.0, **overrides) -> dict:
    """One redaction in the staff API's form: a static box in the top-left quarter unless told otherwise."""
    item = {
        "kind": kind,
        "start": start,
        "end": end,
        "category": "bystander_face",
        "exemption": "b7c",
        "public_reason": "A bystander's face.",
        "keyframes": [{"t": start, "x": 0.1, "y": 0.1, "w": 0.25, "h": 0.3}] if kind == "box" else [],
        "slate_text": "",
        "note": "",
    }
    item.update(overrides)
    return item


def filing_data(**overrides) -> dict:
    """Valid data for releases.access.file_request (what the form and the API pass on)."""
    data = {
        "requester_name": "Rosa Martínez",
        "organization": "Detroit Rights Coalition",
        "email": "rosa@example.org",
        "phone": "+1 313 555 0142",
        "postal_address": "1 Example Street, Detroit, MI",
        "category": "public_interest",
        "subject": "on_behalf",
        "language": "en",
        "show_identity": False,
        "date_from": None,
        "date_to": None,
        "place": "Outside the courthouse on Griswold Street",
        "description": "Body-worn camera footage of the arrest of my client on the morning of 4 March.",
        "expedite_requested": False,
        "expedite_justification": "",
        "expedite_certified": False,
        "fee_waiver_requested": False,
        "fee_waiver_justification": "",
    }
    data.update(overrides)
    return data


def file_access_request(*, cities=None, ip="203.0.113.9", now=None, **overrides):
    """File a request through releases.access, as the form would. Returns (request, token)."""
    from releases import access
    from releases.models import City

    cities = cities if cities is not None else [City.objects.get(slug="detroit")]
    return access.file_request(filing_data(**overrides), cities=cities, ip=ip, now=now)


def published_rows(n: int = 1, *, city=None, cities=None, created_by=None, **fields) -> list[Release]:
    """Published releases as database rows only: a release, its approval and version 1, with
    no recordings. For list, search, feed and statistics tests and benchmarks that need many
    published releases; anything about files or playback uses the real pipeline
    (conftest.published_release). The manifest is a placeholder, not signed."""
    from django.utils import timezone

    from releases.models import Approval, ReleaseVersion

    created_by = created_by or UserFactory(username="rows-uploader", role="Uploader")
    all_cities = cities or [city or City.objects.get(slug="detroit")]
    now = timezone.now()
    made = []
    for i in range(n):
        release = ReleaseFactory(
            created_by=created_by, city=all_cities[i % len(all_cities)], status=Release.Status.PUBLISHED, **fields
        )
        approval = Approval.objects.create(
            release=release, approved_by=created_by, approved_at=now, note="rows", digest="0" * 64, content={}
        )
        version = ReleaseVersion.objects.create(
            release=release,
            number=1,
            title=release.title,
            summary=release.summary,
            summary_language=release.summary_language,
            category=release.category,
            search_text=f"{release.title}\n{release.summary}",
            city=release.city,
            encounter_date=release.encounter_date,
            published_at=fields.get("published_at", now),
            approval=approval,
            reason="First publication.",
            manifest="{}",
            manifest_sha256="0" * 64,
            signature="",
            key_fingerprint="0" * 64,
        )
        release.public_version = version
        release.published_at = version.published_at
        release.save(update_fields=["public_version", "published_at"])
        made.append(release)
    return made
