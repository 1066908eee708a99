"""Searching and filtering published releases: releases.selectors.search and the release list.

Database rows only (tests.factories.published_rows): no footage is rendered here. Run also
on PostgreSQL (DATABASE_URL=postgres://...): full-text search, stemming and the index are
checked there; SQLite checks the word-matching fallback.
"""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from releases import selectors
from releases.models import City, Release, ReleaseVersion, RequestRelease
from releases.selectors.search import ReleaseQuery, public_release_search
from releases.views import public
from tests.factories import UserFactory, file_access_request, published_rows

Status = Release.Status
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="full-text search is PostgreSQL's")


def _set(release: Release, **fields) -> Release:
    """Change the public version's frozen fields (what search reads)."""
    ReleaseVersion.objects.filter(pk=release.public_version_id).update(**fields)
    return release


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def _slugs(query: ReleaseQuery) -> list[str]:
    return [r.slug for r in public_release_search(query)]


@pytest.fixture
def corpus(db):
    """Three published releases that differ in every filtered field."""
    detroit, buffalo, baltimore = (City.objects.get(slug=s) for s in ("detroit", "buffalo", "baltimore"))
    (stop,) = published_rows(1, city=detroit, slug="stop", title="Stop on Gratiot Avenue", category="vehicle_stop")
    (home,) = published_rows(1, city=buffalo, slug="home", title="Arrest at a family home", category="residence")
    (plaza,) = published_rows(
        1, city=baltimore, slug="plaza", title="Detención en la plaza", category="vehicle_stop", summary_language="es",
        summary="Los agentes detuvieron a dos personas que caminaban por la plaza.",
    )  # fmt: skip
    # search_text is what publication writes: title, summary, public redaction reasons.
    _set(stop, encounter_date=datetime.date(2024, 3, 10), published_at=_aware(datetime.date(2024, 4, 1)),
         redaction_count=2,
         search_text="Stop on Gratiot Avenue\nA driver was stopped.\nA licence plate of a bystander.")  # fmt: skip
    _set(home, encounter_date=datetime.date(2024, 6, 15), published_at=_aware(datetime.date(2024, 7, 1)),
         redaction_count=0, search_text="Arrest at a family home\nOfficers knocked on the door.")  # fmt: skip
    _set(plaza, encounter_date=datetime.date(2024, 9, 20), published_at=_aware(datetime.date(2024, 10, 5)),
         redaction_count=3,
         search_text="Detención en la plaza\nLos agentes detuvieron a dos personas que caminaban.")  # fmt: skip
    request, _token = file_access_request()
    RequestRelease.objects.create(request=request, release=stop, linked_by=UserFactory(username="records-linker"))
    return {"stop": stop, "home": home, "plaza": plaza}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (ReleaseQuery(), ["plaza", "home", "stop"]),  # newest publication first
        (ReleaseQuery(city="buffalo"), ["home"]),
        (ReleaseQuery(city="philadelphia"), []),
        (ReleaseQuery(category="vehicle_stop"), ["plaza", "stop"]),
        (ReleaseQuery(category="protest"), []),
        (ReleaseQuery(encounter_from=datetime.date(2024, 6, 15)), ["plaza", "home"]),
        (ReleaseQuery(encounter_to=datetime.date(2024, 6, 14)), ["stop"]),
        (ReleaseQuery(published_from=datetime.date(2024, 7, 1)), ["plaza", "home"]),
        (ReleaseQuery(published_to=datetime.date(2024, 7, 1)), ["home", "stop"]),
        (ReleaseQuery(has_redactions=True), ["plaza", "stop"]),
        (ReleaseQuery(has_redactions=False), ["home"]),
        (ReleaseQuery(answers_request=True), ["stop"]),
        (ReleaseQuery(answers_request=False), ["plaza", "home"]),
    ],
)
def test_each_filter_alone_selects_exactly_the_matching_releases(corpus, query, expected):
    assert _slugs(query) == expected


