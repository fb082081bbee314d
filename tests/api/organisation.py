"""The organisation the HTTP tests read: two teams, every role, and rows planted inside, across and outside them.

People (ids are their names in lower case):

    team-a "Alpha"   Ani, Arif (agents) · Sari (supervisor) · Maya (manager)
    team-b "Bravo"   Budi (agent) · Bayu (supervisor)
    no team          Nina (manager) · Olga (owner) · Adi (admin)

Conversations, all created today (local time) on the one WhatsApp session; "out" lists the outbound messages with
their delivery status:

    id              team  assignee  kind                      status    out
    ani-answered    A     Ani       human, answered by Ani    resolved  Ani: read, delivered
    ani-waiting     A     Ani       human, unanswered         open      -
    arif-answered   A     Arif      human, answered by Arif   pending   Arif: delivered
    a-bot-only      A     -         bot-only                  resolved  bot: delivered
    arif-escalated  A     Arif      escalated bot -> Arif     open      bot: sent · Arif: FAILED (+62812345678)
    b-for-ani       B     Ani       human, answered by Ani    open      Ani: delivered      (team B, assignee in A)
    budi-answered   B     Budi      human, answered by Budi   resolved  Budi: read
    b-waiting       B     -         human, unanswered         open      system: FAILED (+6281398765432)
    b-bot-only      B     -         bot-only                  open      bot: read
    orphan          -     -         human, unanswered         open      system: queued
    nina-answered   -     Nina      human, answered by Nina   pending   Nina: sent
    a-campaign      A     -         started by the broadcast  open      broadcast "Promo Ramadan": read; the customer
                                    (reply, unanswered)                 replies

So, by scope (SPEC §4: a team's conversations are its own and those assigned to its members):

    Ani's own         ani-answered, ani-waiting, b-for-ani                                        3
    team A            ani-answered, ani-waiting, arif-answered, a-bot-only, arif-escalated,
                      b-for-ani, a-campaign                                                       7
    team B            b-for-ani, budi-answered, b-waiting, b-bot-only                             4
    Nina's own        nina-answered                                                               1
    organisation      all                                                                         12

Tickets: urgent open (A, Ani) · high in_progress (A, Arif) · medium open (B, Budi) · low resolved today (B, assigned
to Ani) · urgent open (no team, unassigned).
Leads, all created today: won 250 (a-campaign, the broadcast's; won today) · qualified (ani-answered) · new
(budi-answered) · new (no conversation).
Status logs, still open: Ani online, Arif away, Budi online; Nina was online earlier and is offline now.

Every timestamp lies in [max(local midnight, now - 2 h), now) at the moment the organisation is planted, in the order
above, so `dateRange=today` (and kpi's "today") covers all of it whenever the tests run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.orm import Session

from pantau.auth.tokens import issue_token
from pantau.core.windows import local_date, local_midnight
from pantau.models import User
from tests.support.auth import PASSWORD_HASH, sign_in
from tests.support.builders import DEFAULT_ZONE, Dataset

TEAM_A = "team-a"
TEAM_B = "team-b"

# Who calls, by role as the issue names them, and the user they sign in as.
CALLERS = {
    "agent": "ani",
    "supervisor A": "sari",
    "supervisor B": "bayu",
    "manager": "maya",
    "manager without team": "nina",
    "owner": "olga",
    "admin": "adi",
}

# The numbers planted, and how supervisors and managers must see them (SPEC §4: `+62812****678`).
FAILING_CUSTOMER_PHONE = "+62812345678"
FAILING_CUSTOMER_PHONE_MASKED = "+62812****678"
TEAM_B_CUSTOMER_PHONE = "+6281398765432"
TEAM_B_CUSTOMER_PHONE_MASKED = "+62813****432"
SESSION_PHONE = "+62215550012"
SESSION_PHONE_MASKED = "+62215****012"
MASKED = {
    FAILING_CUSTOMER_PHONE: FAILING_CUSTOMER_PHONE_MASKED,
    TEAM_B_CUSTOMER_PHONE: TEAM_B_CUSTOMER_PHONE_MASKED,
    SESSION_PHONE: SESSION_PHONE_MASKED,
}

FAILED_IN_TEAM_A = "msg-arif-failed"
FAILED_IN_TEAM_B = "msg-b-system-failed"
BROADCAST = "bc-promo"

# Steps between planted events; 40 of them fit in the time since max(local midnight, now - 2 h).
_STEPS = 40


class Timeline:
    """Instants after max(local midnight, now - 2 h) and before now, `at(k)` for k = 0 .. 39, in order."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.start = max(local_midnight(local_date(now, zone), zone), now - timedelta(hours=2))
        self.step = (now - self.start) / _STEPS

    def at(self, k: int) -> datetime:
        return self.start + k * self.step


