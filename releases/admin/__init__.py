"""Staff admin: releases, footage upload, redaction plans, jobs and exemptions.

The admin never writes Release.status itself; its buttons call releases.workflow.
Importing the modules registers their ModelAdmins.
"""

from releases.admin import audit, footage, jobs, readonly, redactions, releases, requests  # noqa: F401
from releases.admin import pilot as pilot
