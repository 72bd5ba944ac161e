import hashlib
from collections.abc import Callable

from django.core.cache import cache
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from review import selectors

COUNT_SECONDS = 60


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class _Cursor(CursorPagination):
    page_size = Pagination.page_size
    page_size_query_param = Pagination.page_size_query_param
    max_page_size = Pagination.max_page_size


class _CursorPages(Pagination):
    """The envelope of a list paged by cursor (count, next, previous, results): `?page=N` still
    answers page N by number; without it the subclass reads a cursor page, and the count comes
    from the list's first page (cached_count)."""

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.by_cursor = self.page_query_param not in request.query_params
        if not self.by_cursor:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.total = cached_count(queryset, request, cursor=self.cursor_query_param)
        return self.cursor_page(queryset, request, view)

    def cursor_page(self, queryset, request, view) -> list:
        raise NotImplementedError

    def links(self) -> tuple[str | None, str | None]:
        """The next and previous pages' addresses."""
        raise NotImplementedError

    def get_paginated_response(self, data):
        if not self.by_cursor:
            return super().get_paginated_response(data)
        next_link, previous_link = self.links()
        return Response(
            {"count": self.total, "next": next_link, "previous": previous_link, "results": data}
        )

    def get_schema_operation_parameters(self, view):
        return (
            super().get_schema_operation_parameters(view)
            + _Cursor().get_schema_operation_parameters(view)[:1]
        )


class KeysetPagination(_CursorPages):
    """Keyset pages in the view's fixed order (DRF's CursorPagination): they read as few rows at
    depth 2,000 as on the first page, and never skip or repeat a row that moved meanwhile.
    `ordering` is the view's sort order, ending with a unique field."""

    def __init__(self, ordering: tuple[str, ...]):
        self.cursor = _Cursor()
        self.cursor.ordering = ordering
        self.by_cursor = False

    def cursor_page(self, queryset, request, view) -> list:
        return self.cursor.paginate_queryset(queryset, request, view)

    def links(self) -> tuple[str | None, str | None]:
        return self.cursor.get_next_link(), self.cursor.get_previous_link()


def cached_count(queryset, request, *, cursor: str) -> int:
    """The count of the whole list: read on the first page, and for the cursor pages after it
    taken from there (for a minute) rather than read again (it scans everything the filter
    matches)."""
    filters = request.query_params.copy()
    for name in (cursor, Pagination.page_size_query_param):
        filters.pop(name, None)
    key = f"api-count:{request.path}:{request.user.pk}:{filters.urlencode()}"
    key = f"api-count:{hashlib.sha256(key.encode()).hexdigest()}"
    if cursor in request.query_params:
        return cache.get_or_set(key, queryset.count, COUNT_SECONDS)
    total = queryset.count()
    cache.set(key, total, COUNT_SECONDS)
    return total


class SortedKeysetPagination(_CursorPages):
    """Keyset pages for a list the caller sorts (`?sort=`), on any column, nullable ones
    included (review.selectors.keyset_page). `sort_of(request)` names the sort field and
    whether it runs descending."""

    def __init__(self, sort_of: Callable[..., tuple[str, bool]]):
        self.sort_of = sort_of
        self.by_cursor = False

    def cursor_page(self, queryset, request, view) -> list:
        sort, descending = self.sort_of(request)
        self.keyset = selectors.keyset_page(
            queryset,
            sort=sort,
            descending=descending,
            cursor=request.query_params.get(self.cursor_query_param, ""),
            size=self.get_page_size(request),
        )
        return self.keyset.rows

    def _link(self, cursor: str) -> str | None:
        if not cursor:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def links(self) -> tuple[str | None, str | None]:
        return self._link(self.keyset.next_cursor), self._link(self.keyset.previous_cursor)
