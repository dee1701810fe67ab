"""Pagination of every API list, and the opt-in cursor of the ticket lists."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

# The largest id a cursor may name: PostgreSQL's bigint.
MAX_ID = 2**63 - 1


def cursor_token(created_at: datetime, pk: int, *, reverse: bool = False) -> str:
    """The ``cursor`` value that continues after (before, with ``reverse``) this row."""
    data = {"r": reverse, "t": created_at.isoformat(), "id": pk}
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 100) with count, next and previous links."""

    page_size_query_param = "page_size"
    max_page_size = 100


class TicketPagination(PageNumberPagination):
    """Pages by number by default; ``?cursor=`` (empty to start) walks the list by keyset.

    The cursor names the last row seen by its ``(created_at, id)``, newest first, so a
    page costs the same at any depth (an index range scan, no ``OFFSET``), rows created
    meanwhile never shift the pages, and no ``COUNT(*)`` runs. It takes ``page_size``
    and the filters but not ``ordering`` or ``page``: the order is the cursor's own.
    """

    cursor_query_param = "cursor"
    cursor_description = _(
        "Opt-in keyset pagination for integrations: send it empty to start, then follow "
        "`next`. Newest first, stable while tickets are created, no `count`. "
        "Cannot be combined with `page` or `ordering`."
    )

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list | None:
        self.cursor_mode = self.cursor_query_param in request.query_params
        if not self.cursor_mode:
            return super().paginate_queryset(queryset, request, view)
        for refused in (self.page_query_param, "ordering"):
            if refused in request.query_params:
                raise ValidationError(
                    {refused: [_("This parameter cannot be combined with cursor.")]}
                )
        self.request = request
        self.page_size = self.get_page_size(request)
        position = self.decode_cursor(request.query_params[self.cursor_query_param])
        if position is None:
            self.reverse, after = False, None
        else:
            self.reverse, after = position[0], position[1:]
        if after is not None:
            created_at, pk = after
            if self.reverse:
                # Rows newer than the cursor, nearest first; shown newest first below.
                queryset = queryset.filter(created_at__gte=created_at).filter(
                    Q(created_at__gt=created_at) | Q(pk__gt=pk)
                )
            else:
                # The first condition is an index range; the second breaks ties.
                queryset = queryset.filter(created_at__lte=created_at).filter(
                    Q(created_at__lt=created_at) | Q(pk__lt=pk)
                )
        ordering = ("created_at", "pk") if self.reverse else ("-created_at", "-pk")
        rows = list(queryset.order_by(*ordering)[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if self.reverse:
            rows.reverse()
        # Forwards, a next page exists when a row was left over and a previous one when we
        # came from somewhere; backwards, the other way round.
        self.next_row = rows[-1] if rows and (more if not self.reverse else True) else None
        if self.reverse:
            self.previous_row = rows[0] if rows and more else None
        else:
            self.previous_row = rows[0] if rows and after is not None else None
        return rows

    def decode_cursor(self, value: str) -> tuple[bool, datetime, int] | None:
        """``(reverse, created_at, id)`` from a cursor, None for an empty one (the start)."""
        if not value:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(value.encode("ascii")))
            reverse, created_at, pk = data["r"], datetime.fromisoformat(data["t"]), data["id"]
            # In UTC: Python accepts offsets PostgreSQL cannot store.
            created_at = created_at.astimezone(UTC) if created_at.tzinfo else None
        except (ValueError, TypeError, KeyError, OverflowError, binascii.Error, UnicodeError):
            data = None
        if (
            data is None
            or not isinstance(reverse, bool)
            or type(pk) is not int
            or not 0 < pk <= MAX_ID
            or created_at is None
        ):
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        _("This cursor is not valid: follow the next or previous link as given.")
                    ]
                }
            )
        return reverse, created_at, pk

    def encode_cursor(self, row: Any, *, reverse: bool) -> str:
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        token = cursor_token(row.created_at, row.pk, reverse=reverse)
        return replace_query_param(url, self.cursor_query_param, token)

    def get_next_link(self) -> str | None:
        if not self.cursor_mode:
            return super().get_next_link()
        return self.encode_cursor(self.next_row, reverse=False) if self.next_row else None

    def get_previous_link(self) -> str | None:
        if not self.cursor_mode:
            return super().get_previous_link()
        return self.encode_cursor(self.previous_row, reverse=True) if self.previous_row else None

    def get_paginated_response(self, data: Any) -> Response:
        if not self.cursor_mode:
            return super().get_paginated_response(data)
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        # Cursor pages carry no count.
        paginated["required"] = [f for f in paginated["required"] if f != "count"]
        paginated["properties"]["count"]["description"] = str(
            _("The number of rows in every page; absent from cursor pages.")
        )
        return paginated

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(self.cursor_description),
                "schema": {"type": "string"},
            },
        ]
