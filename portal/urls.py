"""Top-level URLs. Public pages live at the root; staff work happens under /staff/.

The admin owns everything under /staff/ (its catch-all answers any path there), so the
staff review pages are included before it, and the private staff files and the staff API
are mounted beside it.
"""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Footage portal: staff"
admin.site.site_title = "Footage portal staff"
admin.site.index_title = "Releases, footage and review"

urlpatterns = [
    path("staff/review/", include(("releases.views.review_urls", "review"), namespace="review")),
    path(
        "staff/requests/",
        include(("releases.views.requests_staff_urls", "staff-requests"), namespace="staff-requests"),
    ),
    path("staff/", admin.site.urls),
    path("staff-media/", include(("releases.views.staff_urls", "staff-media"), namespace="staff-media")),
    path("api/", include("releases.api.urls")),
    path("", include("releases.urls")),
]
