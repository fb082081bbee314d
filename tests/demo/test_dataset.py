"""The loaded demo, on SQLite and PostgreSQL: every figure of SPEC §5 has data to show, and the data is coherent."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, insert, select

from pantau.auth.passwords import verify_password
from pantau.demo.loader import DemoRefused, load
from pantau.models import (
    AgentActivityLog,
    Broadcast,
    Contact,
    Conversation,
    Lead,
    Message,
    Ticket,
    User,
    WhatsappSession,
)
from tests.demo.conftest import NOW, fingerprint, generated_rows, small_generator, stored_rows

SLA_SECONDS = 300
# The WhatsApp Cloud API's own codes and titles.
CLOUD_API_ERRORS = {
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131016: "Service unavailable",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131048: "Spam rate limit hit",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131051: "Unsupported message type",
    131053: "Media upload error",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132001: "Template does not exist",
}


def rows(engine: Engine, *columns, where=None) -> list:
    statement = select(*columns)
    if where is not None:
        statement = statement.where(where)
    with engine.connect() as connection:
        return connection.execute(statement).all()


def distinct(engine: Engine, column) -> set[str]:
    with engine.connect() as connection:
        return {str(value) for value in connection.scalars(select(column).distinct()) if value is not None}


@dataclass
class ConversationFacts:
    """SPEC §3's conversation facts, worked out from the rows."""

    row: object
    senders: list[tuple[datetime, str]] = field(default_factory=list)

    @property
    def c0(self) -> datetime | None:
        return min((at for at, sender in self.senders if sender == "customer"), default=None)

    @property
    def bot_engaged(self) -> bool:
        return self.row.handled_by_bot or any(sender == "bot" for _, sender in self.senders)

    @property
    def escalated(self) -> bool:
        return self.bot_engaged and (
            self.row.escalated_at is not None or any(sender == "agent" for _, sender in self.senders)
        )

    @property
    def bot_only(self) -> bool:
        return self.bot_engaged and not self.escalated

    @property
    def needs_human(self) -> bool:
        return self.c0 is not None and not self.bot_only

    @property
    def first_response_seconds(self) -> float | None:
        s0 = self.row.escalated_at or self.c0
        answers = [at for at, sender in self.senders if sender == "agent" and at >= s0]
        return (min(answers) - s0).total_seconds() if answers else None

    @property
    def last_sender(self) -> str | None:
        return max(self.senders)[1] if self.senders else None


@pytest.fixture(scope="module")
def conversations(demo_engine) -> dict[str, ConversationFacts]:
    facts = {row.id: ConversationFacts(row) for row in rows(demo_engine, Conversation.__table__)}
    for conversation_id, created_at, sender in rows(
        demo_engine, Message.conversation_id, Message.created_at, Message.sender_type
    ):
        facts[conversation_id].senders.append((created_at, str(sender)))
    return facts


def test_the_database_holds_exactly_the_generated_rows(demo_engine, demo_password_hash):
    expected = fingerprint(generated_rows(small_generator(demo_password_hash).batches()))
    assert fingerprint(stored_rows(demo_engine)) == expected


def test_every_value_of_the_contract_enumerations_appears(demo_engine):
    assert distinct(demo_engine, Conversation.status) == {"open", "pending", "resolved", "closed"}
    assert distinct(demo_engine, Ticket.priority) == {"urgent", "high", "medium", "low"}
    assert distinct(demo_engine, Ticket.status) == {"open", "in_progress", "resolved", "closed"}
    assert distinct(demo_engine, Lead.status) == {"new", "qualified", "won", "lost"}
    assert distinct(demo_engine, Message.status) == {"queued", "sent", "delivered", "read", "failed"}
    assert distinct(demo_engine, Message.sender_type) == {"customer", "agent", "bot", "system"}
    assert distinct(demo_engine, Message.pricing_category) == {"service", "utility", "authentication", "marketing"}
    assert distinct(demo_engine, AgentActivityLog.status) == {"online", "away", "offline"}
    assert distinct(demo_engine, WhatsappSession.status) == {"connected", "connecting", "disconnected"}
    assert distinct(demo_engine, User.role) == {"owner", "admin", "manager", "supervisor", "agent"}


