"""The outbox: work to do after a commit (emails now; SMS, transfers, timeouts later)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


class Job(SQLModel, table=True):
    """A durable job written in the same transaction as the change that causes it."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_due", "done_at", "run_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=50)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    run_at: datetime = timestamp_field(default_now=True)
    attempts: int = Field(default=0)
    locked_until: datetime | None = timestamp_field(nullable=True)
    last_error: str | None = Field(default=None, max_length=1000)
    done_at: datetime | None = timestamp_field(nullable=True)
    failed_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field(default_now=True)
