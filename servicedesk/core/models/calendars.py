"""Business calendars: working hours per weekday, a time zone and holidays."""

from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..choices import Weekday
from ..validators import holiday_countries, validate_holiday_country, validate_time_zone

# As the end of a working period, 00:00 is midnight at the end of the day (24:00).
END_OF_DAY = time(0)


class BusinessCalendar(models.Model):
    """The hours in which SLA targets count, in one time zone."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    description = models.TextField(_("description"), blank=True)
    holiday_country = models.CharField(
        _("holidays of country"),
        max_length=3,
        blank=True,
        validators=[validate_holiday_country],
        help_text=_("ISO 3166 code whose public holidays can be loaded, e.g. FR."),
    )
    holiday_subdivision = models.CharField(
        _("holidays of subdivision"),
        max_length=10,
        blank=True,
        help_text=_("Optional region of that country, e.g. CA for California in US."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.holiday_subdivision:
            known = holiday_countries().get(self.holiday_country) or []
            if self.holiday_subdivision not in known:
                raise ValidationError(
                    {"holiday_subdivision": _("Not a subdivision of the country chosen.")}
                )


class WorkingPeriod(models.Model):
    """One span of working time on a weekday; a day may have several."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="working_periods"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")) | Q(end=END_OF_DAY),
                name="workingperiod_start_before_end_or_midnight",
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="workingperiod_weekday_range"),
        ]
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end_label}"

    @property
    def ends_at_midnight(self) -> bool:
        return self.end == END_OF_DAY

    @property
    def end_label(self) -> str:
        """The end as HH:MM, midnight at the end of the day as 24:00."""
        return "24:00" if self.ends_at_midnight else f"{self.end:%H:%M}"

    def clean(self) -> None:
        known = self.start is not None and self.end is not None
        if known and not (self.start < self.end or self.ends_at_midnight):
            raise ValidationError(
                {"end": _("The end must come after the start (00:00 for midnight).")}
            )


class Holiday(models.Model):
    """A whole day off in a calendar."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")
        ]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()
