"""Pagination over lists that can be very long (a street's year of closed requests: 100,000 rows)."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class BoundedPaginator(Paginator):
    """A Paginator that counts at most `max_count` rows: past that the total is shown as "N+" and the
    pages stop there. Counting a street's whole history on every page cost more than reading the page;
    nobody pages 100 pages deep (the filters narrow a search)."""

    def __init__(self, object_list, per_page, *, max_count: int, **kwargs):
        self.max_count = max_count
        super().__init__(object_list, per_page, **kwargs)

    @cached_property
    def counted(self) -> int:
        """Rows counted, at most max_count + 1 (a COUNT over a LIMITed subquery). The subquery is not
        ordered: Django keeps the ORDER BY of a sliced queryset, and on PostgreSQL it made a community's
        closed requests be counted by walking the whole district's created_at index (234 ms against 17)."""
        rows = self.object_list
        if hasattr(rows, "order_by"):
            rows = rows.order_by()
        return rows[: self.max_count + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.max_count)

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted."""
        return self.counted > self.max_count
