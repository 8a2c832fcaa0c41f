"""The outbox: work to do after a commit (emails, SMS, transfers, refunds, expiry, alerts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


class Job(SQLModel, table=True):
    """A durable job written in the same transaction as the change that causes it.

    A worker claims it (``attempts`` + 1, ``locked_until`` = its lease, ``claimed_by`` = a
    token of that claim), renews the lease while the handler runs, then writes the outcome
    only if the token is still its own. ``failed_at``: the dead letter, after
    ``jobs_max_attempts`` attempts (staff see and replay them)."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_due", "done_at", "run_at"),
        # The dead letters, newest first (staff's list): a few rows among millions done.
        Index(
            "ix_job_failed",
            "id",
            postgresql_where=text("failed_at IS NOT NULL"),
            sqlite_where=text("failed_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=50)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    run_at: datetime = timestamp_field(default_now=True)
    attempts: int = Field(default=0)
    locked_until: datetime | None = timestamp_field(nullable=True)
    claimed_by: str | None = Field(default=None, max_length=100)
    """``host:pid:claim`` of the last claim: the fence of its outcome, and who ran it."""
    last_error: str | None = Field(default=None, max_length=1000)
    done_at: datetime | None = timestamp_field(nullable=True)
    failed_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field(default_now=True)
