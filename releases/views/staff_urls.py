"""Staff file URLs (namespace 'staff-media'), outside the admin's /staff/ catch-all."""

from django.urls import path

from releases.views import staff

urlpatterns = [
    path("previews/<int:job_id>/", staff.preview_file, name="preview"),
    path("originals/<str:public_id>/", staff.original_file, name="original"),
    path("renditions/<int:pk>/", staff.rendition_file, name="rendition"),
]
