"""Seed the FOIA exemptions seen on body-camera video. Agencies add their own in the admin."""

from django.db import migrations

FOIA = [
    # code, label, title, description
    ("b5", "(b)(5)", "Deliberative process",
     "Inter- or intra-agency memoranda or letters that would not be available by law to a party in "
     "litigation with the agency."),
    ("b6", "(b)(6)", "Personal privacy",
     "Information about individuals whose disclosure would be a clearly unwarranted invasion of personal "
     "privacy."),
    ("b7a", "(b)(7)(A)", "Pending enforcement proceedings",
     "Records compiled for law enforcement whose release could reasonably be expected to interfere with "
     "enforcement proceedings."),
    ("b7c", "(b)(7)(C)", "Personal privacy (law enforcement records)",
     "Records compiled for law enforcement whose release could reasonably be expected to be an unwarranted "
     "invasion of personal privacy, such as bystanders' faces and names."),
    ("b7e", "(b)(7)(E)", "Law enforcement techniques",
     "Records that would disclose techniques and procedures for law enforcement investigations whose "
     "release could reasonably be expected to risk circumvention of the law."),
    ("b7f", "(b)(7)(F)", "Danger to life or physical safety",
     "Records whose release could reasonably be expected to endanger the life or physical safety of any "
     "individual."),
]


def seed(apps, schema_editor):
    Exemption = apps.get_model("releases", "Exemption")
    for order, (code, label, title, description) in enumerate(FOIA, 1):
        Exemption.objects.get_or_create(
            code=code,
            defaults={"label": label, "title": title, "description": description, "source": "foia",
                      "sort_order": order * 10},
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("releases", "Exemption").objects.filter(code__in=[row[0] for row in FOIA]).delete()


class Migration(migrations.Migration):
    dependencies = [("releases", "0003_redaction_plans_jobs_ladder")]
    operations = [migrations.RunPython(seed, unseed)]
