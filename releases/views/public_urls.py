"""Public URLs. Every view here reads through releases.selectors.public_*."""

from django.urls import path

from releases.views import public

urlpatterns = [
    path("", public.home, name="home"),
    path("releases/", public.release_list, name="release-list"),
    path("releases/<slug:slug>/", public.release_detail, name="release-detail"),
    path("cities/<slug:slug>/", public.city_detail, name="city-detail"),
    path("media/<path:name>", public.media_file, name="media"),
]
