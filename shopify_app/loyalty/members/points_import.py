"""Balances brought from another loyalty app: a Smile, LoyaltyLion or generic CSV, checked row by row
(line numbers as in the file, the header being line 1), each customer's balance posted once as an
opening-balance entry, so importing the same file again changes nothing."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.db import hold_write_lock
from shopify_app.errors import BadRequest, NotFound
from shopify_app.loyalty.ledger import postings
from shopify_app.loyalty.members.lookup import find_customer
from shopify_app.models import Customer, EarningEntry, EntrySource, Shop

MAX_POINTS = 100_000_000


@dataclass(frozen=True)
class CsvFormat:
    """Where a format keeps the customer (by email, or by Shopify id) and their points balance."""

    name: str
    email: str
    points: str
    shopify_id: str | None = None


# Header names compared in lower case, surrounding spaces removed.
FORMATS = {
    "smile": CsvFormat("smile", email="customer email", points="points balance"),
    "loyaltylion": CsvFormat("loyaltylion", email="email", points="points_approved", shopify_id="merchant_id"),
    "generic": CsvFormat("generic", email="email", points="points"),
}


@dataclass(frozen=True)
class RowOutcome:
    """One data row: its line in the file, whom it names, and what happens (or why it is skipped)."""

    line: int
    customer: str
    points: int | None
    outcome: str  # "import", "already imported" or the error
    ok: bool


def detect_format(header: list[str]) -> CsvFormat:
    names = {name.strip().lower() for name in header}
    for candidate in (FORMATS["loyaltylion"], FORMATS["smile"], FORMATS["generic"]):
        if {candidate.email, candidate.points} <= names:
            return candidate
    raise BadRequest("The header is none of Smile's (Customer email, Points balance), LoyaltyLion's "
                     "(email, points_approved) or the generic email,points[,lifetime_points,vip_tier]")


def import_points(session: Session, shop: Shop, lines: Iterable[str], *, format_name: str | None = None,
                  dry_run: bool) -> Iterator[RowOutcome]:
    """Each row's outcome, in file order; unless ``dry_run``, a row without errors posts the balance
    of a customer who has no opening balance yet. Rows with errors are skipped, the rest imported."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise BadRequest("The file is empty")
    form = FORMATS[format_name] if format_name else detect_format(header)
    columns = {name.strip().lower(): index for index, name in enumerate(header)}
    missing = [name for name in (form.email, form.points) if name not in columns]
    if missing:
        raise BadRequest(f"The header has no {', '.join(missing)} column for the {form.name} format")
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        yield _row(session, shop, form, columns, row, line, seen, dry_run)


def _cell(row: list[str], columns: dict[str, int], name: str | None) -> str:
    index = columns.get(name) if name else None
    return row[index].strip() if index is not None and index < len(row) else ""


def _row(session: Session, shop: Shop, form: CsvFormat, columns: dict[str, int], row: list[str], line: int,
         seen: dict[str, int], dry_run: bool) -> RowOutcome:
    identifier = _cell(row, columns, form.shopify_id) or _cell(row, columns, form.email)
    raw = _cell(row, columns, form.points).replace(",", "")
    points = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 and int(raw) <= MAX_POINTS else None
    if points is None:
        return RowOutcome(line, identifier, None, f"bad number of points: {raw or 'none'}", ok=False)
    try:
        customer = find_customer(session, shop.id, identifier) if identifier else None
    except NotFound:
        customer = None
    if customer is None:
        return RowOutcome(line, identifier, points, f"unknown customer: {identifier or 'none'}", ok=False)
    if customer.id in seen:
        return RowOutcome(line, identifier, points, f"duplicate row: the customer is on line {seen[customer.id]}",
                          ok=False)
    seen[customer.id] = line
    if _has_opening_balance(session, customer):
        return RowOutcome(line, identifier, points, "already imported", ok=True)
    if not points:
        return RowOutcome(line, identifier, points, "no points to import", ok=True)
    if not dry_run:
        _lock(session, customer)
        postings.grant(session, shop, customer, points, source=EntrySource.OPENING_BALANCE,
                       note="Balance imported from another app")
    return RowOutcome(line, identifier, points, "import", ok=True)


def _has_opening_balance(session: Session, customer: Customer) -> bool:
    return session.scalar(select(EarningEntry.id).where(
        EarningEntry.customer_id == customer.id, EarningEntry.source == EntrySource.OPENING_BALANCE.value,
    ).limit(1)) is not None


def _lock(session: Session, customer: Customer) -> None:
    """postings.lock for a customer found with their tier joined: PostgreSQL locks no row of the
    nullable side of an outer join, so the row is locked and read afresh by a query of its own."""
    hold_write_lock(session)
    session.scalars(select(Customer).where(Customer.id == customer.id).with_for_update()
                    .execution_options(populate_existing=True)).one()
