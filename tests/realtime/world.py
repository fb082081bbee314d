"""A small organisation for the live dashboard's tests, committed to a fresh migrated database: two teams, their
supervisors and agents, an owner, one conversation each, and read tokens for each person (ingest token for the CRM).

Team A: supervisor Sinta (sup-a), agents Ana (ana) and Budi (budi). Team B: supervisor Surya (sup-b), agent Citra
(citra). Owner Olga (owner). Every name and id is distinct text, so a push can be searched for another's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pantau.auth.tokens import issue_token
from pantau.models import User
from pantau.models.enums import TokenPermission
from tests.support.auth import PASSWORD_HASH
from tests.support.builders import Dataset

PEOPLE = {
    "sup-a": ("supervisor", "team-a", "Sinta Supervisor"),
    "ana": ("agent", "team-a", "Ana Agent"),
    "budi": ("agent", "team-a", "Budi Agent"),
    "sup-b": ("supervisor", "team-b", "Surya Supervisor"),
    "citra": ("agent", "team-b", "Citra Agent"),
    "owner": ("owner", None, "Olga Owner"),
    "crm": ("owner", None, "CRM Integration"),
}


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)
    ingest_token: str = ""

    def headers(self, person: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[person]}"}


def plant(engine: Engine) -> World:
    now = datetime.now(UTC)
    with engine.begin() as connection:
        data = Dataset(connection)
        data.make_team("Team Alpha", id="team-a")
        data.make_team("Team Beta", id="team-b")
        for person, (role, team, name) in PEOPLE.items():
            data.make_user(role, team=team, name=name, id=person, password_hash=PASSWORD_HASH)
        for index in range(1, 10):
            data.make_contact(phone=f"+6281200000{index:03d}", id=f"cust-{index}")
        for person in ("ana", "budi", "citra"):
            data.make_conversation(
                now - timedelta(minutes=5), id=f"conv-{person}-0", team=PEOPLE[person][1], assigned_to=person
            )
    world = World()
    with Session(engine, expire_on_commit=False) as db, db.begin():
        for person in PEOPLE:
            if person != "crm":
                world.tokens[person] = issue_token(db, db.get(User, person), "read", now).token
        world.ingest_token = issue_token(db, db.get(User, "crm"), "ingest", now, TokenPermission.ingest).token
    return world


_counter = iter(range(1, 1_000_000))


def opened(person: str, conversation_id: str, contact: str, at: datetime) -> dict:
    """An events API body: a new conversation of `person`'s (their team's, assigned to them) and its first inbound
    message. `contact` is one of the planted contacts (cust-1..9)."""
    return {
        "events": [
            {
                "id": f"ev-{conversation_id}-conv",
                "type": "conversation.opened",
                "occurredAt": at.isoformat(),
                "data": {
                    "id": conversation_id,
                    "contactId": contact,
                    "teamId": PEOPLE[person][1],
                    "assignedTo": person,
                },
            },
            {
                "id": f"ev-{conversation_id}-msg",
                "type": "message.created",
                "occurredAt": at.isoformat(),
                "data": {
                    "id": f"msg-{conversation_id}",
                    "conversationId": conversation_id,
                    "direction": "inbound",
                    "senderType": "customer",
                },
            },
        ]
    }
