"""The short risk questionnaire: weighted yes/no questions whose score gives the risk level.

Each "yes" adds the question's weight; the total picks the level from ``LEVELS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .choices import RiskLevel


@dataclass(frozen=True)
class Question:
    """One yes/no question of the questionnaire and how much a "yes" weighs."""

    name: str
    text: Promise
    weight: int


QUESTIONS: tuple[Question, ...] = (
    Question(
        "affects_critical_service",
        _("Does it touch a critical service or configuration item?"),
        3,
    ),
    Question("causes_outage", _("Will users lose service while it is carried out?"), 2),
    Question("hard_to_back_out", _("Is backing it out slow, partial or impossible?"), 3),
    Question("not_tested", _("Has it not been tested outside production?"), 2),
    Question("first_of_its_kind", _("Is this the first change of its kind here?"), 1),
    Question("several_teams", _("Do several teams have to work together on it?"), 1),
)
QUESTION_NAMES = tuple(q.name for q in QUESTIONS)
# Lowest score for each level, highest level first.
LEVELS: tuple[tuple[int, str], ...] = (
    (8, RiskLevel.VERY_HIGH),
    (5, RiskLevel.HIGH),
    (2, RiskLevel.MEDIUM),
    (0, RiskLevel.LOW),
)


def risk_score(answers: Mapping[str, bool]) -> int:
    """The sum of the weights of the questions answered "yes"."""
    return sum(q.weight for q in QUESTIONS if answers.get(q.name))


def risk_from_answers(answers: Mapping[str, bool]) -> str:
    """The risk level the answers give."""
    score = risk_score(answers)
    return next(level for threshold, level in LEVELS if score >= threshold)


def missing_answers(answers: Mapping[str, object]) -> list[str]:
    """Questions without a yes/no answer."""
    return [name for name in QUESTION_NAMES if not isinstance(answers.get(name), bool)]
