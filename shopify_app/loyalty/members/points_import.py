"""Balances brought from another loyalty app: a Smile, LoyaltyLion or generic CSV, checked row by row
(line numbers as in the file, the header being line 1) a batch at a time, each customer's balance
posted once as an opening-balance entry, so importing the same file again changes nothing."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.db import hold_write_lock
from shopify_app.errors import BadRequest
from shopify_app.loyalty.ledger import postings
from shopify_app.loyalty.members.lookup import find_customers
from shopify_app.models import Customer, EarningEntry, EntrySource, Shop

MAX_POINTS = 100_000_000
# Rows looked up, locked and posted together: one transaction each.
BATCH = 1000


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


@dataclass
class Tally:
    """What a run of a file did (or would do): balances imported and their points, rows already
    imported, rows with no points, and every row skipped with an error."""

    imported: int = 0
    points: int = 0
    already_imported: int = 0
    no_points: int = 0
    errors: list[RowOutcome] = field(default_factory=list)

    def add(self, outcome: RowOutcome) -> None:
        if not outcome.ok:
            self.errors.append(outcome)
        elif outcome.outcome == "import":
            self.imported += 1
            self.points += outcome.points or 0
        elif outcome.outcome == "already imported":
            self.already_imported += 1
        else:
            self.no_points += 1


def detect_format(header: list[str]) -> CsvFormat:
    names = {name.strip().lower() for name in header}
    for candidate in (FORMATS["loyaltylion"], FORMATS["smile"], FORMATS["generic"]):
        if {candidate.email, candidate.points} <= names:
            return candidate
    raise BadRequest("The header is none of Smile's (Customer email, Points balance), LoyaltyLion's "
                     "(email, points_approved) or the generic email,points[,lifetime_points,vip_tier]")


def read_header(header: list[str] | None, format_name: str | None) -> tuple[CsvFormat, dict[str, int]]:
    """The file's format (``format_name``'s, or the one its header shows) and its columns by name;
    BadRequest saying what is wrong with the header."""
    if header is None:
        raise BadRequest("The file is empty")
    form = FORMATS[format_name] if format_name else detect_format(header)
    columns = {name.strip().lower(): index for index, name in enumerate(header)}
    missing = [name for name in (form.email, form.points) if name not in columns]
    if missing:
        raise BadRequest(f"The header has no {', '.join(missing)} column for the {form.name} format")
    return form, columns


def import_batches(session: Session, shop: Shop, lines: Iterable[str], *, format_name: str | None = None,
                   dry_run: bool) -> Iterator[list[RowOutcome]]:
    """The outcomes of each batch of rows, in file order; unless ``dry_run``, a row without errors has
    posted the balance of a customer who had no opening balance yet by the time its batch is yielded,
    so the caller commits once per batch. Rows with errors are skipped, the rest imported."""
    reader = csv.reader(lines)
    form, columns = read_header(next(reader, None), format_name)
    seen: dict[str, int] = {}
    rows = ((reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
    while batch := list(islice(rows, BATCH)):
        yield _batch(session, shop, [_parse(form, columns, line, row) for line, row in batch], seen, dry_run)


@dataclass(frozen=True)
class _Row:
    line: int
    identifier: str
    points: int | None
    raw_points: str


def _cell(row: list[str], columns: dict[str, int], name: str | None) -> str:
    index = columns.get(name) if name else None
    return row[index].strip() if index is not None and index < len(row) else ""


def _parse(form: CsvFormat, columns: dict[str, int], line: int, row: list[str]) -> _Row:
    identifier = _cell(row, columns, form.shopify_id) or _cell(row, columns, form.email)
    raw = _cell(row, columns, form.points).replace(",", "")
    points = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 and int(raw) <= MAX_POINTS else None
    return _Row(line, identifier, points, raw)


def _batch(session: Session, shop: Shop, rows: list[_Row], seen: dict[str, int], dry_run: bool) -> list[RowOutcome]:
    """One batch: its customers found in one query (and in a real run locked in one more), those with
    an opening balance in one more, then each row decided in file order."""
    found = find_customers(session, shop.id, {row.identifier for row in rows if row.points is not None})
    customers = ({c.id: c for c in found.values()} if dry_run
                 else _lock(session, shop, {c.id for c in found.values()}))
    imported = _with_opening_balance(session, list(customers))
    outcomes = []
    for row in rows:
        outcome = _decide(row, found.get(row.identifier), seen, imported)
        if outcome.outcome == "import" and not dry_run:
            postings.grant(session, shop, customers[found[row.identifier].id], row.points or 0,
                           source=EntrySource.OPENING_BALANCE, note="Balance imported from another app")
        outcomes.append(outcome)
    return outcomes


def _decide(row: _Row, customer: Customer | None, seen: dict[str, int], imported: set[str]) -> RowOutcome:
    line, identifier, points = row.line, row.identifier, row.points
    if points is None:
        return RowOutcome(line, identifier, None, f"bad number of points: {row.raw_points or 'none'}", ok=False)
    if customer is None:
        return RowOutcome(line, identifier, points, f"unknown customer: {identifier or 'none'}", ok=False)
    if customer.id in seen:
        return RowOutcome(line, identifier, points, f"duplicate row: the customer is on line {seen[customer.id]}",
                          ok=False)
    seen[customer.id] = line
    if customer.id in imported:
        return RowOutcome(line, identifier, points, "already imported", ok=True)
    if not points:
        return RowOutcome(line, identifier, points, "no points to import", ok=True)
    return RowOutcome(line, identifier, points, "import", ok=True)


def _with_opening_balance(session: Session, customer_ids: list[str]) -> set[str]:
    if not customer_ids:
        return set()
    return set(session.scalars(select(EarningEntry.customer_id).distinct().where(
        EarningEntry.customer_id.in_(customer_ids), EarningEntry.source == EntrySource.OPENING_BALANCE.value)))


def _lock(session: Session, shop: Shop, customer_ids: set[str]) -> dict[str, Customer]:
    """postings.lock for a batch: the customers' rows locked in id order (one lock order, whoever
    else locks several) and read afresh, before their opening balances are looked for. The shop in
    the WHERE routes the locking read to the shop's shard on Citus."""
    if not customer_ids:
        return {}
    hold_write_lock(session)
    return {customer.id: customer for customer in session.scalars(
        select(Customer).where(Customer.id.in_(customer_ids), Customer.shop_id == shop.id).order_by(Customer.id)
        .with_for_update().execution_options(populate_existing=True))}
