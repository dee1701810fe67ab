"""schemathesis hooks of scripts/fuzz-api: numeric ids in paths point at rows that exist.

Generated ids are mostly rows nobody has, so detail and write operations would only
answer 404. An id made of digits is swapped for one the caller can see (read once from
the resource's list), so that reads and changes reach real objects; any other generated
value (negative, huge, not a number) is sent as it is.
"""

from __future__ import annotations

import json
import os
import urllib.request
from functools import cache
from typing import Any

import schemathesis


@cache
def visible_ids(list_url: str) -> tuple[int, ...]:
    """The ids on the first page of a list endpoint, as the fuzzing user sees it."""
    request = urllib.request.Request(
        list_url,
        headers={"Authorization": os.environ["FUZZ_AUTHORIZATION"], "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
    except (OSError, ValueError):  # no list there (404, 403…): leave the ids alone
        return ()
    rows = body.get("results", []) if isinstance(body, dict) else body
    return tuple(
        row["id"] for row in rows if isinstance(row, dict) and isinstance(row.get("id"), int)
    )


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: Any) -> None:
    value = (case.path_parameters or {}).get("id")
    if isinstance(value, int) and value >= 0:
        value = str(value)
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19):
        return
    ids = visible_ids(os.environ["FUZZ_BASE_URL"] + case.path.split("{id}")[0])
    if ids:
        case.path_parameters["id"] = str(ids[int(value) % len(ids)])
