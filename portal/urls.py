"""Top-level URLs. Public pages live at the root; staff work happens under /staff/."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Footage portal: staff"
admin.site.site_title = "Footage portal staff"
admin.site.index_title = "Releases, footage and review"

urlpatterns = [
    path("staff/", admin.site.urls),
    path("", include("releases.urls")),
]
