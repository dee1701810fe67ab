"""Reads of knowledge articles, already scoped to the reader."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import Article
from .permissions import visible_articles


def articles(user: Any, *, text: str = "", status: str = "") -> QuerySet[Article]:
    """Articles the user may read matching every word of ``text``, with their vote counts."""
    qs = visible_articles(user)
    if status:
        qs = qs.filter(status=status)
    for word in text.split()[:8]:
        qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return qs.annotate(
        helpful_count=Count("votes", filter=Q(votes__helpful=True)),
        unhelpful_count=Count("votes", filter=Q(votes__helpful=False)),
    ).order_by("-updated_at", "-pk")
