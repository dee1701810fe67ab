"""ORM lookups: a number no integer column can hold matches no row, in ``__in`` as in ``=``.

Django already answers ``id=10**30`` (and ``<``, ``>``…) with an empty result instead of
sending the number to the database; ``id__in=[10**30]`` still reaches it, and SQLite
raises OverflowError. Every ModelMultipleChoiceField (forms, filters, the admin) asks
``pk__in`` with the ids it was sent, so a huge id in a form would be a server error.
The same holds for a relation's ``__in``, which is also how a child model's primary key
(a practice's ``ticket_ptr``) is looked up.
"""

from __future__ import annotations

from copy import copy
from typing import Any

from django.core.exceptions import FieldError
from django.db.models import ForeignKey, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class OutOfRangeIntegersMatchNothing:
    """Leave out of an ``__in`` the numbers outside its integer column's range."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        parent = super()
        if not self.rhs_is_direct_value():  # a subquery: the database's own values
            return parent.process_rhs(compiler, connection)
        field = self.lhs.output_field
        try:
            field = getattr(field, "target_field", field)  # a relation compares its target's ids
            low, high = connection.ops.integer_field_range(field.get_internal_type())
        except (KeyError, FieldError):  # not an integer column, or a composite relation
            return parent.process_rhs(compiler, connection)
        kept = [
            value
            for value in self.rhs
            if not isinstance(value, int)
            or ((low is None or value >= low) and (high is None or value <= high))
        ]
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
