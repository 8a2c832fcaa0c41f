"""Keyset sort keys, shared by the services that build listings and the pagination code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term. ``name``: the label of a computed column in the row (else the
    entity attribute named like the column)."""

    column: Any
    descending: bool = False
    name: str | None = None

    def value(self, row: Any) -> Any:
        if self.name is not None:
            return getattr(row, self.name)  # a row's labelled column, by attribute
        return getattr(row[0], self.column.key)
