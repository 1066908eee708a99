"""Labels for a public version's plain values: its category and the language of its summary."""

from django import template
from django.utils.translation import gettext_lazy as _

from releases.models import Release

register = template.Library()

# In the page's language ("Spanish" on an English page, "español" on a Spanish one).
LANGUAGE_NAMES = {"en": _("English"), "es": _("Spanish")}


@register.filter
def category_label(value) -> str:
    """ "vehicle_stop" → "Vehicle stop" (translated); an unknown value is shown as it is."""
    try:
        return Release.Category(value).label
    except ValueError:
        return value or ""


@register.filter
def language_name(code) -> str:
    return LANGUAGE_NAMES.get(code, code or "")


@register.filter
def same_language(code, page_language) -> bool:
    """True when a text in `code` needs no note on a page in `page_language` ("es-mx" ~ "es")."""
    return (code or "en").split("-")[0].lower() == (page_language or "en").split("-")[0].lower()
