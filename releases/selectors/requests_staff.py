"""Staff-only reads about access requests (never public): the FOIA "rule of 3".

5 U.S.C. 552(a)(2)(D): records released under FOIA that have been requested three or more
times must be made available proactively. Here a "request" is an access request that
links the release (RequestRelease), whatever that request's status.
"""

from django.db.models import Count, QuerySet

from releases.models import Release, RequestRelease

RULE_OF_THREE = 3


def releases_requested_often(min_requests: int = RULE_OF_THREE) -> QuerySet[Release]:
    """Releases linked from at least `min_requests` distinct access requests that the public
    cannot see yet (not published) and that were not withdrawn, most requested first.
    Each carries `times_requested`."""
    return (
        Release.objects.exclude(pk__in=Release.objects.published().values("pk"))
        .exclude(status=Release.Status.WITHDRAWN)
        .annotate(times_requested=Count("request_links__request", distinct=True))
        .filter(times_requested__gte=min_requests)
        .select_related("city")
        .order_by("-times_requested", "id")
    )


def times_requested(release: Release) -> int:
    """How many distinct access requests link this release."""
    return RequestRelease.objects.filter(release=release).values("request").distinct().count()