def test_nothing_happens_after_now(demo_engine):
    columns = [
        Conversation.created_at,
        Conversation.resolved_at,
        Conversation.escalated_at,
        Message.created_at,
        Message.sent_at,
        Message.delivered_at,
        Message.read_at,
        Message.failed_at,
        Ticket.created_at,
        Ticket.resolved_at,
        Ticket.closed_at,
        Lead.created_at,
        Lead.won_at,
        AgentActivityLog.started_at,
        AgentActivityLog.ended_at,
        Broadcast.created_at,
        Contact.created_at,
        WhatsappSession.last_seen_at,
    ]
    for column in columns:
        assert rows(demo_engine, func.max(column))[0][0] <= NOW, column


def test_service_replies_are_free_and_templates_are_billed(demo_engine):
    billing = set(rows(demo_engine, Message.direction, Message.pricing_category, Message.billable).__iter__())
    assert {(str(d), c, b) for d, c, b in billing} == {
        ("inbound", None, None),
        ("outbound", "service", False),
        ("outbound", "utility", True),
        ("outbound", "authentication", True),
        ("outbound", "marketing", True),
    }


def test_delivery_timestamps_follow_the_status(demo_engine):
    outbound = rows(demo_engine, Message.__table__, where=Message.direction == "outbound")
    for message in outbound:
        status = str(message.status)
        assert (message.failed_at is not None) == (status == "failed") == (message.error_code is not None)
        if status == "queued":
            assert message.sent_at is None and message.whatsapp_message_id is None
        if status in ("sent", "delivered", "read"):
            assert message.created_at <= message.sent_at
        if status == "delivered":
            assert message.sent_at <= message.delivered_at and message.read_at is None
        if status == "read":
            assert message.read_at >= (message.delivered_at or message.sent_at)
    read_without_delivery = [m for m in outbound if str(m.status) == "read" and m.delivered_at is None]
    assert 0 < len(read_without_delivery) < 0.02 * len(outbound)


def test_every_message_is_created_sent_delivered_and_read_in_that_order(demo_engine):
    """Whatever its status: a negative wait in the queue, or a read before its delivery, never comes out of the
    demo."""
    messages = rows(demo_engine, Message.__table__)
    out_of_order = []
    for message in messages:
        steps = [message.created_at, message.sent_at, message.delivered_at, message.read_at]
        known = [moment for moment in steps if moment is not None]
        if known != sorted(known) or message.failed_at is not None and message.failed_at < max(known):
            out_of_order.append(message.id)
    assert out_of_order == []
    assert sum(message.sent_at is not None for message in messages) > 1000


def test_failures_carry_the_cloud_apis_error_codes(demo_engine):
    failures = Counter(
        (code, title)
        for code, title in rows(demo_engine, Message.error_code, Message.error_title, where=Message.status == "failed")
    )
    assert all(CLOUD_API_ERRORS[code] == title for code, title in failures)
    codes = Counter(code for (code, _), count in failures.items() for _ in range(count))
    assert codes.most_common(1)[0][0] == 131026  # an unreachable phone is the usual reason
    assert 131049 in codes  # Meta's marketing cap on the campaigns


def test_the_queue_is_alive(demo_engine):
    queued = rows(demo_engine, Message.created_at, where=Message.status == "queued")
    assert len(queued) >= 3
    assert NOW - min(created for (created,) in queued) < timedelta(minutes=10)
    sent_lately = rows(demo_engine, func.count(), where=Message.sent_at > NOW - timedelta(minutes=15))[0][0]
    assert sent_lately > 0


def test_whatsapp_message_ids_look_like_whatsapps(demo_engine):
    ids = [wamid for (wamid,) in rows(demo_engine, Message.whatsapp_message_id) if wamid is not None]
    assert all(wamid.startswith("wamid.") and len(wamid) > 40 for wamid in ids)
    assert len(set(ids)) == len(ids)


def test_numbers_include_one_reconnecting_and_one_offline(demo_engine):
    sessions = {str(row.status): row for row in rows(demo_engine, WhatsappSession.__table__)}
    assert NOW - sessions["connecting"].last_seen_at < timedelta(minutes=10)
    assert NOW - sessions["disconnected"].last_seen_at > timedelta(days=1)
    assert all(row.phone_number.startswith("+62") for row in sessions.values())


