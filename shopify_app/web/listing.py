"""The conventions of every /v1 list: page[number], page[size], sort and filter[...] read and checked,
and the meta a page answers with."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from shopify_app.errors import BadRequest, quote
from shopify_app.paging import Page, PageRequest

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Far past any shop's last page, and small enough that the row offset fits the database's integers.
MAX_PAGE_NUMBER = 10_000_000
DEFAULT_SORT = "-created_at"
_BRACKETED = re.compile(r"^(page|filter)\[(.*)\]$")
def whole_number(text: str, maximum: int) -> int | None:
    """``text`` as a whole number from 1 to ``maximum``, else None. The length is checked before
    int(), which refuses numbers of thousands of digits; isascii() since isdigit() takes "²"."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(maximum))):
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None


def _page_value(args: MultiDict[str, str], name: str, default: int, maximum: int) -> int:
    raw = args.get(f"page[{name}]")
    if raw is None:
        return default
    value = whole_number(raw.strip(), maximum)
    if value is None:
        raise BadRequest(f"'page[{name}]' must be a whole number from 1 to {maximum}, not '{quote(raw)}'")
    return value


def filters(args: MultiDict[str, str], allowed: Collection[str]) -> dict[str, str]:
    """The list's ``filter[name]`` values; an unknown filter or page key is 400 naming it, and so is a
    value holding a NUL, which no stored text holds and PostgreSQL refuses in a parameter."""
    found: dict[str, str] = {}
    for key in args:
        match = _BRACKETED.match(key)
        if match is None:
            continue
        kind, name = match.groups()
        if kind == "page" and name in ("number", "size"):
            continue
        if kind == "filter" and name in allowed:
            if "\x00" in args[key]:
                raise BadRequest(f"'{key}' must not contain a NUL character")
            found[name] = args[key]
            continue
        raise BadRequest(f"Unknown {kind} parameter '{quote(key)}'")
    return found


def unpaged(args: MultiDict[str, str]) -> None:
    """A list given whole: any ``page[…]``, ``filter[…]`` or ``sort`` is 400 naming it."""
    for key in args:
        match = _BRACKETED.match(key)
        if match is not None or key == "sort":
            raise BadRequest(f"Unknown {match.group(1) if match else 'sort'} parameter '{quote(key)}': "
                             "this list is neither paginated, filtered nor sorted")


def page_request(args: MultiDict[str, str], sorts: Mapping[str, str], default_sort: str = DEFAULT_SORT) -> PageRequest:
    """page[number], page[size] and sort (``sorts`` maps each name a client sorts by to its column);
    400 naming the parameter that is out of range or unknown."""
    number = _page_value(args, "number", 1, MAX_PAGE_NUMBER)
    size = _page_value(args, "size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    sort = args.get("sort", default_sort)
    name = sort.removeprefix("-")
    if name not in sorts:
        allowed = ", ".join(sorts)
        raise BadRequest(f"Unknown sort '{quote(sort)}': sort by one of {allowed}, '-' first for descending")
    return PageRequest(number=number, size=size, sort=sorts[name], descending=sort.startswith("-"))


def meta(page: Page[Any]) -> dict[str, int]:
    return {"total": page.total, "page": page.number, "per_page": page.size,
            "total_pages": math.ceil(page.total / page.size)}


def boolean(name: str, raw: str) -> bool:
    """A filter or flag of true or false (any case)."""
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise BadRequest(f"'{name}' must be true or false, not '{quote(raw)}'")
    return value == "true"


def one_of(name: str, raw: str, allowed: Collection[str]) -> str:
    if raw not in allowed:
        raise BadRequest(f"'{name}' must be one of {', '.join(allowed)}, not '{quote(raw)}'")
    return raw
