"""URL prefixes: public pages (namespace 'public')."""

from django.urls import include, path

urlpatterns = [
    path("", include(("releases.views.public_urls", "public"), namespace="public")),
]
