"""Domain models, one module per topic."""

from releases.models.audit import AuditCheckpoint, AuditEntry
from releases.models.cache import PublicGeneration
from releases.models.cities import City
from releases.models.footage import Footage, Rendition
from releases.models.jobs import ProcessingJob
from releases.models.pilot import ApprovedPilotFigures, PilotFigures
from releases.models.redactions import Exemption, Redaction, RedactionPlan
from releases.models.releases import Approval, Release
from releases.models.requests import (
    AccessRequest,
    ClockPause,
    OutboundEmail,
    RequestEvent,
    RequestRelease,
    TrackingSequence,
)
from releases.models.versions import PublishedFile, PublishedFootage, ReleaseVersion, SigningKey

__all__ = [
    "AccessRequest",
    "Approval",
    "ApprovedPilotFigures",
    "AuditCheckpoint",
    "AuditEntry",
    "City",
    "ClockPause",
    "Exemption",
    "Footage",
    "OutboundEmail",
    "PilotFigures",
    "ProcessingJob",
    "PublicGeneration",
    "PublishedFile",
    "PublishedFootage",
    "Redaction",
    "RedactionPlan",
    "Release",
    "ReleaseVersion",
    "Rendition",
    "RequestEvent",
    "RequestRelease",
    "SigningKey",
    "TrackingSequence",
]
