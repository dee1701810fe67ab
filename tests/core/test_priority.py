import pytest

from servicedesk.core.priority import priority_for


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        (1, 1, 1),
        (1, 2, 2),
        (1, 3, 3),
        (2, 1, 2),
        (2, 2, 3),
        (2, 3, 4),
        (3, 1, 3),
        (3, 2, 4),
        (3, 3, 5),
    ],
)
def test_priority_follows_the_itil_matrix(impact, urgency, expected):
    assert priority_for(impact, urgency) == expected


@pytest.mark.parametrize(("impact", "urgency"), [(0, 1), (1, 4), (4, 4), (-1, 2)])
def test_priority_refuses_values_outside_the_scale(impact, urgency):
    with pytest.raises(ValueError, match="impact and urgency must be 1, 2 or 3"):
        priority_for(impact, urgency)
