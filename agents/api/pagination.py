"""Keyset pagination with object-id cursors, as the reference pages every list.

`after`/`before` are relative to the requested order (the SDK's auto-pager sends `after=<last item id>` whatever
the order), so in `desc` order `after` means older. Keyset rather than offset: a page costs the same at any depth
and stays stable while new rows arrive.
"""

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound


def _beyond(fields: tuple[str, ...], values: tuple, greater: bool) -> Q:
    """Rows strictly beyond `values` in the lexicographic order of `fields` (greater or smaller)."""
    op = "gt" if greater else "lt"
    condition = Q()
    for index, name in enumerate(fields):
        step = Q(**{f"{name}__{op}": values[index]})
        for earlier, value in zip(fields[:index], values[:index]):
            step &= Q(**{earlier: value})
        condition |= step
    return condition


def keyset_page(
    queryset: QuerySet, *, fields: tuple[str, ...], after: tuple | None, before: tuple | None, order: str, limit: int
) -> list:
    """One page of `queryset` in `order`, strictly between the cursor rows' keys (given as value tuples).

    With only `before`, the page is the `limit` rows nearest to it, still returned in `order`.
    """
    ascending = order == "asc"
    if after is not None:
        queryset = queryset.filter(_beyond(fields, after, greater=ascending))
    if before is not None:
        queryset = queryset.filter(_beyond(fields, before, greater=not ascending))
    forward = [name if ascending else f"-{name}" for name in fields]
    if before is not None and after is None:
        backward = [name[1:] if name.startswith("-") else f"-{name}" for name in forward]
        rows = list(queryset.order_by(*backward)[:limit])
        rows.reverse()
        return rows
    return list(queryset.order_by(*forward)[:limit])


def cursor_values(queryset: QuerySet, cursor_id: str | None, fields: tuple[str, ...], what: str) -> tuple | None:
    """The key values of the cursor row, looked up inside the caller's (organization-scoped) queryset."""
    if not cursor_id:
        return None
    values = queryset.filter(id=cursor_id).values_list(*fields).first()
    if values is None:
        raise NotFound(f"{what} {cursor_id} not found (used as a pagination cursor).")
    return values


def cursor_page(
    queryset: QuerySet,
    query: dict,
    *,
    what: str,
    fields: tuple[str, ...] = ("created_at", "id"),
    default_limit: int = 50,
    prefetch: tuple[str, ...] = (),
) -> list:
    """The page a list request asks for: `query` is its validated `after`/`before` (object ids), `order` and
    `limit`. Every list pages this way, since the SDK's auto-pager asks again with `after=<last id>` until a page
    comes back empty; an unknown cursor id is a 404 naming it."""
    rows = queryset.prefetch_related(*prefetch) if prefetch else queryset
    return keyset_page(
        rows,
        fields=fields,
        after=cursor_values(queryset, query.get("after"), fields, what),
        before=cursor_values(queryset, query.get("before"), fields, what),
        order=query["order"],
        limit=query.get("limit") or default_limit,
    )


def page_window(
    queryset: QuerySet,
    *,
    fields: tuple[str, ...],
    after: str | None,
    before: str | None,
    order: str,
    size: int,
    what: str,
) -> dict:
    """A page of `size` rows for a screen with Previous/Next links: the rows, and the ids to page on, `previous`
    (towards the start of the order) and `next`, None where nothing lies beyond. One row more than shown is read
    to know whether another page follows, so nothing is counted. An unknown cursor id is NotFound naming it."""
    after_key = cursor_values(queryset, after, fields, what)
    before_key = None if after_key else cursor_values(queryset, before, fields, what)
    rows = keyset_page(queryset, fields=fields, after=after_key, before=before_key, order=order, limit=size + 1)
    more = len(rows) > size
    if before_key:  # the rows nearest the cursor, in order: the extra one read is the first
        rows = rows[1:] if more else rows
        has_previous, has_next = more, True
    else:
        rows = rows[:size]
        has_previous, has_next = after_key is not None, more
    return {
        "rows": rows,
        "previous": rows[0].id if rows and has_previous else None,
        "next": rows[-1].id if rows and has_next else None,
    }


def value_page(values: list[str], *, after: str | None, before: str | None, order: str, limit: int) -> list[str]:
    """One page of distinct, sorted strings (e.g. tag names) whose cursors are the values themselves.

    A cursor need not be in the list: `after="m"` means every value past "m" in `order`.
    """
    ascending = order == "asc"
    ordered = sorted(values, reverse=not ascending)
    if after is not None:
        ordered = [v for v in ordered if (v > after if ascending else v < after)]
    if before is not None:
        ordered = [v for v in ordered if (v < before if ascending else v > before)]
        if after is None:
            return ordered[-limit:]
    return ordered[:limit]