@dataclass
class Organisation:
    """The planted organisation, and credentials for its people."""

    session: Session
    timeline: Timeline
    _tokens: dict[str, str] = field(default_factory=dict)

    def bearer(self, role: str) -> dict[str, str]:
        """An `Authorization: Bearer` header for the caller of `role` (an API token issued for them)."""
        if role not in self._tokens:
            user = self.session.get(User, CALLERS[role])
            self._tokens[role] = issue_token(self.session, user, "http tests", self.timeline.at(0)).token
        return {"Authorization": f"Bearer {self._tokens[role]}"}

    def sign_in(self, client: TestClient, role: str) -> None:
        """Sign in at the real `POST /login` as the caller of `role`; the client keeps the session cookie."""
        response = sign_in(client, f"{CALLERS[role]}@example.test")
        assert response.status_code == 303, response.text

    def read(self, client: TestClient, role: str | None, section: str, **parameters: str) -> Response:
        """`GET /api/dashboard/<section>` with `dateRange=today` unless other range parameters are given (kpi ignores
        it): as `role` with an API token, or with the client's session cookie when `role` is None."""
        if not {"dateRange", "period", "startDate", "endDate"} & parameters.keys():
            parameters = {"dateRange": "today", **parameters}
        headers = self.bearer(role) if role is not None else None
        return client.get(f"/api/dashboard/{section}", params=parameters, headers=headers)


def plant_people(data: Dataset, session: Session, *, now: datetime) -> Organisation:
    """The teams and the people only: enough for a request that is refused, or reads an empty organisation."""
    data.make_team("Alpha", id=TEAM_A)
    data.make_team("Bravo", id=TEAM_B)
    for user_id, role, team in [
        ("ani", "agent", TEAM_A),
        ("arif", "agent", TEAM_A),
        ("sari", "supervisor", TEAM_A),
        ("maya", "manager", TEAM_A),
        ("budi", "agent", TEAM_B),
        ("bayu", "supervisor", TEAM_B),
        ("nina", "manager", None),
        ("olga", "owner", None),
        ("adi", "admin", None),
    ]:
        data.make_user(role, team=team, id=user_id, name=user_id.title(), password_hash=PASSWORD_HASH)
    return Organisation(session=session, timeline=Timeline(now, ZoneInfo(DEFAULT_ZONE)))


