"""Bounded lists: no page renders more than `size` rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select
from sqlalchemy.orm import Session

MAX_PAGE = 100_000


@dataclass
class Page:
    """One page of results, fetched with one extra row to know whether more follow."""

    items: list[Any]
    number: int
    size: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def page_number() -> int:
    """The `page` query parameter, clamped (bad values mean the first page)."""
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), MAX_PAGE)


def paginate(session: Session, stmt: Select, size: int, number: int | None = None) -> Page:
    """Run `stmt` for one page of `size` rows."""
    number = page_number() if number is None else number
    rows = list(session.scalars(stmt.limit(size + 1).offset((number - 1) * size)).unique())
    return Page(items=rows[:size], number=number, size=size, has_next=len(rows) > size)
