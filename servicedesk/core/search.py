"""Full-text search over tickets of every practice: the one search of the agent UI and the API.

On PostgreSQL it ranks with ``SearchRank`` over a weighted vector (number and title
weigh most, then the description) that a GIN expression index serves (see the
``reports`` app's migration), and also finds tickets by the comments the user may
read. On SQLite it falls back to ``icontains``. Scoping always goes through
``permissions.visible_tickets`` and ``permissions.visible_comments``: an end user
never finds a ticket by words of an internal note.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import Case, Exists, FloatField, OuterRef, Q, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import permissions
from .models import Comment, Ticket

# The text search configuration: English stemming ("printers" finds "printer").
SEARCH_CONFIG = "english"
# Markers SearchHeadline puts around matches; escaped text never contains them.
_START, _STOP = "\x02", "\x03"
# The longest query searched; the rest is ignored.
MAX_QUERY_LENGTH = 200


def ticket_search_vector() -> SearchVector:
    """The weighted vector of a ticket; the GIN index is built on exactly this expression."""
    return (
        SearchVector("number", weight="A", config=SEARCH_CONFIG)
        + SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("description", weight="B", config=SEARCH_CONFIG)
    )


def clean_query(query: str | None) -> str:
    """The query as searched: no NUL (PostgreSQL refuses it in text), trimmed, bounded."""
    return (query or "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]


def comment_search_vector() -> SearchVector:
    """The vector of a comment's body; its GIN index is built on exactly this expression."""
    return SearchVector("body", config=SEARCH_CONFIG)


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def _visible_comments(user: Any) -> QuerySet[Comment]:
    if user is None:
        return Comment.objects.filter(internal=False)
    return permissions.visible_comments(user, Comment.objects.all())


def _comments_of_ticket(user: Any) -> QuerySet[Comment]:
    return _visible_comments(user).filter(ticket_id=OuterRef("pk"))


def search_tickets(
    user: Any,
    query: str,
    *,
    queryset: QuerySet[Ticket] | None = None,
    ranked: bool = True,
) -> QuerySet[Ticket]:
    """The tickets ``user`` may see that match ``query`` (number, title, description, comments).

    With ``ranked`` the rows carry a ``rank`` annotation and come best first; without it
    the caller's ordering is kept (the API's filter orders and paginates on its own).
    ``user=None`` means ``queryset`` is already scoped by the caller: it is kept as it
    is and only public comments are searched.
    """
    if user is None:
        if queryset is None:
            raise ValueError("search_tickets(user=None) needs an already scoped queryset")
        qs = queryset
    else:
        qs = permissions.visible_tickets(user, queryset)
    text = clean_query(query)
    if not text:
        return qs.none()
    comments = _comments_of_ticket(user)
    if uses_full_text():
        search_query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        # Each arm is an index lookup (the GIN indexes on the ticket and comment vectors,
        # the number's unique index) rather than a vector computed for every row.
        by_text = (
            Ticket.objects.annotate(_vector=ticket_search_vector())
            .filter(_vector=search_query)
            .values("pk")
        )
        by_comment = (
            _visible_comments(user)
            .annotate(_vector=comment_search_vector())
            .filter(_vector=search_query)
            .values("ticket_id")
        )
        qs = qs.filter(Q(pk__in=by_text) | Q(pk__in=by_comment) | Q(number=text.upper()))
        if ranked:
            qs = qs.annotate(rank=SearchRank(ticket_search_vector(), search_query)).order_by(
                "-rank", "-created_at", "-pk"
            )
        return qs
    comment_match = Exists(comments.filter(body__icontains=text))
    qs = qs.filter(
        Q(number__iexact=text)
        | Q(title__icontains=text)
        | Q(description__icontains=text)
        | comment_match
    )
    if ranked:
        qs = qs.annotate(
            rank=Case(
                When(Q(number__iexact=text), then=Value(1.0)),
                When(Q(title__icontains=text), then=Value(0.6)),
                When(Q(description__icontains=text), then=Value(0.4)),
                default=Value(0.1),
                output_field=FloatField(),
            )
        ).order_by("-rank", "-created_at", "-pk")
    return qs


def with_headlines(queryset: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    """Add ``title_headline`` and ``description_headline`` (PostgreSQL; raw marked text)."""
    if not uses_full_text():
        return queryset
    search_query = SearchQuery(clean_query(query), search_type="websearch", config=SEARCH_CONFIG)
    options = {"start_sel": _START, "stop_sel": _STOP, "config": SEARCH_CONFIG}
    return queryset.annotate(
        title_headline=SearchHeadline("title", search_query, highlight_all=True, **options),
        description_headline=SearchHeadline(
            "description", search_query, max_words=30, min_words=10, **options
        ),
    )


def highlight(marked: str | None, fallback: str, query: str) -> SafeString:
    """HTML for a headline: the text escaped, the matches in ``<mark>``.

    ``marked`` is SearchHeadline's output (PostgreSQL); without it the matches of
    ``query`` in ``fallback`` are marked (SQLite).
    """
    if marked is None:
        marked = _mark_plain(fallback, query.strip())
    html = str(escape(marked)).replace(_START, "<mark>").replace(_STOP, "</mark>")
    # Safe: the text was escaped just above; only our own markers became tags.
    return mark_safe(html)


def _mark_plain(text: str, needle: str) -> str:
    if not needle:
        return text
    lowered, low_needle = text.lower(), needle.lower()
    parts, start = [], 0
    while (found := lowered.find(low_needle, start)) != -1:
        parts += [text[start:found], _START, text[found : found + len(needle)], _STOP]
        start = found + len(needle)
    parts.append(text[start:])
    return "".join(parts)