def plant_organisation(data: Dataset, session: Session, *, now: datetime) -> Organisation:
    """The people and every row of the module docstring."""
    organisation = plant_people(data, session, now=now)
    at = organisation.timeline.at

    line = data.make_whatsapp_session(phone=SESSION_PHONE, display_name="Main line", last_seen_at=at(0), id="wa-main")

    def conversation(conversation_id: str, k: int, **fields) -> str:
        return data.make_conversation(at(k), whatsapp_session=line, id=conversation_id, **fields)

    def reply(conversation_id: str, k: int, sender: str, status: str, **fields) -> str:
        return data.make_message(conversation_id, at(k), sender=sender, status=status, **fields)

    # Team A.
    conversation("ani-answered", 1, team=TEAM_A, assigned_to="ani", status="resolved", resolved_at=at(4))
    reply("ani-answered", 2, "agent", "read", sender_id="ani")
    reply("ani-answered", 3, "agent", "delivered", sender_id="ani")
    conversation("ani-waiting", 5, team=TEAM_A, assigned_to="ani")
    conversation("arif-answered", 6, team=TEAM_A, assigned_to="arif", status="pending")
    reply("arif-answered", 7, "agent", "delivered", sender_id="arif")
    conversation("a-bot-only", 8, team=TEAM_A, handled_by_bot=True, status="resolved", resolved_at=at(10))
    reply("a-bot-only", 9, "bot", "delivered", is_auto_reply=True)
    failing_customer = data.make_contact(phone=FAILING_CUSTOMER_PHONE, name="Failing customer")
    conversation(
        "arif-escalated",
        11,
        team=TEAM_A,
        assigned_to="arif",
        contact=failing_customer,
        handled_by_bot=True,
        escalated_at=at(13),
    )
    reply("arif-escalated", 12, "bot", "sent")
    reply(
        "arif-escalated",
        14,
        "agent",
        "failed",
        sender_id="arif",
        failed_at=at(14),
        error_code=131026,
        error_title="Message undeliverable",
        id=FAILED_IN_TEAM_A,
    )

    # Team B, the first one assigned across teams.
    conversation("b-for-ani", 15, team=TEAM_B, assigned_to="ani")
    reply("b-for-ani", 16, "agent", "delivered", sender_id="ani")
    conversation("budi-answered", 17, team=TEAM_B, assigned_to="budi", status="resolved", resolved_at=at(19))
    reply("budi-answered", 18, "agent", "read", sender_id="budi")
    team_b_customer = data.make_contact(phone=TEAM_B_CUSTOMER_PHONE, name="Team B customer")
    conversation("b-waiting", 20, team=TEAM_B, contact=team_b_customer)
    reply(
        "b-waiting",
        21,
        "system",
        "failed",
        failed_at=at(21),
        error_code=131047,
        error_title="Re-engagement message",
        id=FAILED_IN_TEAM_B,
    )
    conversation("b-bot-only", 22, team=TEAM_B, handled_by_bot=True)
    reply("b-bot-only", 23, "bot", "read", is_auto_reply=True)

    # No team.
    conversation("orphan", 24)
    reply("orphan", 25, "system", "queued")
    conversation("nina-answered", 26, assigned_to="nina", status="pending")
    reply("nina-answered", 27, "agent", "sent", sender_id="nina")

    # The broadcast, and the conversation it started in team A.
    data.make_broadcast(at(28), name="Promo Ramadan", whatsapp_session=line, id=BROADCAST)
    campaign_customer = data.make_contact(name="Campaign customer")
    conversation("a-campaign", 28, team=TEAM_A, contact=campaign_customer, broadcast=BROADCAST, inbound_at=None)
    reply("a-campaign", 28, "system", "read", broadcast=BROADCAST)
    data.make_message("a-campaign", at(29), sender="customer")

    data.make_ticket(
        at(30), priority="urgent", team=TEAM_A, assigned_to="ani", conversation="ani-waiting", id="t-ani-urgent"
    )
    data.make_ticket(at(30), priority="high", status="in_progress", team=TEAM_A, assigned_to="arif", id="t-arif-high")
    data.make_ticket(at(30), priority="medium", team=TEAM_B, assigned_to="budi", id="t-budi-medium")
    data.make_ticket(
        at(30),
        priority="low",
        status="resolved",
        team=TEAM_B,
        assigned_to="ani",
        resolved_at=at(31),
        id="t-ani-resolved",
    )
    data.make_ticket(at(30), priority="urgent", id="t-nobody-urgent")

    data.make_lead(
        at(30),
        status="won",
        value=250,
        contact=campaign_customer,
        conversation="a-campaign",
        broadcast=BROADCAST,
        won_at=at(31),
    )
    data.make_lead(at(30), status="qualified", conversation="ani-answered")
    data.make_lead(at(30), conversation="budi-answered")
    data.make_lead(at(30))

    data.make_activity("ani", "online", at(0))
    data.make_activity("arif", "away", at(0))
    data.make_activity("budi", "online", at(0))
    data.make_activity("nina", "online", at(0), at(1))

    return organisation
