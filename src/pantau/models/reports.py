"""Pantau's report tables (SPEC §8.4): schedules, and one row per run with its outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pantau.core.types import JSONType, UTCDateTime
from pantau.models.base import Base, checked_enum
from pantau.models.crm import ID
from pantau.models.enums import ReportCadence, ReportFormat, ReportRunState


class ReportSchedule(Base):
    """A report mailed on a cadence, rendered with its owner's scope at every run (narrowed to `team_id` if set)."""

    __tablename__ = "report_schedules"
    __table_args__ = (Index(None, "next_run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # E-mail addresses, lower case. One who unsubscribes is taken off the list.
    recipients: Mapped[list] = mapped_column(JSONType)
    cadence: Mapped[ReportCadence] = mapped_column(checked_enum(ReportCadence, "cadence"))
    # Local time of day in TIMEZONE, "HH:MM".
    at_time: Mapped[str] = mapped_column(String(5))
    # Weekly: 0 = Monday .. 6 = Sunday. Monthly: the day of the month, 1..28.
    weekday: Mapped[int | None] = mapped_column(Integer)
    month_day: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[ReportFormat] = mapped_column(checked_enum(ReportFormat, "format"))
    language: Mapped[str] = mapped_column(String(2))
    team_id: Mapped[str | None] = mapped_column(ID)
    # The summary's parts to include (pantau.reports.figures.SUMMARY_PARTS); null: all of them.
    sections: Mapped[list | None] = mapped_column(JSONType)
    # When the next run is due; a scheduler claims it by moving this forward only if it still holds the value it read.
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportRun(Base):
    """One sending of a schedule: due at `due_at` (or asked for by hand), tried up to REPORT_MAX_ATTEMPTS times."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at"), Index(None, "state", "next_attempt_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(Integer, ForeignKey("report_schedules.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[ReportRunState] = mapped_column(checked_enum(ReportRunState, "state"))
    attempts: Mapped[int] = mapped_column(Integer)
    # pending: when to try; sending: until when the claim holds (a scheduler that died leaves it to another then).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[list | None] = mapped_column(JSONType)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(1000))