def test_filters_combine_as_and(corpus):
    query = ReleaseQuery(category="vehicle_stop", has_redactions=True, encounter_from=datetime.date(2024, 1, 1))
    assert _slugs(query) == ["plaza", "stop"]
    assert _slugs(ReleaseQuery(category="vehicle_stop", answers_request=False, city="baltimore")) == ["plaza"]
    assert _slugs(ReleaseQuery(category="vehicle_stop", city="buffalo")) == []
    assert _slugs(ReleaseQuery(q="arrest", city="detroit")) == []
    assert _slugs(ReleaseQuery(q="arrest", city="buffalo", has_redactions=False)) == ["home"]
    spring = {"published_from": datetime.date(2024, 3, 1), "published_to": datetime.date(2024, 7, 1)}
    assert _slugs(ReleaseQuery(**spring, answers_request=False)) == ["home"]
    assert _slugs(ReleaseQuery(**spring, q="plate")) == ["stop"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Gratiot", ["stop"]),  # title
        ("knocked door", ["home"]),  # summary, every word
        ("licence plate", ["stop"]),  # a redaction's public reason
        ("PLAZA", ["plaza"]),  # any case
        ("knocked plate", []),  # words from two releases: no single release has both
        ("zebra", []),
    ],
)
def test_search_hits_title_summary_and_redaction_reasons_and_misses_otherwise(corpus, q, expected):
    assert _slugs(ReleaseQuery(q=q)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["plaza", "home", "stop"]),
        ("-published", ["plaza", "home", "stop"]),
        ("published", ["stop", "home", "plaza"]),
        ("encounter", ["stop", "home", "plaza"]),
        ("-encounter", ["plaza", "home", "stop"]),
        ("title", ["home", "plaza", "stop"]),
    ],
)
def test_every_sort_orders_the_results(corpus, sort, expected):
    assert _slugs(ReleaseQuery(sort=sort)) == expected


def test_an_unknown_sort_is_refused(db):
    with pytest.raises(ValueError, match="Unknown sort"):
        public_release_search(ReleaseQuery(sort="popularity"))


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED, Status.WITHDRAWN]
)
def test_an_unpublished_or_withdrawn_release_never_appears_in_results(client, corpus, status):
    """Its version row exists and matches every filter (as a withdrawn release's does):
    only Release.objects.published() keeps it out."""
    (hidden,) = published_rows(1, slug="hidden", title="Hidden zebra stop", category="vehicle_stop")
    _set(hidden, search_text="Hidden zebra stop Gratiot", redaction_count=1)
    withdrawn = status == Status.WITHDRAWN
    Release.objects.filter(pk=hidden.pk).update(
        status=status, public_version=None, withdrawn_at=timezone.now() if withdrawn else None
    )
    for query in (ReleaseQuery(), ReleaseQuery(q="zebra"), ReleaseQuery(q="Gratiot"), ReleaseQuery(has_redactions=True),
                  ReleaseQuery(category="vehicle_stop", city="detroit", sort="title")):  # fmt: skip
        assert "hidden" not in _slugs(query)
    page = client.get(reverse("public:release-list"), {"q": "zebra"}).content.decode()
    assert "Hidden zebra stop" not in page
    assert "0 releases" in page
    assert "No published releases match." in page


def test_a_release_being_corrected_is_found_by_its_public_version_not_its_working_copy(corpus):
    stop = corpus["stop"]
    Release.objects.filter(pk=stop.pk).update(status=Status.IN_REVIEW, title="Working copy walrus", category="protest")
    assert _slugs(ReleaseQuery(q="Gratiot")) == ["stop"]
    assert _slugs(ReleaseQuery(q="walrus")) == []
    assert _slugs(ReleaseQuery(category="protest")) == []


# --- the list page ------------------------------------------------------------------------


