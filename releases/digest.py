"""The records officers' daily digest: access requests due soon and overdue."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from releases import deadlines, outbox
from releases.access import clock
from releases.models import AccessRequest


def due_soon_and_overdue(on=None) -> tuple[list[AccessRequest], list[AccessRequest]]:
    """Pending requests due within ACCESS_DUE_SOON_WORKING_DAYS working days, and overdue ones
    (including expedite decisions past their 10 calendar days)."""
    day = on or clock.today()
    horizon = deadlines.add_working_days(day, settings.ACCESS_DUE_SOON_WORKING_DAYS)
    pending = AccessRequest.objects.pending().select_related("assigned_to").order_by("due_on", "received_at")
    overdue = list(pending.filter(Q(due_on__lt=day) | Q(expedite_decision="pending", expedite_due_on__lt=day)))
    soon = list(pending.filter(due_on__gte=day, due_on__lte=horizon).exclude(pk__in=[r.pk for r in overdue]))
    return soon, overdue


def recipients() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(
            Q(groups__permissions__codename="handle_accessrequest")
            | Q(user_permissions__codename="handle_accessrequest"),
            is_active=True,
            is_staff=True,
        )
        .exclude(email="")
    )
    emails = sorted(set(users.values_list("email", flat=True)))
    if not emails and settings.RECORDS_OFFICE_EMAIL:
        emails = [settings.RECORDS_OFFICE_EMAIL]
    return emails


def send(on=None) -> int:
    """Queue one digest per records officer; nothing when nothing is due. Returns how many."""
    day = on or clock.today()
    soon, overdue = due_soon_and_overdue(day)
    if not soon and not overdue:
        return 0
    context = {
        "today": day,
        "soon": [(r, clock.state(r, on=day)) for r in soon],
        "overdue": [(r, clock.state(r, on=day)) for r in overdue],
        "horizon_days": settings.ACCESS_DUE_SOON_WORKING_DAYS,
    }
    to = recipients()
    for address in to:
        outbox.queue("digest", to=address, template="releases/email/digest.txt", context=context)
    return len(to)
