"""Cities in the body-worn camera program: data, not code (new phases add rows)."""

from django.db import models
from django.urls import reverse


class City(models.Model):
    name = models.CharField(max_length=100)
    state = models.CharField(max_length=2, help_text="Two-letter postal code, e.g. MI or DC.")
    slug = models.SlugField(unique=True)
    phase = models.PositiveSmallIntegerField(default=1, help_text="Deployment phase of the program.")
    deployment_started = models.DateField(help_text="When cameras were first deployed here.")
    timezone = models.CharField(max_length=64, default="America/New_York")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["phase", "name"]
        verbose_name_plural = "cities"

    def __str__(self) -> str:
        return f"{self.name}, {self.state}"

    def get_absolute_url(self) -> str:
        return reverse("public:city-detail", kwargs={"slug": self.slug})
