"""Cache invalidation: a save or delete of anything the public sees bumps the public
generation (releases.cache), inside the writing transaction.

Listed by model rather than by action, so an edit through the admin, a data fix in a shell
or a new workflow step is covered without remembering to invalidate. Writes that bypass
signals (QuerySet.update) call releases.cache.bump() themselves, or happen in the same
transaction as a save listed here.

Published versions, recordings and files are not listed: releases.workflow writes them
only inside a transition, which ends by saving the release. Bumping there, as late as
possible, keeps the generation row's lock (held until commit) out of a publication's long
file copy, so filings and other public writes do not queue behind it.
"""

from django.apps import apps
from django.db.models.signals import post_delete, post_save

# Every model whose rows reach a public page, feed, API response, open-data file or the
# sitemap. Listed by label so a model added later elsewhere (pilot figures) is one line here.
PUBLIC_MODELS = (
    "releases.City",
    "releases.Release",
    "releases.SigningKey",
    "releases.Exemption",
    "releases.AccessRequest",
    "releases.RequestEvent",
    "releases.RequestRelease",
    "releases.ClockPause",
    "releases.ApprovedPilotFigures",
)


def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: fixtures load before anything is cached
        return
    from releases import cache

    cache.bump()


def connect() -> None:
    for label in PUBLIC_MODELS:
        model = apps.get_model(label)
        uid = f"releases.cache.{label}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