def test_the_list_page_filters_from_the_query_string_and_shows_the_count(client, corpus):
    url = reverse("public:release-list")
    response = client.get(url, {"q": "licence plate", "category": "vehicle_stop", "has_redactions": "yes"})
    assert response.status_code == 200
    page = response.content.decode()
    assert [v.release.slug for v in response.context["page"].object_list] == ["stop"]
    assert "1 release" in page
    assert "Stop on Gratiot Avenue" in page
    assert "Arrest at a family home" not in page
    # The form shows the filters in force, labelled.
    assert 'value="licence plate"' in page
    assert '<option value="vehicle_stop" selected>' in page
    assert '<option value="yes" selected>' in page
    assert '<label for="q">Search</label>' in page
    assert '<label for="encounter_from">Encounter on or after</label>' in page

    response = client.get(url, {"answers_request": "no", "encounter_to": "2024-12-31", "sort": "title"})
    assert [v.release.slug for v in response.context["page"].object_list] == ["home", "plaza"]

    response = client.get(url, {"q": "zebra"})
    assert response.context["page"].paginator.count == 0
    assert "No published releases match." in response.content.decode()


def test_cards_show_the_public_facts_and_the_summary_language(client, corpus):
    page = client.get(reverse("public:release-list")).content.decode()
    assert "Vehicle stop" in page
    assert "Arrest at a residence" in page
    assert "2 redactions" in page
    assert "0 redactions" in page
    assert "3 redactions" in page
    assert '<time datetime="2024-10-05' in page  # published
    assert '<time datetime="2024-09-20">' in page  # encounter
    assert "Baltimore, MD" in page
    # Only the Spanish summary says its language on an English page, and is marked up so.
    assert page.count("Summary written in Spanish") == 1
    assert '<p lang="es">Los agentes detuvieron' in page
    assert "Summary written in English" not in page


