"""Knowledge articles and the votes on whether they helped."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import ArticleStatus, Audience


class Article(models.Model):
    """An answer written by agents in Markdown; public published ones reach the portal."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("answer"), help_text=_("Markdown."))
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.INTERNAL
    )
    services = models.ManyToManyField(
        "core.Service", blank=True, related_name="articles", verbose_name=_("services")
    )
    problems = models.ManyToManyField(
        "problems.Problem", blank=True, related_name="articles", verbose_name=_("problems")
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["status", "audience"], name="article_reach")]

    def __str__(self) -> str:
        return self.title


class ArticleVote(models.Model):
    """One reader's "did this help?" on one article; they may change their mind."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="one_vote_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"
