"""Agent pages of the knowledge base (list and search, new, edit) and the portal's answers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.core.errors import ApplicationError

from . import selectors, services
from .choices import ArticleStatus
from .forms import ArticleForm, VoteForm
from .models import Article, ArticleVote
from .permissions import can_edit, visible_articles

LIST_LIMIT = 50


def _agents_only(request: HttpRequest) -> None:
    if not can_edit(request.user):
        raise PermissionDenied


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    """Agents: every article, searchable, drafts included."""
    _agents_only(request)
    text = request.GET.get("q", "")[:200]
    status = request.GET.get("status", "")
    if status not in ArticleStatus.values:
        status = ""
    rows = list(selectors.articles(request.user, text=text, status=status)[: LIST_LIMIT + 1])
    context = {
        "articles": rows[:LIST_LIMIT],
        "has_more": len(rows) > LIST_LIMIT,
        "q": text,
        "status": status,
        "statuses": ArticleStatus.choices,
    }
    return render(request, "knowledge/list.html", context)


def _save(request: HttpRequest, article: Article | None) -> HttpResponse:
    form = ArticleForm(request.POST or None, instance=article)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("title", "body", "status", "audience")}
        try:
            if article is None:
                article = services.article_create(
                    by=request.user,
                    data=data,
                    services=form.cleaned_data["services"],
                    problems=form.cleaned_data["problems"],
                )
            else:
                article = services.article_update(
                    article=article,
                    by=request.user,
                    data=data,
                    services=form.cleaned_data["services"],
                    problems=form.cleaned_data["problems"],
                )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The article is saved."))
            return redirect("knowledge:edit", pk=article.pk)
    status = 400 if form.errors else 200
    return render(request, "knowledge/form.html", {"form": form, "article": article}, status=status)


@login_required
def article_new(request: HttpRequest) -> HttpResponse:
    _agents_only(request)
    return _save(request, None)


@login_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _agents_only(request)
    return _save(request, get_object_or_404(Article, pk=pk))


# --- the portal: public published answers ----------------------------------------


@login_required
def portal_search(request: HttpRequest) -> HttpResponse:
    """Everyone: search the answers they may read (public, published ones for end users)."""
    text = request.GET.get("q", "")[:200]
    rows = list(
        selectors.articles(request.user, text=text, status=ArticleStatus.PUBLISHED)[
            : LIST_LIMIT + 1
        ]
    )
    context = {"articles": rows[:LIST_LIMIT], "has_more": len(rows) > LIST_LIMIT, "q": text}
    return render(request, "knowledge/portal_search.html", context)


@login_required
def portal_article(request: HttpRequest, pk: int) -> HttpResponse:
    """One answer in the portal, with "did this help?"."""
    article = get_object_or_404(
        selectors.articles(request.user, status=ArticleStatus.PUBLISHED), pk=pk
    )
    vote = ArticleVote.objects.filter(article=article, user=request.user).first()
    return render(request, "knowledge/portal_article.html", {"article": article, "vote": vote})


@login_required
@require_POST
def portal_vote(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(
        visible_articles(request.user).filter(status=ArticleStatus.PUBLISHED), pk=pk
    )
    form = VoteForm(request.POST)
    if form.is_valid():
        services.article_vote(
            article=article, by=request.user, helpful=form.cleaned_data["helpful"]
        )
        messages.success(request, _("Thank you for telling us."))
    return redirect("portal:article", pk=article.pk)
