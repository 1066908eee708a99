"""The portal's URLs plus /bench/trivial/, the baseline bench/web.py compares pages with."""

from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def trivial(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial/", trivial), *portal_urlpatterns]