def test_the_bot_settles_some_chats_hands_others_over_and_loses_a_few(conversations):
    engaged = [facts for facts in conversations.values() if facts.bot_engaged]
    bot_only = [facts for facts in engaged if facts.bot_only]
    assert any(facts.row.resolved_at is not None for facts in bot_only)
    assert any(facts.row.escalated_at is not None for facts in engaged)
    # Taken over by an agent without a recorded hand-off.
    assert any(facts.escalated and facts.row.escalated_at is None for facts in engaged)
    # The bot's messages make a chat bot-engaged even when the CRM cleared the flag.
    assert any(facts.bot_engaged and not facts.row.handled_by_bot for facts in engaged)
    dropped = [
        facts
        for facts in bot_only
        if facts.row.resolved_at is None
        and facts.last_sender == "bot"
        and max(at for at, _ in facts.senders) < NOW - timedelta(hours=1)
    ]
    assert dropped
    assert 0.3 < len(bot_only) / len(engaged) < 0.8


def test_satisfaction_is_highest_with_people_and_lowest_after_a_hand_off(conversations):
    scores = defaultdict(list)
    for facts in conversations.values():
        if facts.row.csat_score is not None:
            kind = "human" if not facts.bot_engaged else "bot" if facts.bot_only else "hybrid"
            scores[kind].append(facts.row.csat_score)
    assert statistics.mean(scores["hybrid"]) < statistics.mean(scores["bot"]) < statistics.mean(scores["human"])


def test_first_responses_mostly_come_within_minutes_with_a_long_tail(conversations):
    seconds = [f.first_response_seconds for f in conversations.values() if f.needs_human]
    answered = [value for value in seconds if value is not None]
    assert 60 < statistics.median(answered) < SLA_SECONDS
    assert max(answered) > 3600
    assert 0.5 < sum(value <= SLA_SECONDS for value in answered) / len(answered) < 0.95


def test_a_few_chats_are_never_answered(conversations):
    unanswered = [
        facts for facts in conversations.values() if facts.needs_human and facts.first_response_seconds is None
    ]
    still_open = [facts for facts in unanswered if facts.row.resolved_at is None]
    assert any(NOW - facts.c0 > timedelta(seconds=SLA_SECONDS) for facts in still_open)
    assert any(facts.row.resolved_at is not None for facts in unanswered)  # closed without any agent reply
    assert len(unanswered) < 0.1 * sum(facts.needs_human for facts in conversations.values())


def test_status_follows_time(conversations):
    for facts in conversations.values():
        row = facts.row
        assert (row.resolved_at is not None) == (str(row.status) in ("resolved", "closed"))
        assert row.resolved_at is None or row.resolved_at >= row.created_at
    old = [f.row for f in conversations.values() if f.row.created_at < NOW - timedelta(days=2)]
    recent = [f.row for f in conversations.values() if f.c0 is not None and f.c0 > NOW - timedelta(minutes=15)]
    assert sum(str(row.status) in ("resolved", "closed") for row in old) > 0.85 * len(old)
    assert sum(str(row.status) in ("open", "pending") for row in recent) > 0.5 * len(recent)


def test_assignees_work_in_the_conversations_team_and_a_few_chats_wait_unassigned(demo_engine, conversations):
    team_of = dict(rows(demo_engine, User.id, User.team_id))
    assigned = [f.row for f in conversations.values() if f.row.assigned_to is not None]
    assert all(team_of[row.assigned_to] == row.team_id for row in assigned)
    human = [f for f in conversations.values() if f.needs_human and f.row.broadcast_id is None]
    unassigned = [f for f in human if f.row.assigned_to is None]
    assert 0 < len(unassigned) < 0.1 * len(human)


def test_each_person_on_shift_has_one_open_status_log_their_latest(demo_engine):
    logs = defaultdict(list)
    for row in rows(demo_engine, AgentActivityLog.__table__):
        logs[row.agent_id].append(row)
    staff = {user_id for (user_id,) in rows(demo_engine, User.id, where=User.role.in_(("agent", "supervisor")))}
    assert staff <= set(logs)
    for periods in logs.values():
        periods.sort(key=lambda row: row.started_at)
        assert [row.ended_at is None for row in periods].count(True) == 1
        assert periods[-1].ended_at is None
        for before, after in itertools.pairwise(periods):
            assert before.ended_at <= after.started_at
    current = Counter(str(periods[-1].status) for periods in logs.values())
    assert current["online"] > 0 and current["offline"] > 0


