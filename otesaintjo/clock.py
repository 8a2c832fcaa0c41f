"""The one place that reads the time, so tests can freeze it (time-machine patches it)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

REUNION = ZoneInfo("Indian/Reunion")


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(UTC)
