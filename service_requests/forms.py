"""Forms of the practice, above all the one validator of a catalog item's answers.

``answers_form_class(item)`` builds a Django form from the item's field rows. The
portal's order page and the agent UI render and bind it to what the browser posts;
the request service binds the same class to the API's JSON (``json=True``), where
each value must also have the right JSON type. Either way the answers it accepts
come out of ``answers_json()`` as the JSON stored on the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import Team, User

from .choices import FieldType, TaskStatus
from .models import CatalogItem, FormField

# Limits of answers whose field sets none, so that no answer is unbounded.
TEXT_MAX_LENGTH = 1000
LONG_TEXT_MAX_LENGTH = 10000
NUMBER_MAX_DIGITS = 18
NUMBER_DECIMAL_PLACES = 6
CHOICE_VALUE_MAX_LENGTH = 100
CHOICE_LABEL_MAX_LENGTH = 200
DATE_FORMAT = "%Y-%m-%d"


# --- checks of the form definition itself ---------------------------------------------------


def whole_answer(pattern: str) -> str:
    """The pattern anchored so that it must match the whole answer."""
    return rf"\A(?:{pattern})\Z"


def check_regex(pattern: str) -> None:
    """Refuse a pattern Python cannot compile, alone or anchored to the whole answer."""
    try:
        re.compile(pattern)
        re.compile(whole_answer(pattern))
    except (re.error, RecursionError, OverflowError) as exc:
        raise ValidationError(
            _("Not a valid regular expression: %(error)s") % {"error": exc}
        ) from exc


def check_choices(value: Any) -> list[dict[str, str]]:
    """The choices as ``[{"value", "label"}]``; bare strings are their own label."""
    if not isinstance(value, list):
        raise ValidationError(_("Choices are a list of {value, label} objects."))
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for entry in value:
        if isinstance(entry, str):
            entry = {"value": entry, "label": entry}
        if not isinstance(entry, Mapping) or set(entry) - {"value", "label"}:
            raise ValidationError(_("Each choice is an object with a value and a label."))
        choice_value, label = entry.get("value"), entry.get("label") or entry.get("value")
        if not isinstance(choice_value, str) or not isinstance(label, str):
            raise ValidationError(_("A choice's value and label are text."))
        choice_value, label = choice_value.strip(), label.strip()
        if "\x00" in choice_value or "\x00" in label:
            raise ValidationError(_("Null characters are not allowed."))
        if not choice_value or len(choice_value) > CHOICE_VALUE_MAX_LENGTH:
            raise ValidationError(
                _("A choice's value is 1 to %(max)s characters.") % {"max": CHOICE_VALUE_MAX_LENGTH}
            )
        if len(label) > CHOICE_LABEL_MAX_LENGTH:
            raise ValidationError(
                _("A choice's label is at most %(max)s characters.")
                % {"max": CHOICE_LABEL_MAX_LENGTH}
            )
        if choice_value in seen:
            raise ValidationError(
                _("The choice “%(value)s” appears twice.") % {"value": choice_value}
            )
        seen.add(choice_value)
        cleaned.append({"value": choice_value, "label": label})
    return cleaned


# --- answer fields: each takes a browser's strings or the API's JSON values -----------------


class AnswerField:
    """What every answer field adds to its Django field: a JSON type check and a JSON value."""

    json_message = _("Enter text.")

    def json_problem(self, value: Any) -> str | None:
        """Why ``value`` is not a JSON value of this field's type, or None."""
        return None if isinstance(value, str) else str(self.json_message)

    def json_to_data(self, value: Any) -> Any:
        """The JSON value as the form data a browser would post."""
        return value

    def to_json(self, value: Any) -> Any:
        """The cleaned value as stored in the request's answers (None: not answered)."""
        return value or None


class TextAnswerField(AnswerField, forms.CharField):
    pass


class NumberAnswerField(AnswerField, forms.DecimalField):
    json_message = _("Enter a number.")

    def json_problem(self, value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else str(self.json_message)

    def json_to_data(self, value: Any) -> Any:
        return str(value)

    def to_json(self, value: Decimal | None) -> int | float | None:
        if value is None:
            return None
        return int(value) if value == value.to_integral_value() else float(value)


class DateAnswerField(AnswerField, forms.DateField):
    json_message = _("Enter a date as YYYY-MM-DD.")

    def to_json(self, value: Any) -> str | None:
        return value.isoformat() if value else None


class ChoiceAnswerField(AnswerField, forms.ChoiceField):
    json_message = _("Choose one of the values, as text.")


class MultipleChoiceAnswerField(AnswerField, forms.MultipleChoiceField):
    json_message = _("Choose a list of the values, as text.")

    def json_problem(self, value: Any) -> str | None:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else str(self.json_message)

    def to_json(self, value: list[str]) -> list[str] | None:
        return list(dict.fromkeys(value)) or None


class UserAnswerField(AnswerField, forms.ModelChoiceField):
    json_message = _("Give the person's id.")

    def json_problem(self, value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return None if ok else str(self.json_message)

    def json_to_data(self, value: Any) -> Any:
        return str(value)

    def to_json(self, value: User | None) -> int | None:
        return value.pk if value is not None else None

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.username})"


class BooleanAnswerField(AnswerField, forms.BooleanField):
    json_message = _("Answer true or false.")

    def json_problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else str(self.json_message)

    def to_json(self, value: bool) -> bool:
        return bool(value)


