"""The public request log. (Stub: being built.)"""

from django.contrib.syndication.views import Feed
from django.http import Http404


def request_log(request):
    raise Http404


def request_log_csv(request):
    raise Http404


def request_log_detail(request, tracking_number):
    raise Http404


class RequestLogFeed(Feed):
    title = "Access requests"
    link = "/requests/"

    def items(self):
        return []
