"""What the access-request modules share: the error, the requester as an actor, the
capability check, and the writers of history lines, audit entries and e-mails."""

from django.db import transaction

from releases import audit, outbox, permissions
from releases.access import clock
from releases.models import AccessRequest, RequestEvent

HANDLE = "releases.handle_accessrequest"
REQUESTER = "requester"  # capability of whoever holds the private status token


class AccessError(Exception):
    """An action was refused; the message says why, for the person who tried it."""


class Requester:
    """The actor behind a REQUESTER action: whoever opened the status page with its token."""

    pk = None
    is_authenticated = False

    def __str__(self) -> str:
        return "the requester"


REQUESTER_ACTOR = Requester()


def can_handle(user) -> bool:
    return user is not None and permissions.can_handle_access_requests(user)


def require(text: str, message: str) -> None:
    if not (text or "").strip():
        raise AccessError(message)


class handling:
    """`with handling(req, actor) as locked:` a staff action inside a transaction, on the
    row locked, after checking the actor may handle requests."""

    def __init__(self, req, actor):
        if not can_handle(actor):
            raise AccessError("You do not have permission to handle access requests.")
        self.req = req
        self.atomic = transaction.atomic()

    def __enter__(self) -> AccessRequest:
        self.atomic.__enter__()
        return AccessRequest.objects.select_for_update().get(pk=self.req.pk)

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


def add_event(req, kind, *, actor, body="", from_status="", to_status="", visible=False) -> RequestEvent:
    return RequestEvent.objects.create(
        request=req,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        body=body,
        from_status=from_status,
        to_status=to_status,
        visible_to_requester=visible,
    )


def record_audit(req, action, actor, summary, reason) -> None:
    audit.record(
        f"request.{action}",
        req,
        actor=actor if getattr(actor, "pk", None) else None,
        summary={"tracking_number": req.tracking_number, **summary},
        reason=reason,
    )


def email_requester(req: AccessRequest, kind: str, **context) -> None:
    outbox.queue(
        kind,
        to=req.email,
        template=f"releases/email/{kind}.txt",
        context={"req": req, "clock": clock.state(req), **context},
        request=req,
        language=req.language,
    )
