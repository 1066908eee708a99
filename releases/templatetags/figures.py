"""Figures as people read them: grouped numbers, percentages, and "not reported" for a missing
figure (None), which is never shown as 0."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from releases.charts import format_value

register = template.Library()


@register.filter
def figure(value):
    """1234 → "1,234"; 12.5 → "12.5"; None → "not reported" (marked up so it stands out)."""
    if value is None or value == "":  # "" is what a template makes of a missing figure's attribute
        return format_html('<span class="not-reported">{}</span>', _("not reported"))
    return format_value(value)


@register.filter
def share(value):
    """0.125 → "12.5 %"; None (nothing to divide) → "–", with the reason for screen readers."""
    if value is None:
        return format_html('<span aria-hidden="true">–</span><span class="visually-hidden">{}</span>', _("none"))
    return format_html("{}\u00a0%", format_value(round(float(value) * 100, 1)))


@register.filter
def median(value):
    """A median in days: 10.0 → "10", 10.5 → "10.5"; None (no data) → "–" with the reason."""
    if value is None:
        return format_html('<span aria-hidden="true">–</span><span class="visually-hidden">{}</span>', _("no data yet"))
    return format_value(value)
