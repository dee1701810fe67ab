"""ORM lookups: a number no integer column can hold matches no row, in ``__in`` as in ``=``.

Django already answers ``id=10**30`` (and ``<``, ``>``…) with an empty result instead of
sending the number to the database; ``id__in=[10**30]`` still reaches it, and SQLite
raises OverflowError. Every ModelMultipleChoiceField (forms, filters, the admin) asks
``pk__in`` with the ids it was sent, so a huge id in a form would be a server error.
The same holds for a relation's ``__in``, which is also how a child model's primary key
(a practice's ``ticket_ptr``) is looked up, and for a relation's ``=`` (a filter on
``related_problem_id``).
"""

from __future__ import annotations

from copy import copy
from typing import Any

from django.core.exceptions import EmptyResultSet, FieldError
from django.db.models import ForeignKey, IntegerField
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In


def integer_range(lookup: Any, connection: Any) -> tuple[int | None, int | None] | None:
    """The range of the lookup's integer column (a relation's: its target's), None if none."""
    field = lookup.lhs.output_field
    try:
        field = getattr(field, "target_field", field)
        return connection.ops.integer_field_range(field.get_internal_type())
    except (KeyError, FieldError):  # not an integer column, or a composite relation
        return None


def out_of_range(value: Any, bounds: tuple[int | None, int | None]) -> bool:
    low, high = bounds
    return isinstance(value, int) and (
        (low is not None and value < low) or (high is not None and value > high)
    )


class OutOfRangeIntegersMatchNothing:
    """Leave out of an ``__in`` the numbers outside its integer column's range."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        parent = super()
        if not self.rhs_is_direct_value():  # a subquery: the database's own values
            return parent.process_rhs(compiler, connection)
        bounds = integer_range(self, connection)
        if bounds is None:
            return parent.process_rhs(compiler, connection)
        kept = [value for value in self.rhs if not out_of_range(value, bounds)]
        if len(kept) == len(self.rhs):
            return parent.process_rhs(compiler, connection)
        bounded = copy(self)
        bounded.rhs = kept  # none left: In raises EmptyResultSet, i.e. no row
        return super(OutOfRangeIntegersMatchNothing, bounded).process_rhs(compiler, connection)


@IntegerField.register_lookup
class IntegerFieldIn(OutOfRangeIntegersMatchNothing, In):
    """``__in`` on an integer column (ids included)."""


@ForeignKey.register_lookup
class ForeignKeyIn(OutOfRangeIntegersMatchNothing, RelatedIn):
    """``__in`` on a foreign key or one-to-one key (a child model's primary key too)."""


@ForeignKey.register_lookup
class ForeignKeyExact(RelatedExact):
    """``=`` on a foreign key: a number its column cannot hold matches no row."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            bounds = integer_range(self, connection)
            if bounds is not None and out_of_range(self.rhs, bounds):
                raise EmptyResultSet
        return super().process_rhs(compiler, connection)
