"""Top-level URLs. Public pages live at the root (in Spanish under /es/); staff work happens under /staff/.

The admin owns everything under /staff/ (its catch-all answers any path there), so the
staff review pages are included before it, and the private staff files and the staff API
are mounted beside it.
"""

from django.conf.urls.i18n import i18n_patterns
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
    # Public pages carry their language in the URL (English unprefixed, Spanish under /es/;
    # releases/urls.py nests the prefix inside the 'public' namespace). LocaleMiddleware
    # looks for i18n_patterns at the root only: this empty one tells it so, and so any URL
    # without a prefix (staff pages, the API, files) is English whatever the browser asks for.
    *i18n_patterns(prefix_default_language=False),
]
