"""Query parameters of the public release list, validated by a django-filter FilterSet.

The FilterSet only checks and converts the parameters (a bad one is a 400 naming it); the
query itself is releases.selectors.public_release_search, which reads published versions
only. openapi_parameters() describes the same filters for the OpenAPI schema, so the schema
and the validation cannot drift apart.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from releases import selectors
from releases.models import City, Release

TRUE_VALUES = {"true", "1"}
FALSE_VALUES = {"false", "0"}
MAX_QUERY_LENGTH = 200
# ?ordering= values (releases.selectors.SORTS without "", the default).
ORDERINGS = [key for key in selectors.SORTS if key]


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error, never silently ignored."""

    default_error_messages = {"invalid": _("Use true or false.")}

    def to_python(self, value):
        text = str(value or "").strip().lower()
        if not text:
            return None
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class ReleaseFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        for start, end in (("encounter_from", "encounter_to"), ("published_from", "published_to")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("This date is before %(start)s.") % {"start": start})
        return data


class ReleaseFilter(django_filters.FilterSet):
    """Filters of GET /api/releases/. Validation only: see release_query()."""

    q = django_filters.CharFilter(
        max_length=MAX_QUERY_LENGTH,
        label=_("Search the titles, summaries and public redaction reasons (every word must match)."),
    )
    city = django_filters.ModelChoiceFilter(
        queryset=City.objects.all(),
        to_field_name="slug",
        label=_("A city slug, e.g. detroit (see /api/cities/)."),
        error_messages={"invalid_choice": _("No city with this slug.")},
    )
    category = django_filters.ChoiceFilter(choices=Release.Category.choices, label=_("The kind of encounter."))
    encounter_from = django_filters.DateFilter(label=_("Encounters on or after this date (YYYY-MM-DD)."))
    encounter_to = django_filters.DateFilter(label=_("Encounters on or before this date (YYYY-MM-DD)."))
    published_from = django_filters.DateFilter(
        label=_("Current version published on or after this date (YYYY-MM-DD, site time zone).")
    )
    published_to = django_filters.DateFilter(
        label=_("Current version published on or before this date (YYYY-MM-DD, site time zone).")
    )
    has_redactions = StrictBooleanFilter(label=_("true: with at least one redaction; false: with none."))
    answers_request = StrictBooleanFilter(
        label=_("true: linked to at least one access request it answers; false: linked to none.")
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, selectors.SORTS[key]) for key in ORDERINGS],
        label=_(
            "Sort order. Default: best match first with q, else newest publication first. A leading - means descending."
        ),
    )

    class Meta:
        model = Release
        fields: list[str] = []
        form = ReleaseFilterForm

    def release_query(self) -> selectors.ReleaseQuery:
        """The validated parameters as the selector's query (call after is_valid())."""
        data = self.form.cleaned_data
        city = data.get("city")
        return selectors.ReleaseQuery(
            q=data.get("q") or "",
            city=city.slug if city else "",
            category=data.get("category") or "",
            encounter_from=data.get("encounter_from"),
            encounter_to=data.get("encounter_to"),
            published_from=data.get("published_from"),
            published_to=data.get("published_to"),
            has_redactions=data.get("has_redactions"),
            answers_request=data.get("answers_request"),
            sort=data.get("ordering") or "",
        )


def openapi_parameters(filterset_class: type[django_filters.FilterSet]) -> list[OpenApiParameter]:
    """The FilterSet's filters as OpenAPI query parameters (type, enum, description)."""
    parameters = []
    for name, spec in filterset_class.base_filters.items():
        kind, enum = OpenApiTypes.STR, None
        if isinstance(spec, django_filters.CharFilter) and spec.extra.get("max_length"):
            kind = {"type": "string", "maxLength": spec.extra["max_length"]}
        elif isinstance(spec, django_filters.DateFilter):
            kind = OpenApiTypes.DATE
        elif isinstance(spec, StrictBooleanFilter):
            kind = OpenApiTypes.BOOL
        elif isinstance(spec, django_filters.ChoiceFilter) and not isinstance(spec, django_filters.ModelChoiceFilter):
            enum = [value for value, _label in spec.extra["choices"]]
        parameters.append(
            OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False, enum=enum, description=str(spec.label))
        )
    return parameters
