"""Domain models, one module per topic."""

from releases.models.audit import AuditEntry
from releases.models.cities import City
from releases.models.footage import Footage, Rendition
from releases.models.jobs import ProcessingJob
from releases.models.redactions import Exemption, Redaction, RedactionPlan
from releases.models.releases import Release

__all__ = [
    "AuditEntry",
    "City",
    "Exemption",
    "Footage",
    "ProcessingJob",
    "Redaction",
    "RedactionPlan",
    "Release",
    "Rendition",
]
