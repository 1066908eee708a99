"""Seed the five phase-1 cities (cameras deployed from March 2024). Editable in the admin."""

import datetime

from django.db import migrations

PHASE_1 = [
    # name, state, slug, timezone
    ("Detroit", "MI", "detroit", "America/Detroit"),
    ("Buffalo", "NY", "buffalo", "America/New_York"),
    ("Baltimore", "MD", "baltimore", "America/New_York"),
    ("Philadelphia", "PA", "philadelphia", "America/New_York"),
    ("Washington", "DC", "washington-dc", "America/New_York"),
]


def seed(apps, schema_editor):
    City = apps.get_model("releases", "City")
    for name, state, slug, tz in PHASE_1:
        City.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "state": state,
                "phase": 1,
                "deployment_started": datetime.date(2024, 3, 1),
                "timezone": tz,
                "description": f"{name} was one of the five cities where ICE officers first wore "
                "body cameras, from March 2024.",
            },
        )


def unseed(apps, schema_editor):
    City = apps.get_model("releases", "City")
    City.objects.filter(slug__in=[row[2] for row in PHASE_1], releases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("releases", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
