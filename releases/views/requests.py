"""Access requests, public side: filing, and the requester's private status page. (Stub: being built.)"""

from django.http import Http404


def file_request(request):
    raise Http404


def status_page(request, token):
    raise Http404


def status_action(request, token, action):
    raise Http404
