"""The dataset sizes of SPEC §10."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSize:
    name: str
    days: int  # whole local days before today; today is filled up to the anchor time
    teams: int
    agents: int
    conversations: int  # target, all kinds together; the real count lands within a few percent
    whatsapp_numbers: int
    postgres_only: bool = False


SIZES = {
    "S": DemoSize("S", days=7, teams=2, agents=12, conversations=5_000, whatsapp_numbers=3),
    "M": DemoSize("M", days=90, teams=6, agents=60, conversations=150_000, whatsapp_numbers=4),
    "L": DemoSize("L", days=365, teams=10, agents=200, conversations=1_000_000, whatsapp_numbers=6, postgres_only=True),
}
