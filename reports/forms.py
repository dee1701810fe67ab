"""The reports' filters: a date range and an optional team."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import Team

from .metrics import Period

DEFAULT_DAYS = 30
MAX_DAYS = 366


class ReportFilterForm(forms.Form):
    """From and to (inclusive days, at most a year apart) and a team; all optional."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("All teams"),
    )

    def clean(self) -> dict:
        data = super().clean()
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start must not be after the end."))
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose at most a year."))
        data["start"], data["end"] = start, end
        return data

    def period(self) -> Period:
        data = self.cleaned_data
        return Period(start=data["start"], end=data["end"], team=data.get("team"))