def _text_field(definition: FormField, default_max: int, **kwargs: Any) -> TextAnswerField:
    validators = []
    if definition.regex:
        validators.append(
            RegexValidator(
                whole_answer(definition.regex),
                definition.regex_message or _("Enter a value in the expected format."),
            )
        )
    return TextAnswerField(
        max_length=definition.max_length or default_max, validators=validators, **kwargs
    )


def answer_field(definition: FormField) -> forms.Field:
    """The Django form field for one question of an order form."""
    common: dict[str, Any] = {
        "label": definition.label,
        "help_text": definition.help_text,
        "required": definition.required,
    }
    kind = definition.field_type
    if kind == FieldType.TEXT:
        return _text_field(definition, TEXT_MAX_LENGTH, **common)
    if kind == FieldType.LONG_TEXT:
        return _text_field(
            definition, LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}), **common
        )
    if kind == FieldType.NUMBER:
        return NumberAnswerField(
            max_digits=NUMBER_MAX_DIGITS,
            decimal_places=NUMBER_DECIMAL_PLACES,
            min_value=definition.min_value,
            max_value=definition.max_value,
            **common,
        )
    if kind == FieldType.DATE:
        return DateAnswerField(
            input_formats=[DATE_FORMAT],
            widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
            **common,
        )
    if kind == FieldType.CHOICE:
        empty = [("", _("Choose…"))]
        return ChoiceAnswerField(choices=empty + definition.choice_pairs, **common)
    if kind == FieldType.MULTI_CHOICE:
        return MultipleChoiceAnswerField(
            choices=definition.choice_pairs, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == FieldType.USER:
        return UserAnswerField(
            queryset=User.objects.filter(is_active=True).order_by(
                "first_name", "last_name", "username"
            ),
            empty_label=_("Choose a person…"),
            **common,
        )
    if kind == FieldType.BOOLEAN:
        return BooleanAnswerField(**common)
    raise ValueError(f"Unknown field type {kind!r}")


class AnswersForm(forms.Form):
    """The answers to one catalog item's order form (built by ``answers_form_class``)."""

    definitions: tuple[FormField, ...] = ()

    def __init__(self, data: Any = None, *args: Any, json: bool = False, **kwargs: Any) -> None:
        self.json_errors: dict[str, list[str]] = {}
        self.json_input = json
        if json and data is not None:
            data = self._from_json(data)
        super().__init__(data, *args, **kwargs)

    def _from_json(self, answers: Any) -> dict[str, Any]:
        """The API's answers as form data; values of the wrong JSON type are refused here."""
        if not isinstance(answers, Mapping):
            self.json_errors["__all__"] = [str(_("Answers are an object keyed by field names."))]
            return {}
        fields = self.base_fields
        data: dict[str, Any] = {}
        for name, value in answers.items():
            field = fields.get(name)
            if field is None:
                self.json_errors[str(name)] = [str(_("This item's form has no such field."))]
            elif value is None:
                continue  # null: not answered
            elif problem := field.json_problem(value):
                self.json_errors[name] = [problem]
            else:
                data[name] = field.json_to_data(value)
        return data

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or not self.json_errors:
            return
        for name, messages in self.json_errors.items():
            self._errors[name] = self.error_class(messages)
            self.cleaned_data.pop(name, None)

    def answers_json(self) -> dict[str, Any]:
        """The cleaned answers as stored on the request: unanswered questions are left out."""
        answers = {}
        for name, field in self.fields.items():
            value = field.to_json(self.cleaned_data.get(name))
            if value is not None:
                answers[name] = value
        return answers


def answers_form_class(
    item: CatalogItem, definitions: Iterable[FormField] | None = None
) -> type[AnswersForm]:
    """A form class with one field per question of ``item``'s order form, in order."""
    rows = tuple(definitions if definitions is not None else item.fields.all())
    fields: dict[str, Any] = {row.name: answer_field(row) for row in rows}
    form_class = type(f"AnswersForm{item.pk or ''}", (AnswersForm,), fields)
    form_class.definitions = rows  # set after: a question may be called "definitions"
    return form_class


def validate_answers(item: CatalogItem, answers: Any) -> AnswersForm:
    """The item's form bound to the API's JSON answers (check ``is_valid()``)."""
    return answers_form_class(item)(answers, json=True)


# --- forms of the agent UI and the portal ----------------------------------------------------


class CommentForm(forms.Form):
    """An optional comment, as on an approval."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RequiredCommentForm(forms.Form):
    """A comment that must be given, as on a rejection."""

    comment = forms.CharField(
        label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    """Why, as on a cancellation."""

    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NotesForm(forms.Form):
    """Optional notes, as on a completed task."""

    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EmptyForm(forms.Form):
    """A transition without fields."""


class ReplyForm(forms.Form):
    """A public reply (or, for agents, an internal note) on the request's conversation."""

    body = forms.CharField(
        label=_("Reply"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    internal = forms.BooleanField(label=_("Internal note"), required=False)


class OrderForForm(forms.Form):
    """Whom an agent orders for."""

    requester = forms.ModelChoiceField(
        label=_("Requested for"),
        queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name"),
    )


class TaskQueueForm(forms.Form):
    """Which team's queue, and which tasks of it."""

    team = forms.ModelChoiceField(queryset=Team.objects.filter(is_active=True), required=False)
    status = forms.MultipleChoiceField(choices=TaskStatus.choices, required=False)
