"""Human-readable ticket numbers per practice, unique under concurrent creation."""

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import NumberSequence

NUMBER_DIGITS = 7


def next_number(prefix: str) -> str:
    """The next number for ``prefix`` (``INC0000042``); call inside the creating transaction.

    The counter row stays locked by the UPDATE until the transaction ends, so
    concurrent creators queue on it and no two tickets ever share a number.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that saves the ticket.")
    sequence = NumberSequence.objects.filter(prefix=prefix)
    if not sequence.update(last_value=F("last_value") + 1):
        try:
            with transaction.atomic():
                NumberSequence.objects.create(prefix=prefix, last_value=0)
        except IntegrityError:
            pass  # another transaction created it first; its lock orders us after it
        sequence.update(last_value=F("last_value") + 1)
    value = sequence.values_list("last_value", flat=True).get()
    return f"{prefix}{value:0{NUMBER_DIGITS}d}"
