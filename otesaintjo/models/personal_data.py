"""Personal data: the archives a customer asks for (GDPR art. 15 and 20)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


class DataExportStatus:
    PENDING = "PENDING"  # asked: the job builds the archive
    READY = "READY"  # in the private store; the link was emailed, valid until ``expires_at``
    EXPIRED = "EXPIRED"  # the link ran out and the file was deleted


class DataExport(SQLModel, table=True):
    """One ``requestMyDataExport``: the archive's private key, and when its link expires.

    The row holds no personal data besides dates; it counts the requests of the last 24 hours
    (the daily limit) and records that the request was answered (kept a year)."""

    __tablename__ = "data_export"
    __table_args__ = (Index("ix_data_export_user_requested", "user_id", "requested_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    )
    status: str = Field(
        default=DataExportStatus.PENDING, sa_column=Column(String(10), nullable=False)
    )
    blob_key: str = Field(max_length=200)
    requested_at: datetime = timestamp_field(default_now=True)
    ready_at: datetime | None = timestamp_field(nullable=True)
    expires_at: datetime | None = timestamp_field(nullable=True, index=True)