def test_the_list_page_has_a_single_h1_and_a_labelled_search_form(client, corpus):
    page = client.get(reverse("public:release-list")).content.decode()
    assert page.count("<h1") == 1
    assert 'role="search"' in page
    for name in ("q", "city", "category", "encounter_from", "encounter_to", "published_from", "published_to",
                 "has_redactions", "answers_request", "sort"):  # fmt: skip
        assert f'<label for="{name}">' in page, name
        assert f'id="{name}"' in page, name


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"encounter_from": "2024-13-45"}, "“2024-13-45” is not a date. Enter one as year-month-day"),
        ({"published_to": "yesterday"}, "“yesterday” is not a date."),
        (
            {"encounter_from": "2024-06-01", "encounter_to": "2024-01-01"},
            "The first encounter date is after the last one.",
        ),
        (
            {"published_from": "2025-01-01", "published_to": "2024-01-01"},
            "The first publication date is after the last one.",
        ),
        ({"city": "atlantis"}, "There is no city “atlantis”"),
        ({"category": "alien_abduction"}, "Select a valid choice"),
        ({"has_redactions": "maybe"}, "Select a valid choice"),
        ({"sort": "popularity"}, "Select a valid choice"),
        ({"q": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_filter_input_gives_a_page_with_a_clear_error_not_a_500(client, corpus, params, message):
    response = client.get(reverse("public:release-list"), params)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'role="alert"' in page
    assert 'aria-invalid="true"' in page
    assert response.context["page"].paginator.count == 0
    assert "Stop on Gratiot Avenue" not in page
    # What was typed stays in the form, and the error is tied to its field.
    field = next(iter(params)) if len(params) == 1 else list(params)[-1]
    assert f'href="#{field}"' in page
    assert f'id="{field}_error"' in page


def test_pagination_keeps_every_filter_and_shows_twenty_a_page(client, db):
    rows = published_rows(public.PAGE_SIZE + 3, title="Gratiot stop", category="vehicle_stop")
    url = reverse("public:release-list")
    params = {"q": "Gratiot", "category": "vehicle_stop", "city": "", "sort": "-encounter"}
    first = client.get(url, params)
    page = first.content.decode()
    assert len(first.context["page"].object_list) == public.PAGE_SIZE
    assert f"{len(rows)} releases" in page
    assert 'rel="next" href="?q=Gratiot&amp;category=vehicle_stop&amp;sort=-encounter&amp;page=2"' in page
    second = client.get(url, {**params, "page": 2})
    assert len(second.context["page"].object_list) == 3
    assert (
        'rel="prev" href="?q=Gratiot&amp;category=vehicle_stop&amp;sort=-encounter&amp;page=1"'
        in second.content.decode()
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {
            "q": "Listed walrus",
            "category": "residence",
            "has_redactions": "no",
            "answers_request": "no",
            "sort": "title",
        },
    ],
)
def test_the_list_page_query_count_does_not_grow_with_rows(client, db, django_assert_max_num_queries, params):
    url = reverse("public:release-list")
    published_rows(3, title="Listed walrus", category="residence", cities=list(City.objects.all()))
    with django_assert_max_num_queries(4) as few:
        assert client.get(url, params).status_code == 200
    published_rows(27, title="Listed walrus", category="residence", cities=list(City.objects.all()))
    with django_assert_max_num_queries(4) as many:
        response = client.get(url, params)
    assert len(response.context["page"].object_list) == public.PAGE_SIZE
    assert len(many.captured_queries) == len(few.captured_queries)


def test_search_is_exported_by_the_selectors_package():
    assert selectors.public_release_search is public_release_search
    assert selectors.ReleaseQuery is ReleaseQuery
    assert set(selectors.SORTS) == {"", "published", "-published", "encounter", "-encounter", "title"}


# --- PostgreSQL: full-text search -------------------------------------------------------


@on_postgresql
def test_spanish_summaries_are_stemmed_in_spanish(corpus):
    # "detuvieron" (they detained) and "caminaban" (they walked) share stems only in Spanish.
    assert _slugs(ReleaseQuery(q="detener")) == []  # different stem, and nothing else matches
    assert _slugs(ReleaseQuery(q="caminar")) == ["plaza"]
    assert _slugs(ReleaseQuery(q="camina")) == ["plaza"]
    assert _slugs(ReleaseQuery(q="personas agentes")) == ["plaza"]
    assert _slugs(ReleaseQuery(q="persona agente")) == ["plaza"]  # singular finds plural
    # English text is stemmed in English: "knocking" finds "knocked", "stopping" finds "stopped".
    assert _slugs(ReleaseQuery(q="knocking")) == ["home"]
    assert _slugs(ReleaseQuery(q="stopping drivers")) == ["stop"]


@on_postgresql
def test_websearch_syntax_phrases_or_and_exclusion(corpus):
    assert _slugs(ReleaseQuery(q='"licence plate"')) == ["stop"]
    assert _slugs(ReleaseQuery(q='"plate licence"')) == []
    assert sorted(_slugs(ReleaseQuery(q="Gratiot or door"))) == ["home", "stop"]
    assert _slugs(ReleaseQuery(q="arrest -door")) == []
    assert _slugs(ReleaseQuery(q="arrest -gratiot")) == ["home"]


@on_postgresql
def test_relevance_ranks_the_better_match_first_and_a_sort_overrides_it(db):
    (once,) = published_rows(1, slug="once", title="Courthouse arrest")
    (often,) = published_rows(1, slug="often", title="Courthouse courthouse")
    _set(once, search_text="Courthouse arrest. Officers waited.", published_at=_aware(datetime.date(2024, 5, 2)))
    _set(often, search_text="Courthouse courthouse, at the courthouse.", published_at=_aware(datetime.date(2024, 5, 1)))
    assert _slugs(ReleaseQuery(q="courthouse")) == ["often", "once"]
    assert _slugs(ReleaseQuery(q="courthouse", sort="-published")) == ["once", "often"]


@on_postgresql
def test_the_search_uses_the_gin_index_of_migration_0009(corpus):
    sql, params = public_release_search(ReleaseQuery(q="plaza")).query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows: make every other way to read the versions cost more, so the
        # planner shows whether the GIN index can serve the condition at all.
        for setting in ("enable_seqscan", "enable_indexscan", "enable_nestloop"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "releases_version_search" in plan, plan


@pytest.mark.skipif("connection.vendor == 'postgresql'", reason="the fallback is for other databases")
def test_the_fallback_matches_every_word_and_ignores_operators(corpus):
    assert _slugs(ReleaseQuery(q='"licence plate"')) == ["stop"]
    assert _slugs(ReleaseQuery(q="plate -licence")) == ["stop"]  # no exclusion without full-text search
    assert _slugs(ReleaseQuery(q="!!!")) == []
