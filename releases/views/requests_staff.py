"""Records officers' access-request pages. (Stub: being built.)"""

from django.http import Http404


def queue(request):
    raise Http404


def detail(request, pk):
    raise Http404


def act(request, pk, action):
    raise Http404
