"""Shapes shared by the sections' responses (SPEC §3, §5): camelCase keys, comparisons, the range block."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Trend = Literal["up", "down", "stable"]
Status = Literal["good", "warning", "critical"]


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


def with_business_hours():
    """A field sent only with business hours set (SPEC §8.5): its `businessTime` values (the same figures counted
    in business time) are absent without them, so answers without business hours stay as they were."""
    return Field(None, exclude_if=lambda value: value is None)


class Comparison(CamelModel):
    """A figure with the previous period's value: change = |value - previous| / previous x 100. Counts stay whole
    numbers in JSON (314, not 314.0)."""

    value: int | float | None
    previous: int | float | None
    change: float | None
    trend: Trend


class AgentBusinessTime(CamelModel):
    """A person's mean first response counted in business time (SPEC §8.5)."""

    avg_response_time: float | None


class RangeInfo(CamelModel):
    start: str
    end: str
    previous_start: str
    previous_end: str
    timezone: str


class OutdatedSnapshots(CamelModel):
    """Snapshots made under another SLA target than the one in force were left aside: the figures they would have
    given are computed live from the raw tables until a backfill (`pantau aggregate backfill`) rewrites them."""

    sla_target_seconds: float
    snapshot_sla_target_seconds: list[float]
    # Snapshots made under other business hours or holidays (SPEC §8.5): "hours|holidays" as they were ("" for
    # none), next to the ones in force. Sent only when some were left aside for that reason.
    business_hours: str | None = with_business_hours()
    snapshot_business_hours: list[str] | None = with_business_hours()


class SectionResponse(CamelModel):
    range: RangeInfo
    generated_at: datetime
    # Null unless snapshots were left aside because a setting they depend on changed (SPEC §8.5).
    outdated_snapshots: OutdatedSnapshots | None = None
