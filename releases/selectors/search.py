"""Searching and filtering published releases (the release list, the public API).

Everything is read from the release's public version (the frozen ReleaseVersion), never
from the staff's working copy. Full-text search on PostgreSQL queries the expression that
migration 0009 indexed (GIN); other databases fall back to matching every word.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Case, Exists, F, Func, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from releases.models import Release, RequestRelease


@dataclass(frozen=True)
class ReleaseQuery:
    q: str = ""
    city: str = ""  # city slug
    category: str = ""  # Release.Category value
    encounter_from: date | None = None
    encounter_to: date | None = None
    published_from: date | None = None
    published_to: date | None = None
    has_redactions: bool | None = None
    answers_request: bool | None = None
    sort: str = ""  # "" = relevance when q, else newest published; or a key of SORTS


# Sort values, in the order a form offers them. "" is relevance when there is a search,
# and newest publication first when there is none.
SORTS: dict[str, str] = {
    "": _("Best match (newest first without a search)"),
    "-published": _("Newest published first"),
    "published": _("Oldest published first"),
    "-encounter": _("Most recent encounter first"),
    "encounter": _("Oldest encounter first"),
    "title": _("Title (A to Z)"),
}

_ORDERINGS = {
    "-published": ("-public_version__published_at", "-pk"),
    "published": ("public_version__published_at", "pk"),
    "-encounter": ("-public_version__encounter_date", "-public_version__published_at", "-pk"),
    "encounter": ("public_version__encounter_date", "public_version__published_at", "pk"),
    "title": ("public_version__title", "pk"),
}
_NEWEST = _ORDERINGS["-published"]


def public_release_search(query: ReleaseQuery) -> QuerySet[Release]:
    """Published releases matching `query`, each with public_version and its city loaded
    (select_related: one query for a page, whatever its length).

    Raises ValueError for a sort that is not a key of SORTS (forms validate it first)."""
    if query.sort not in SORTS:
        raise ValueError(f"Unknown sort {query.sort!r}; use one of {sorted(SORTS)}.")
    # The manifest and search text are the widest columns and no list shows them.
    releases = (
        Release.objects.published()
        .select_related("public_version__city")
        .defer("public_version__manifest", "public_version__search_text", "public_version__signature")
    )
    releases = _filter(releases, query)
    q = query.q.strip()
    if not q:
        return releases.order_by(*_ORDERINGS.get(query.sort, _NEWEST))
    if connection.vendor == "postgresql":
        return _postgresql_search(releases, q, query.sort)
    return _word_search(releases, q).order_by(*_ORDERINGS.get(query.sort, _NEWEST))


def _filter(releases: QuerySet[Release], query: ReleaseQuery) -> QuerySet[Release]:
    conditions = Q()
    if query.city:
        conditions &= Q(public_version__city__slug=query.city)
    if query.category:
        conditions &= Q(public_version__category=query.category)
    if query.encounter_from:
        conditions &= Q(public_version__encounter_date__gte=query.encounter_from)
    if query.encounter_to:
        conditions &= Q(public_version__encounter_date__lte=query.encounter_to)
    # Publication dates are the current version's (a correction is a new publication),
    # taken as days in the site's time zone.
    if query.published_from:
        conditions &= Q(public_version__published_at__date__gte=query.published_from)
    if query.published_to:
        conditions &= Q(public_version__published_at__date__lte=query.published_to)
    if query.has_redactions is not None:
        has = Q(public_version__redaction_count__gt=0)
        conditions &= has if query.has_redactions else ~has
    if query.answers_request is not None:
        # Every access request is in the public log, so any link to one is public.
        answers = Exists(RequestRelease.objects.filter(release=OuterRef("pk")))
        conditions &= Q(answers) if query.answers_request else ~Q(answers)
    return releases.filter(conditions)


# --- PostgreSQL: the indexed tsvector ---------------------------------------------------


class _ToTsvector(Func):
    """to_tsvector('<config>'::regconfig, <text>): the literal config (not a parameter) and
    no COALESCE, so the SQL is the expression of the GIN index in migration 0009."""

    function = "to_tsvector"
    template = "%(function)s('%(config)s'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()

    def __init__(self, expression, *, config: str):
        if config not in ("english", "spanish"):
            raise ValueError(config)
        super().__init__(expression, config=config)


def search_vector():
    """CASE WHEN summary_language = 'es' THEN to_tsvector('spanish', search_text)
    ELSE to_tsvector('english', search_text) END, on the public version: the indexed expression."""
    text = F("public_version__search_text")
    return Case(
        When(public_version__summary_language=Value("es"), then=_ToTsvector(text, config="spanish")),
        default=_ToTsvector(text, config="english"),
        output_field=SearchVectorField(),
    )


def _postgresql_search(releases: QuerySet[Release], q: str, sort: str) -> QuerySet[Release]:
    # websearch syntax ("quoted phrases", or, -excluded), parsed in both languages and
    # ORed, so an English or a Spanish word stems right whatever language the page is in.
    tsquery = SearchQuery(q, search_type="websearch", config="english") | SearchQuery(
        q, search_type="websearch", config="spanish"
    )
    # The first condition joins the version with an INNER JOIN (Django would LEFT JOIN for
    # the CASE alone, and PostgreSQL cannot push a condition below an outer join into the
    # versions' index scan).
    releases = (
        releases.filter(public_version__published_at__isnull=False)
        .alias(search_document=search_vector())
        .filter(search_document=tsquery)
    )
    if sort:
        return releases.order_by(*_ORDERINGS[sort])
    return releases.annotate(search_rank=SearchRank(search_vector(), tsquery)).order_by("-search_rank", *_NEWEST)


# --- other databases: every word must appear ---------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def search_words(q: str) -> list[str]:
    """The words of a search for the fallback (websearch operators are ignored)."""
    return [w for w in _WORD.findall(q) if w.lower() != "or"]


def _word_search(releases: QuerySet[Release], q: str) -> QuerySet[Release]:
    words = search_words(q)
    if not words:
        return releases.none()
    conditions = Q()
    for word in words:
        conditions &= Q(public_version__search_text__icontains=word)
    return releases.filter(conditions)
