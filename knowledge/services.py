"""Writes of knowledge articles: create, update, publish and vote."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.errors import NotPermitted, ValidationFailed

from .choices import ArticleStatus
from .models import Article, ArticleVote
from .permissions import can_edit, visible_articles


def _apply(article: Article, *, data: dict[str, Any]) -> None:
    for name in ("title", "body", "status", "audience"):
        if name in data:
            setattr(article, name, (data[name] or "").strip())
    if not article.title or not article.body:
        raise ValidationFailed(fields={"title": [_("An article needs a title and an answer.")]})
    if article.status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()


@transaction.atomic
def article_create(
    *,
    by: Any,
    data: dict[str, Any],
    services: Iterable[Any] = (),
    problems: Iterable[Any] = (),
) -> Article:
    """An agent writes a new article (a draft unless they publish it at once)."""
    if not can_edit(by):
        raise NotPermitted(_("Only agents write knowledge articles."))
    article = Article(author=by)
    _apply(article, data=data)
    article.full_clean()
    article.save()
    article.services.set(services)
    article.problems.set(problems)
    return article


@transaction.atomic
def article_update(
    *,
    article: Article,
    by: Any,
    data: dict[str, Any],
    services: Iterable[Any] | None = None,
    problems: Iterable[Any] | None = None,
) -> Article:
    """An agent edits, publishes or unpublishes an article."""
    if not can_edit(by):
        raise NotPermitted(_("Only agents edit knowledge articles."))
    article = Article.objects.select_for_update().get(pk=article.pk)
    _apply(article, data=data)
    article.full_clean()
    article.save()
    if services is not None:
        article.services.set(services)
    if problems is not None:
        article.problems.set(problems)
    return article


@transaction.atomic
def article_vote(*, article: Article, by: Any, helpful: bool) -> ArticleVote:
    """Record whether the article helped this reader: one vote each, the latest counts."""
    if not visible_articles(by).filter(pk=article.pk).exists():
        raise NotPermitted(_("You cannot vote on this article."))
    vote, _created = ArticleVote.objects.update_or_create(
        article=article, user=by, defaults={"helpful": helpful}
    )
    return vote
