"""Progress of a long seed: rich's bars on a terminal (when rich is installed), plain lines
otherwise — in a log, a line per tenth of each table, with the seconds elapsed."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

LABELS = {
    "user_account": "Comptes",
    "shop": "Boutiques",
    "shop_member": "Commerçants",
    "shop_category": "Catégories",
    "product": "Produits",
    "product_image": "Photos",
    "product_price": "Historique des prix",
    "promotion": "Promotions",
    "promotion_product": "Produits en promotion",
    "shop_review": "Avis",
    "platform_review": "Avis sur la plateforme",
}


class PlainProgress:
    def __init__(self, echo: Callable[[str], None] = print) -> None:
        self.echo = echo
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.started = time.monotonic()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass

    def start(self, totals: dict[str, int]) -> None:
        self.totals = dict(totals)

    def advance(self, table: str, rows: int) -> None:
        before = self.done.get(table, 0)
        after = self.done[table] = before + rows
        total = self.totals.get(table, 0)
        if total and after * 10 // total == before * 10 // total:
            return  # a line per tenth of the table
        counted = f"{after:,}/{total:,}" if total else f"{after:,}"
        elapsed = time.monotonic() - self.started
        self.echo(f"  {LABELS.get(table, table)} : {counted} ({elapsed:.0f} s)")

    def step(self, label: str) -> None:
        self.echo(f"{label}… ({time.monotonic() - self.started:.0f} s)")


class RichProgress:
    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bars = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self.bars.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bars.__exit__(*exc)

    def start(self, totals: dict[str, int]) -> None:
        """A bar per table, in load order (no total where it is known only while loading)."""
        for table in (*LABELS, *(t for t in totals if t not in LABELS)):
            self.tasks[table] = self.bars.add_task(
                LABELS.get(table, table), total=totals.get(table)
            )

    def advance(self, table: str, rows: int) -> None:
        task = self.tasks.get(table)
        if task is None:
            task = self.tasks[table] = self.bars.add_task(LABELS.get(table, table), total=None)
        self.bars.advance(task, rows)

    def step(self, label: str) -> None:
        self.bars.console.log(label)


def console_progress() -> AbstractContextManager[PlainProgress | RichProgress]:
    """Bars on a terminal (if rich is there), plain lines in a log."""
    if sys.stdout.isatty():
        try:
            return RichProgress()
        except ImportError:
            pass
    return PlainProgress()
