import hashlib

from django.core.cache import cache
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

COUNT_SECONDS = 60


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class _Cursor(CursorPagination):
    page_size = Pagination.page_size
    page_size_query_param = Pagination.page_size_query_param
    max_page_size = Pagination.max_page_size


class KeysetPagination(Pagination):
    """The same envelope (count, next, previous, results). `?page=N` still answers page N; the
    first page's `next` and every later link are cursors (`?cursor=...`): keyset pages that
    read as few rows at depth 2,000 as on the first page, and never skip or repeat a row that
    moved meanwhile. `ordering` is the view's sort order, ending with a unique field."""

    def __init__(self, ordering: tuple[str, ...]):
        self.cursor = _Cursor()
        self.cursor.ordering = ordering
        self.by_cursor = False

    def paginate_queryset(self, queryset, request, view=None):
        self.by_cursor = self.page_query_param not in request.query_params
        if not self.by_cursor:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.total = self._count(queryset, request)
        return self.cursor.paginate_queryset(queryset, request, view)

    def _count(self, queryset, request) -> int:
        """The count of the whole list: read on the first page, and for the cursor pages after
        it taken from there (for a minute) rather than read again (it scans everything the
        filter matches)."""
        filters = request.query_params.copy()
        for name in (self.cursor.cursor_query_param, self.page_size_query_param):
            filters.pop(name, None)
        key = f"api-count:{request.path}:{request.user.pk}:{filters.urlencode()}"
        key = f"api-count:{hashlib.sha256(key.encode()).hexdigest()}"
        if self.cursor.cursor_query_param in request.query_params:
            return cache.get_or_set(key, queryset.count, COUNT_SECONDS)
        total = queryset.count()
        cache.set(key, total, COUNT_SECONDS)
        return total

    def get_paginated_response(self, data):
        if not self.by_cursor:
            return super().get_paginated_response(data)
        return Response(
            {
                "count": self.total,
                "next": self.cursor.get_next_link(),
                "previous": self.cursor.get_previous_link(),
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view):
        return (
            super().get_schema_operation_parameters(view)
            + self.cursor.get_schema_operation_parameters(view)[:1]
        )
