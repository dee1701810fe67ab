"""Priority derived from impact and urgency by the ITIL matrix."""

from .choices import Impact, Priority, Urgency

PRIORITY_MATRIX: dict[tuple[int, int], Priority] = {
    (Impact.HIGH, Urgency.HIGH): Priority.CRITICAL,
    (Impact.HIGH, Urgency.MEDIUM): Priority.HIGH,
    (Impact.HIGH, Urgency.LOW): Priority.MODERATE,
    (Impact.MEDIUM, Urgency.HIGH): Priority.HIGH,
    (Impact.MEDIUM, Urgency.MEDIUM): Priority.MODERATE,
    (Impact.MEDIUM, Urgency.LOW): Priority.LOW,
    (Impact.LOW, Urgency.HIGH): Priority.MODERATE,
    (Impact.LOW, Urgency.MEDIUM): Priority.LOW,
    (Impact.LOW, Urgency.LOW): Priority.PLANNING,
}


def priority_for(impact: int, urgency: int) -> Priority:
    """The priority of a ticket with this impact and urgency (1 high … 3 low each)."""
    try:
        return PRIORITY_MATRIX[(Impact(impact), Urgency(urgency))]
    except ValueError as exc:
        raise ValueError(f"impact and urgency must be 1, 2 or 3, not {impact}, {urgency}") from exc
