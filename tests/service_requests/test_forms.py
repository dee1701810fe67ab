"""The one validator of a catalog item's answers: every field type and rule, JSON and HTML."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service_requests.choices import FieldType
from service_requests.forms import answers_form_class, check_choices
from service_requests.models import CatalogItem, FormField
from tests.factories import make_end_user

CHOICES = [{"value": "14", "label": "14-inch"}, {"value": "16", "label": "16-inch"}]
OPTIONS = [{"value": "vpn", "label": "VPN"}, {"value": "mail", "label": "Mail"}, "wiki"]


def question(field_type: str, name: str = "q", **options: Any) -> FormField:
    options.setdefault("required", True)
    return FormField(name=name, label=name.title(), field_type=field_type, **options)


def validate(*definitions: FormField, answers: Any) -> tuple[bool, dict, dict]:
    """Validate ``answers`` as the API does: (valid, errors, stored answers)."""
    form = answers_form_class(CatalogItem(), definitions)(answers, json=True)
    valid = form.is_valid()
    errors = {name: list(messages) for name, messages in form.errors.items()}
    return valid, errors, form.answers_json() if valid else {}


def post(*definitions: FormField, data: dict) -> tuple[bool, dict, dict]:
    """Validate what a browser posts (strings, repeated keys for lists)."""
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    form = answers_form_class(CatalogItem(), definitions)(query)
    valid = form.is_valid()
    return valid, dict(form.errors), form.answers_json() if valid else {}


# --- text and long text --------------------------------------------------------------------


def test_text_is_stored_stripped():
    assert validate(question(FieldType.TEXT), answers={"q": "  Dell XPS  "}) == (
        True,
        {},
        {"q": "Dell XPS"},
    )


@pytest.mark.parametrize("answers", [{}, {"q": ""}, {"q": "   "}, {"q": None}])
def test_a_required_text_needs_an_answer(answers):
    assert validate(question(FieldType.TEXT), answers=answers) == (
        False,
        {"q": ["This field is required."]},
        {},
    )


def test_an_optional_text_may_be_left_out_and_is_not_stored():
    assert validate(question(FieldType.TEXT, required=False), answers={}) == (True, {}, {})


def test_text_has_a_maximum_length():
    definition = question(FieldType.TEXT, max_length=5)
    assert validate(definition, answers={"q": "12345"})[0] is True
    assert validate(definition, answers={"q": "123456"})[1] == {
        "q": ["Ensure this value has at most 5 characters (it has 6)."]
    }


def test_text_without_a_maximum_still_has_one():
    assert validate(question(FieldType.TEXT), answers={"q": "x" * 1000})[0] is True
    assert validate(question(FieldType.TEXT), answers={"q": "x" * 1001})[0] is False
    assert validate(question(FieldType.LONG_TEXT), answers={"q": "x" * 10000})[0] is True
    assert validate(question(FieldType.LONG_TEXT), answers={"q": "x" * 10001})[0] is False


def test_the_pattern_must_match_the_whole_answer_with_its_own_message():
    definition = question(FieldType.TEXT, regex=r"[A-Z]{3}-\d{4}", regex_message="Like ABC-1234.")
    assert validate(definition, answers={"q": "ABC-1234"})[0] is True
    for wrong in ("abc-1234", "xABC-1234", "ABC-12345", "ABC-1234 x"):
        assert validate(definition, answers={"q": wrong})[1] == {"q": ["Like ABC-1234."]}


def test_a_pattern_without_a_message_says_the_format_is_wrong():
    definition = question(FieldType.TEXT, regex=r"\d+")
    assert validate(definition, answers={"q": "12a"})[1] == {
        "q": ["Enter a value in the expected format."]
    }


@pytest.mark.parametrize("value", [12, 1.5, True, ["a"], {"a": 1}])
def test_text_answers_are_json_strings(value):
    assert validate(question(FieldType.TEXT), answers={"q": value})[1] == {"q": ["Enter text."]}


def test_text_refuses_null_characters():
    assert validate(question(FieldType.LONG_TEXT), answers={"q": "a\x00b"})[1] == {
        "q": ["Null characters are not allowed."]
    }


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"), [(3, 3), (3.0, 3), (2.5, 2.5), (-7, -7), (0, 0), (0.000001, 0.000001)]
)
def test_numbers_are_stored_as_json_numbers(value, stored):
    valid, _errors, answers = validate(question(FieldType.NUMBER), answers={"q": value})
    assert valid
    assert answers == {"q": stored}
    assert type(answers["q"]) is type(stored)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (33, "Ensure this value is less than or equal to 32."),
        (1.5, None),
    ],
)
def test_numbers_respect_the_minimum_and_maximum(value, message):
    definition = question(FieldType.NUMBER, min_value=Decimal(1), max_value=Decimal(32))
    valid, errors, _answers = validate(definition, answers={"q": value})
    assert valid is (message is None)
    if message:
        assert errors == {"q": [message]}


@pytest.mark.parametrize("value", ["3", True, False, [3], {"n": 3}])
def test_number_answers_are_json_numbers(value):
    assert validate(question(FieldType.NUMBER), answers={"q": value})[1] == {
        "q": ["Enter a number."]
    }


@pytest.mark.parametrize(
    "value", [1e400, -1e400, 10**13, 1.0000001, 123456789012345678901234567890]
)
def test_numbers_out_of_range_or_too_precise_are_refused(value):
    valid, errors, _answers = validate(question(FieldType.NUMBER), answers={"q": value})
    assert not valid
    assert list(errors) == ["q"]


def test_a_browser_posts_numbers_as_text():
    assert post(question(FieldType.NUMBER), data={"q": "2.50"}) == (True, {}, {"q": 2.5})
    assert post(question(FieldType.NUMBER), data={"q": "two"})[1] == {"q": ["Enter a number."]}


# --- dates ------------------------------------------------------------------------------------


def test_dates_are_iso_dates():
    assert validate(question(FieldType.DATE), answers={"q": "2026-12-24"}) == (
        True,
        {},
        {"q": "2026-12-24"},
    )


@pytest.mark.parametrize("value", ["24/12/2026", "2026-02-30", "2026-12-24T10:00", "tomorrow", ""])
def test_other_date_formats_and_impossible_dates_are_refused(value):
    valid, errors, _answers = validate(question(FieldType.DATE), answers={"q": value})
    assert not valid
    assert list(errors) == ["q"]


@pytest.mark.parametrize("value", [20261224, True, ["2026-12-24"]])
def test_date_answers_are_json_strings(value):
    assert validate(question(FieldType.DATE), answers={"q": value})[1] == {
        "q": ["Enter a date as YYYY-MM-DD."]
    }


# --- choices ----------------------------------------------------------------------------------


def test_a_choice_is_one_of_the_values():
    definition = question(FieldType.CHOICE, choices=CHOICES)
    assert validate(definition, answers={"q": "16"}) == (True, {}, {"q": "16"})
    assert validate(definition, answers={"q": "15"})[1] == {
        "q": ["Select a valid choice. 15 is not one of the available choices."]
    }
    # The label is not the value.
    assert validate(definition, answers={"q": "16-inch"})[0] is False


def test_a_choice_is_a_json_string():
    definition = question(FieldType.CHOICE, choices=CHOICES)
    assert validate(definition, answers={"q": 16})[1] == {
        "q": ["Choose one of the values, as text."]
    }


def test_a_multi_choice_is_a_list_of_values_stored_once_each():
    definition = question(FieldType.MULTI_CHOICE, choices=check_choices(OPTIONS))
    assert validate(definition, answers={"q": ["mail", "vpn", "mail"]}) == (
        True,
        {},
        {"q": ["mail", "vpn"]},
    )
    assert validate(definition, answers={"q": ["vpn", "ftp"]})[1] == {
        "q": ["Select a valid choice. ftp is not one of the available choices."]
    }


@pytest.mark.parametrize("value", ["vpn", [1], [["vpn"]], {"vpn": True}, True])
def test_a_multi_choice_is_a_json_list_of_strings(value):
    definition = question(FieldType.MULTI_CHOICE, choices=check_choices(OPTIONS))
    assert validate(definition, answers={"q": value})[1] == {
        "q": ["Choose a list of the values, as text."]
    }


def test_a_required_multi_choice_needs_one_value():
    definition = question(FieldType.MULTI_CHOICE, choices=check_choices(OPTIONS))
    assert validate(definition, answers={"q": []})[1] == {"q": ["This field is required."]}
    optional = question(FieldType.MULTI_CHOICE, choices=check_choices(OPTIONS), required=False)
    assert validate(optional, answers={"q": []}) == (True, {}, {})


def test_a_browser_posts_checked_boxes():
    definition = question(FieldType.MULTI_CHOICE, choices=check_choices(OPTIONS))
    assert post(definition, data={"q": ["vpn", "wiki"]}) == (True, {}, {"q": ["vpn", "wiki"]})


# --- people -------------------------------------------------------------------------------


def test_a_person_is_an_active_users_id(db):
    colleague = make_end_user(username="colleague")
    gone = make_end_user(username="gone", is_active=False)
    definition = question(FieldType.USER)
    assert validate(definition, answers={"q": colleague.pk}) == (True, {}, {"q": colleague.pk})
    invalid = ["Select a valid choice. That choice is not one of the available choices."]
    assert validate(definition, answers={"q": gone.pk})[1] == {"q": invalid}
    assert validate(definition, answers={"q": 987654})[1] == {"q": invalid}
    assert validate(definition, answers={"q": 2**70})[1] == {"q": invalid}


@pytest.mark.parametrize("value", ["1", True, 0, -3, 1.0, "colleague", [1]])
def test_a_person_is_given_by_a_positive_json_integer(db, value):
    assert validate(question(FieldType.USER), answers={"q": value})[1] == {
        "q": ["Give the person's id."]
    }


# --- yes / no ---------------------------------------------------------------------------------


def test_yes_no_answers_are_json_booleans_always_stored():
    definition = question(FieldType.BOOLEAN, required=False)
    assert validate(definition, answers={"q": True}) == (True, {}, {"q": True})
    assert validate(definition, answers={"q": False}) == (True, {}, {"q": False})
    assert validate(definition, answers={}) == (True, {}, {"q": False})


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, [True]])
def test_yes_no_answers_refuse_anything_but_booleans(value):
    assert validate(question(FieldType.BOOLEAN, required=False), answers={"q": value})[1] == {
        "q": ["Answer true or false."]
    }


def test_a_required_yes_no_must_be_yes():
    """Like "I accept the terms": required means it must be ticked."""
    assert validate(question(FieldType.BOOLEAN), answers={"q": False})[1] == {
        "q": ["This field is required."]
    }


# --- the answers as a whole ----------------------------------------------------------------


def test_unknown_answers_are_refused_by_name():
    assert validate(question(FieldType.TEXT), answers={"q": "x", "colour": "red"})[1] == {
        "colour": ["This item's form has no such field."]
    }


@pytest.mark.parametrize("answers", [[], "q=x", 3, None])
def test_answers_must_be_an_object(answers):
    valid, errors, _answers = validate(question(FieldType.TEXT, required=False), answers=answers)
    if answers is None:  # nothing bound
        assert not valid
        assert errors == {}
    else:
        assert errors == {"__all__": ["Answers are an object keyed by field names."]}


def test_every_bad_answer_is_named_at_once():
    definitions = (
        question(FieldType.TEXT, name="model"),
        question(FieldType.NUMBER, name="count", min_value=Decimal(1)),
        question(FieldType.DATE, name="needed_by"),
    )
    valid, errors, _answers = validate(*definitions, answers={"count": 0, "needed_by": 5})
    assert not valid
    assert set(errors) == {"model", "count", "needed_by"}


def test_the_generated_form_renders_each_type_with_its_widget(db):
    definitions = (
        question(FieldType.TEXT, name="a", help_text="The model"),
        question(FieldType.LONG_TEXT, name="b"),
        question(FieldType.NUMBER, name="c"),
        question(FieldType.DATE, name="d"),
        question(FieldType.CHOICE, name="e", choices=CHOICES),
        question(FieldType.MULTI_CHOICE, name="f", choices=CHOICES),
        question(FieldType.USER, name="g"),
        question(FieldType.BOOLEAN, name="h"),
    )
    form = answers_form_class(CatalogItem(), definitions)(prefix="answers")
    assert [form[name].widget_type for name in "abcdefgh"] == [
        "text",
        "textarea",
        "number",
        "date",
        "select",
        "checkboxselectmultiple",
        "select",
        "checkbox",
    ]
    html = str(form["a"])
    assert 'name="answers-a"' in html
    assert 'maxlength="1000"' in html
    assert "required" in html


# --- the definition of a form ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "fields"),
    [
        ({"field_type": FieldType.CHOICE}, {"choices"}),
        ({"field_type": FieldType.CHOICE, "choices": [{"value": "a"}, "a"]}, {"choices"}),
        ({"field_type": FieldType.TEXT, "choices": CHOICES}, {"choices"}),
        ({"field_type": FieldType.TEXT, "regex": "("}, {"regex"}),
        ({"field_type": FieldType.TEXT, "regex": "(?i)abc"}, {"regex"}),
        ({"field_type": FieldType.NUMBER, "regex": "x"}, {"regex"}),
        ({"field_type": FieldType.TEXT, "min_value": Decimal(1)}, {"min_value"}),
        (
            {"field_type": FieldType.NUMBER, "min_value": Decimal(5), "max_value": Decimal(1)},
            {"max_value"},
        ),
        ({"field_type": FieldType.DATE, "max_length": 3}, {"max_length"}),
    ],
)
def test_a_form_definition_that_cannot_work_is_refused(options, fields):
    with pytest.raises(ValidationError) as exc:
        FormField(name="q", label="Q", **options).clean()
    assert set(exc.value.message_dict) == fields


@pytest.mark.parametrize(
    "choices",
    [
        "red",
        [{"value": ""}],
        [{"value": "a", "colour": "red"}],
        [{"value": 1}],
        ["a\x00b"],
        [{"value": "x" * 101}],
    ],
)
def test_choices_that_cannot_be_stored_or_offered_are_refused(choices):
    with pytest.raises(ValidationError):
        check_choices(choices)


def test_choices_may_be_given_as_plain_values():
    assert check_choices(["Red", {"value": "b", "label": "Blue"}, {"value": "g"}]) == [
        {"value": "Red", "label": "Red"},
        {"value": "b", "label": "Blue"},
        {"value": "g", "label": "g"},
    ]


# --- properties --------------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.dates().map(date.isoformat)
)
# Any JSON a client could send as one answer: a scalar, a list or an object of them.
JSON_VALUES = (
    SCALARS
    | st.lists(SCALARS, max_size=4)
    | st.lists(st.sampled_from(["14", "16", "vpn", "mail", "wiki"]), max_size=4)
    | st.dictionaries(st.text(max_size=5), SCALARS, max_size=3)
)
DEFINITIONS = [
    question(FieldType.TEXT, max_length=20, regex=r"[a-z ]*"),
    question(FieldType.LONG_TEXT, required=False),
    question(FieldType.NUMBER, min_value=Decimal(-5), max_value=Decimal(1000)),
    question(FieldType.DATE, required=False),
    question(FieldType.CHOICE, choices=CHOICES),
    question(FieldType.MULTI_CHOICE, choices=check_choices(OPTIONS), required=False),
    question(FieldType.BOOLEAN, required=False),
]


@settings(max_examples=300, deadline=None)
@given(definition=st.sampled_from(DEFINITIONS), value=JSON_VALUES)
def test_any_json_answer_is_accepted_or_refused_by_name_never_crashes(definition, value):
    valid, errors, answers = validate(definition, answers={"q": value})
    if valid:
        json.dumps(answers, allow_nan=False)  # storable as JSON
        # What was stored validates again to itself.
        assert validate(definition, answers=answers) == (True, {}, answers)
    else:
        assert list(errors) == ["q"]
        assert all(isinstance(message, str) and message for message in errors["q"])


@settings(max_examples=150, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=40),
    text=st.text(alphabet="abcdefghij", min_size=1, max_size=60),
)
def test_text_is_valid_exactly_up_to_its_maximum_length(limit, text):
    definition = question(FieldType.TEXT, max_length=limit)
    valid, _errors, answers = validate(definition, answers={"q": text})
    assert valid is (len(text) <= limit)
    if valid:
        assert answers == {"q": text}


@settings(max_examples=150, deadline=None)
@given(
    low=st.integers(min_value=-1000, max_value=1000),
    span=st.integers(min_value=0, max_value=1000),
    value=st.decimals(
        min_value=-3000, max_value=3000, places=3, allow_nan=False, allow_infinity=False
    ),
)
def test_numbers_are_valid_exactly_within_their_bounds(low, span, value):
    definition = question(FieldType.NUMBER, min_value=Decimal(low), max_value=Decimal(low + span))
    valid, _errors, answers = validate(definition, answers={"q": float(value)})
    number = Decimal(str(float(value)))
    assert valid is (low <= number <= low + span)
    if valid:
        assert Decimal(str(answers["q"])) == number


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(picked=st.lists(st.sampled_from(["vpn", "mail", "wiki", "ftp", "VPN"]), max_size=6))
def test_a_multi_choice_is_valid_exactly_when_every_value_is_offered(picked):
    definition = question(FieldType.MULTI_CHOICE, choices=check_choices(OPTIONS), required=False)
    valid, _errors, answers = validate(definition, answers={"q": picked})
    assert valid is (set(picked) <= {"vpn", "mail", "wiki"})
    if valid:
        assert answers.get("q", []) == list(dict.fromkeys(picked))
