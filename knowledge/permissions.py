"""Who reads and writes knowledge articles."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from servicedesk.core import permissions as core

from .choices import ArticleStatus, Audience
from .models import Article


def visible_articles(user: Any, queryset: QuerySet[Article] | None = None) -> QuerySet[Article]:
    """Agents read every article; everyone else public, published ones only."""
    qs = queryset if queryset is not None else Article.objects.all()
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    if core.is_agent(user):
        return qs
    return qs.filter(status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC)


def can_edit(user: Any) -> bool:
    """Agents write and edit answers."""
    return core.is_agent(user)
