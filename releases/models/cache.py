"""The public generation: one number that changes whenever anything the public sees changes.

Cached public pages are stored under the generation current when they were rendered
(releases.cache), so a publication, a withdrawal or a new line in the request log makes
every cached page stale at once, in every process, with no list of keys to delete.
"""

from django.db import models


class PublicGeneration(models.Model):
    """A single row (pk=1), set to a new random value in the same transaction as the
    change it announces."""

    value = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "public cache generation"

    def __str__(self) -> str:
        return f"generation {self.value}"
