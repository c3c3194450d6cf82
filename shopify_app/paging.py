"""One page of a statement's rows: the ids from an index alone, then only those rows, and the total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql.elements import UnaryExpression

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """Which page, how big, and the order: a column name and whether it runs downwards."""

    number: int
    size: int
    sort: str
    descending: bool


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    number: int
    size: int


def read_page(session: Session, model: type[T], ids: Select[Any], request: PageRequest,
              *options: ORMOption) -> Page[T]:
    """``ids`` selects the primary keys of the rows that match; they are ordered by the sort column,
    then the id (so equal values keep one order), and cut to the page before any row is read. With an
    index on (scope, sort column, id) a deep page skips index entries, never table rows."""
    id_column = model.id  # type: ignore[attr-defined]
    column = getattr(model, request.sort)
    order: tuple[UnaryExpression[Any], ...] = (
        (column.desc(), id_column.desc()) if request.descending else (column.asc(), id_column.asc())
    )
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    page_ids = ids.order_by(*order).offset((request.number - 1) * request.size).limit(request.size).subquery()
    rows = session.scalars(
        select(model).options(*options).join(page_ids, page_ids.c.id == id_column).order_by(*order)
    )
    return Page(rows=list(rows), total=total, number=request.number, size=request.size)
