"""Hand-written datasets for the tests: every row a metric test needs, with the fields it cares about spelled out.

    data = Dataset(connection)
    team = data.make_team("Sales")
    ana = data.make_user("agent", team=team)
    conv = data.make_conversation(local("2026-03-02 09:00"), assigned_to=ana)
    data.make_message(conv, local("2026-03-02 09:04"), sender="agent", sender_id=ana)

Times are aware datetimes; `local()` reads a wall-clock time in the organisation's zone, `utc()` a UTC one.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert

from pantau.models import (
    AgentActivityLog,
    Broadcast,
    Contact,
    Conversation,
    Lead,
    Message,
    Team,
    Ticket,
    User,
    WhatsappSession,
)

DEFAULT_ZONE = "Asia/Jakarta"


def local(text: str, zone: str = DEFAULT_ZONE) -> datetime:
    """`local("2026-03-02 09:00")`: that wall-clock time in the zone, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class _AtCreation:
    def __repr__(self) -> str:
        return "AT_CREATION"


AT_CREATION = _AtCreation()

_SENDER_DIRECTION = {"customer": "inbound", "agent": "outbound", "bot": "outbound", "system": "outbound"}


class Dataset:
    """Inserts rows through SQLAlchemy Core on one connection; ids are readable and unique per dataset."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._counter = itertools.count(1)

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._counter)}"

    def _insert(self, table, **values) -> str:
        self.connection.execute(insert(table.__table__).values(**values))
        return values["id"]

    def make_team(self, name: str = "Team", *, id: str | None = None) -> str:
        return self._insert(Team, id=id or self._id("team"), name=name)

    def make_user(
        self,
        role: str = "agent",
        *,
        team: str | None = None,
        name: str | None = None,
        email: str | None = None,
        is_active: bool = True,
        password_hash: str | None = None,
        id: str | None = None,
    ) -> str:
        user_id = id or self._id(role)
        return self._insert(
            User,
            id=user_id,
            email=email or f"{user_id}@example.test",
            full_name=name or user_id.replace("-", " ").title(),
            role=role,
            team_id=team,
            is_active=is_active,
            password_hash=password_hash,
            created_at=datetime(2020, 1, 1, tzinfo=UTC),
        )

    def make_contact(
        self,
        *,
        phone: str = "+6281234567890",
        name: str = "Customer",
        created_at: datetime | None = None,
        id: str | None = None,
    ) -> str:
        return self._insert(
            Contact,
            id=id or self._id("contact"),
            phone_number=phone,
            name=name,
            tags=[],
            created_at=created_at or datetime(2020, 1, 1, tzinfo=UTC),
        )

    def make_whatsapp_session(
        self,
        *,
        phone: str = "+6221555000",
        status: str = "connected",
        quality_rating: str | None = "GREEN",
        display_name: str = "Main line",
        last_seen_at: datetime | None = None,
        id: str | None = None,
    ) -> str:
        return self._insert(
            WhatsappSession,
            id=id or self._id("wa"),
            phone_number=phone,
            display_name=display_name,
            status=status,
            quality_rating=quality_rating,
            messaging_limit=1000,
            last_seen_at=last_seen_at,
        )

    def make_broadcast(
        self,
        created_at: datetime,
        *,
        name: str = "Campaign",
        whatsapp_session: str | None = None,
        id: str | None = None,
    ) -> str:
        return self._insert(
            Broadcast,
            id=id or self._id("broadcast"),
            name=name,
            whatsapp_session_id=whatsapp_session,
            template_name="promo_v1",
            created_at=created_at,
        )

    def make_conversation(
        self,
        created_at: datetime,
        *,
        contact: str | None = None,
        team: str | None = None,
        assigned_to: str | None = None,
        status: str = "open",
        resolved_at: datetime | None = None,
        handled_by_bot: bool = False,
        escalated_at: datetime | None = None,
        intent: str | None = None,
        csat_score: int | None = None,
        broadcast: str | None = None,
        whatsapp_session: str | None = None,
        inbound_at: datetime | None | _AtCreation = AT_CREATION,
        id: str | None = None,
    ) -> str:
        """A conversation; by default its customer's first inbound message arrives at `created_at`.

        Pass `inbound_at=None` for a conversation without any inbound message (no c0).
        """
        conversation_id = self._insert(
            Conversation,
            id=id or self._id("conv"),
            contact_id=contact or self.make_contact(),
            whatsapp_session_id=whatsapp_session,
            team_id=team,
            assigned_to=assigned_to,
            status=status,
            created_at=created_at,
            resolved_at=resolved_at,
            handled_by_bot=handled_by_bot,
            escalated_at=escalated_at,
            intent=intent,
            csat_score=csat_score,
            broadcast_id=broadcast,
        )
        if inbound_at is not None:
            self.make_message(
                conversation_id, created_at if inbound_at is AT_CREATION else inbound_at, sender="customer"
            )
        return conversation_id

    def make_answered_conversation(
        self, created_at: datetime, response_seconds: float, *, agent: str | None = None, **conversation
    ) -> str:
        """A conversation whose customer writes at `created_at` and whose first agent reply (from `agent`, who is
        also the assignee) comes `response_seconds` later."""
        conversation_id = self.make_conversation(created_at, assigned_to=agent, **conversation)
        self.make_message(
            conversation_id, created_at + timedelta(seconds=response_seconds), sender="agent", sender_id=agent
        )
        return conversation_id

    def make_message(
        self,
        conversation: str,
        created_at: datetime,
        *,
        sender: str = "customer",
        sender_id: str | None = None,
        status: str | None = None,
        sent_at: datetime | None = None,
        delivered_at: datetime | None = None,
        read_at: datetime | None = None,
        failed_at: datetime | None = None,
        error_code: int | None = None,
        error_title: str | None = None,
        broadcast: str | None = None,
        is_auto_reply: bool = False,
        pricing_category: str | None = None,
        billable: bool | None = None,
        whatsapp_message_id: str | None = None,
        id: str | None = None,
    ) -> str:
        """A message; `sender` (customer, agent, bot, system) decides the direction."""
        return self._insert(
            Message,
            id=id or self._id("msg"),
            conversation_id=conversation,
            direction=_SENDER_DIRECTION[sender],
            sender_type=sender,
            sender_id=sender_id,
            whatsapp_message_id=whatsapp_message_id,
            broadcast_id=broadcast,
            is_auto_reply=is_auto_reply,
            created_at=created_at,
            status=status,
            sent_at=sent_at,
            delivered_at=delivered_at,
            read_at=read_at,
            failed_at=failed_at,
            error_code=error_code,
            error_title=error_title,
            pricing_category=pricing_category,
            billable=billable,
        )

    def make_ticket(
        self,
        created_at: datetime,
        *,
        priority: str = "medium",
        status: str = "open",
        team: str | None = None,
        assigned_to: str | None = None,
        conversation: str | None = None,
        contact: str | None = None,
        resolved_at: datetime | None = None,
        closed_at: datetime | None = None,
        id: str | None = None,
    ) -> str:
        return self._insert(
            Ticket,
            id=id or self._id("ticket"),
            conversation_id=conversation,
            contact_id=contact,
            team_id=team,
            assigned_to=assigned_to,
            priority=priority,
            status=status,
            created_at=created_at,
            resolved_at=resolved_at,
            closed_at=closed_at,
        )

    def make_lead(
        self,
        created_at: datetime,
        *,
        status: str = "new",
        value: Decimal | int | str | None = None,
        contact: str | None = None,
        conversation: str | None = None,
        broadcast: str | None = None,
        won_at: datetime | None = None,
        id: str | None = None,
    ) -> str:
        return self._insert(
            Lead,
            id=id or self._id("lead"),
            contact_id=contact,
            conversation_id=conversation,
            broadcast_id=broadcast,
            status=status,
            value=None if value is None else Decimal(str(value)),
            created_at=created_at,
            won_at=won_at,
        )

    def make_activity(
        self, agent: str, status: str, started_at: datetime, ended_at: datetime | None = None, *, id: str | None = None
    ) -> str:
        """An agent status log; `ended_at=None` is the agent's current status."""
        return self._insert(
            AgentActivityLog,
            id=id or self._id("activity"),
            agent_id=agent,
            status=status,
            started_at=started_at,
            ended_at=ended_at,
        )
