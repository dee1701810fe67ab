"""What end users tell us through the portal: how satisfied they were with a ticket."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class SatisfactionRating(models.Model):
    """The requester's 1–5 rating of a resolved ticket; one per ticket, the latest wins."""

    ticket = models.OneToOneField(
        "core.Ticket", on_delete=models.CASCADE, related_name="satisfaction_rating"
    )
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="satisfaction_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}/5"
