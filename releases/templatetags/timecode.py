"""Times on a recording's timeline, as people read them (mm:ss) and as HTML <time> wants them."""

import math

from django import template

register = template.Library()


@register.filter
def timecode(seconds) -> str:
    """83.25 → "01:23.3"; an hour or more → "1:02:03.0". Tenths, because redactions
    often start and end within a second."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(value) or value < 0:
        return ""
    tenths = round(value * 10)
    minutes, tenths = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    clock = f"{minutes:02d}:{tenths // 10:02d}.{tenths % 10}"
    return f"{hours}:{clock}" if hours else clock


@register.filter
def iso_duration(seconds) -> str:
    """83.25 → "PT83.25S", a valid datetime attribute for <time> (HTML duration string)."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(value) or value < 0:
        return ""
    return f"PT{value:.3f}".rstrip("0").rstrip(".") + "S"
