"""Pagination of the public API's lists.

Page numbers for releases, cities and the request log: people filter and sort them, want
the total (`count`) and jump to a page. A cursor for the audit log: it only grows at the
top and is archived by walking it to the end, and a cursor page never shifts when new
entries arrive (a page number would repeat or skip entries between two requests).
"""

from rest_framework.pagination import CursorPagination, PageNumberPagination

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
AUDIT_PAGE_SIZE = 50
AUDIT_MAX_PAGE_SIZE = 200


class PublicPagination(PageNumberPagination):
    """`?page=N`, `?page_size=N` (at most 100; 25 by default)."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class AuditCursorPagination(CursorPagination):
    """Newest first; `next` and `previous` are opaque cursor links. `?page_size=N` (at most 200)."""

    ordering = "-id"
    page_size = AUDIT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = AUDIT_MAX_PAGE_SIZE
