"""English wording the public sees that is stored as data, marked here so it can be translated.

Templates show these with `{% translate value %}`: a text with a translation appears in the
page's language, any other (an exemption or a city description edited in the admin, an
agency-defined exemption) as it was written. Nothing here changes what is stored.

* Redaction kinds and categories: the labels of releases.models.Redaction's choices. They
  stay plain strings in the model because the public redaction log that carries them is
  also frozen into signed manifests as JSON, in English.
* The FOIA exemptions seeded by migration 0004: the legal citation, e.g. "(b)(7)(C)", is
  never translated; the title and description are.
* The phase-1 cities' descriptions seeded by migration 0002.

tests/releases/test_i18n.py checks these against the model and the seeds, so a changed
label cannot silently lose its translation.
"""

from django.utils.translation import gettext_noop

REDACTION_KINDS = {
    "box": gettext_noop("Box (static or moving)"),
    "blackout": gettext_noop("Full-frame blackout"),
    "mute": gettext_noop("Audio mute"),
    "bleep": gettext_noop("Audio bleep"),
}

REDACTION_CATEGORIES = {
    "bystander_face": gettext_noop("Bystander's face"),
    "minor": gettext_noop("Minor"),
    "licence_plate": gettext_noop("Licence plate"),
    "screen_document": gettext_noop("Screen or document"),
    "spoken_pii": gettext_noop("Spoken name, address or phone number"),
    "officer_safety": gettext_noop("Officer safety"),
    "other": gettext_noop("Other"),
}

# code: (title, description), as seeded.
EXEMPTIONS = {
    "b5": (
        gettext_noop("Deliberative process"),
        gettext_noop(
            "Inter- or intra-agency memoranda or letters that would not be available by law to a party in "
            "litigation with the agency."
        ),
    ),
    "b6": (
        gettext_noop("Personal privacy"),
        gettext_noop(
            "Information about individuals whose disclosure would be a clearly unwarranted invasion of personal "
            "privacy."
        ),
    ),
    "b7a": (
        gettext_noop("Pending enforcement proceedings"),
        gettext_noop(
            "Records compiled for law enforcement whose release could reasonably be expected to interfere with "
            "enforcement proceedings."
        ),
    ),
    "b7c": (
        gettext_noop("Personal privacy (law enforcement records)"),
        gettext_noop(
            "Records compiled for law enforcement whose release could reasonably be expected to be an unwarranted "
            "invasion of personal privacy, such as bystanders' faces and names."
        ),
    ),
    "b7e": (
        gettext_noop("Law enforcement techniques"),
        gettext_noop(
            "Records that would disclose techniques and procedures for law enforcement investigations whose "
            "release could reasonably be expected to risk circumvention of the law."
        ),
    ),
    "b7f": (
        gettext_noop("Danger to life or physical safety"),
        gettext_noop(
            "Records whose release could reasonably be expected to endanger the life or physical safety of any "
            "individual."
        ),
    ),
}

CITY_DESCRIPTIONS = {
    "detroit": gettext_noop(
        "Detroit was one of the five cities where ICE officers first wore body cameras, from March 2024."
    ),
    "buffalo": gettext_noop(
        "Buffalo was one of the five cities where ICE officers first wore body cameras, from March 2024."
    ),
    "baltimore": gettext_noop(
        "Baltimore was one of the five cities where ICE officers first wore body cameras, from March 2024."
    ),
    "philadelphia": gettext_noop(
        "Philadelphia was one of the five cities where ICE officers first wore body cameras, from March 2024."
    ),
    "washington-dc": gettext_noop(
        "Washington was one of the five cities where ICE officers first wore body cameras, from March 2024."
    ),
}