def test_customers_come_back(conversations):
    days_by_contact = defaultdict(set)
    for facts in conversations.values():
        days_by_contact[facts.row.contact_id].add(facts.row.created_at.date())
    returning = [days for days in days_by_contact.values() if len(days) >= 2]
    assert len(returning) > 0.15 * len(days_by_contact)


def test_campaign_recipients_write_back_within_72_hours(demo_engine, conversations):
    sent_at = dict(rows(demo_engine, Broadcast.id, Broadcast.created_at))
    replied = {
        facts.row.broadcast_id
        for facts in conversations.values()
        if facts.row.broadcast_id is not None
        and facts.c0 is not None
        and facts.c0 - sent_at[facts.row.broadcast_id] <= timedelta(hours=72)
    }
    assert replied == set(sent_at)


def test_some_won_leads_come_from_campaigns(demo_engine):
    leads = rows(demo_engine, Lead.__table__)
    for lead in leads:
        assert (lead.won_at is not None) == (str(lead.status) == "won")
        assert lead.value is None or lead.value > 0
    assert any(str(lead.status) == "won" and lead.broadcast_id is not None for lead in leads)


def test_ticket_timestamps_follow_the_status(demo_engine):
    for ticket in rows(demo_engine, Ticket.__table__):
        status = str(ticket.status)
        assert (ticket.resolved_at is not None) == (status in ("resolved", "closed"))
        assert (ticket.closed_at is not None) == (status == "closed")
        assert ticket.created_at <= (ticket.resolved_at or NOW) <= (ticket.closed_at or NOW)


@pytest.mark.parametrize("role", ["owner", "admin", "manager", "supervisor", "agent"])
def test_one_sign_in_per_role_whose_password_verifies(demo_engine, role):
    (user,) = rows(demo_engine, User.__table__, where=User.email == f"{role}@demo.pantau.id")
    assert str(user.role) == role and user.is_active
    assert verify_password(user.password_hash, "pantau-demo")
    assert (user.team_id is None) == (role in ("owner", "admin"))


def test_the_sign_in_agent_works_in_the_sign_in_supervisors_team_and_has_chats_today(demo_engine):
    (supervisor_team,) = rows(demo_engine, User.team_id, where=User.email == "supervisor@demo.pantau.id")[0]
    (agent_id, agent_team) = rows(demo_engine, User.id, User.team_id, where=User.email == "agent@demo.pantau.id")[0]
    assert agent_team == supervisor_team
    today = rows(
        demo_engine,
        func.count(),
        where=(Conversation.assigned_to == agent_id) & (Conversation.created_at > NOW - timedelta(hours=7)),
    )[0][0]
    assert today > 0


def test_loading_again_is_refused_and_changes_nothing(demo_engine, demo_password_hash):
    before = fingerprint(stored_rows(demo_engine))
    with pytest.raises(DemoRefused, match="--reset"):
        load(demo_engine, small_generator(demo_password_hash).batches(), reset=False)
    assert fingerprint(stored_rows(demo_engine)) == before


def test_reset_replaces_the_demo_and_keeps_other_users(demo_engine, demo_password_hash):
    with demo_engine.begin() as connection:
        connection.execute(
            insert(User.__table__).values(
                id="owner-own",
                email="pemilik@tokonusantara.co.id",
                full_name="Pemilik Toko",
                role="owner",
                team_id="team-01",
                created_at=NOW,
            )
        )
    load(demo_engine, small_generator(demo_password_hash).batches(), reset=True)
    demo_rows = [
        (table, [row for row in table_rows if row[0] != "owner-own"]) for table, table_rows in stored_rows(demo_engine)
    ]
    assert fingerprint(demo_rows) == fingerprint(generated_rows(small_generator(demo_password_hash).batches()))
    # The operator's own user stays; the team it pointed at was replaced.
    assert rows(demo_engine, User.team_id, where=User.id == "owner-own") == [(None,)]
