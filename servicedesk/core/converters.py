"""URL converters: ids that fit the database's 64-bit integer columns, so a huge one is a 404."""

import re

from django.urls.converters import IntConverter


class IdConverter(IntConverter):
    """A positive id of at most 18 digits (anything longer cannot exist: 404, not an overflow)."""

    regex = "[0-9]{1,18}"


# The same bound for DRF routers' lookup_value_regex.
ID_REGEX = IdConverter.regex


def parse_id(value: object) -> int | None:
    """An id read from raw request data (a query string, a form's unchecked data), or None.

    Only what an id column can hold passes: a huge or malformed one would make the
    database raise (SQLite overflows on a 30-digit foreign key) where it means "no row".
    """
    text = str(value).strip() if isinstance(value, str | int) else ""
    return int(text) if re.fullmatch(ID_REGEX, text) else None
