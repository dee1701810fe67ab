"""Forms of the knowledge pages: they only validate and shape data."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from problems.models import Problem
from servicedesk.core.models import Service

from .models import Article


class ArticleForm(forms.ModelForm):
    services = forms.ModelMultipleChoiceField(
        label=_("Services"), queryset=Service.objects.none(), required=False
    )
    problems = forms.ModelMultipleChoiceField(
        label=_("Problems"), queryset=Problem.objects.none(), required=False
    )

    class Meta:
        model = Article
        fields = ["title", "body", "status", "audience", "services", "problems"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.filter(is_active=True).order_by("name")
        self.fields["problems"].queryset = Problem.objects.order_by("-pk")
        self.fields["problems"].label_from_instance = lambda p: f"{p.number} {p.title}"


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes"
    )
