"""The shop the page tests open: five weeks of a small WhatsApp customer service, running up to the moment it is
planted, so every section of the page has something to show under every range.

People (ids are first names in lower case; everyone signs in with the test password):

    sales "Sales"          Sri (supervisor) · Ana, Budi (agents)
    care "Customer care"   Citra, Dewi (agents)
    no team                Olivia (owner)

History: on each of the 34 days before today, three conversations (09:00, 14:00, 20:00 local) taken by the agents
in turn and answered within 15 minutes, and a bot-only one at 11:00; the same twelve customers keep coming back.
Today (squeezed into the part of today that has passed, however little): answered, slow, unanswered, unassigned,
bot-only, escalated and dropped conversations; a broadcast 20 hours ago with read, delivered and failed messages;
queued messages; open tickets of every priority; won leads; agents online, away and offline.

Delivery in the last 24 hours is below 90 %, so the WhatsApp delivery alert is on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pantau.core.windows import local_date, local_midnight
from tests.support.auth import PASSWORD_HASH
from tests.support.builders import DEFAULT_ZONE, Dataset

SALES = "sales"
CARE = "care"

# The user each role signs in as.
SIGN_INS = {"owner": "olivia", "supervisor": "sri", "agent": "ana"}

AGENTS = (("ana", SALES), ("budi", SALES), ("citra", CARE), ("dewi", CARE))
INTENTS = ("order_status", "pricing", "shipping", "refund")


class Shop:
    """The moment the shop is planted at, its customers, and the kinds of conversation the planting steps repeat."""

    def __init__(self, data: Dataset, now: datetime) -> None:
        self.data = data
        self.now = now
        zone = ZoneInfo(DEFAULT_ZONE)
        self.zone = zone
        self.today_start = local_midnight(local_date(now, zone), zone)
        self.contacts: list[str] = []

    def today(self, minutes_ago: float) -> datetime:
        """`minutes_ago` before now, scaled into today when less than three hours of today have passed."""
        elapsed = self.now - self.today_start
        wanted = timedelta(minutes=minutes_ago)
        if elapsed < timedelta(hours=3):
            wanted = elapsed * (minutes_ago / 180)
        return max(self.now - wanted, self.today_start)

    def after(self, moment: datetime, seconds: float) -> datetime:
        """`seconds` after `moment`, but never later than now."""
        return min(moment + timedelta(seconds=seconds), moment + (self.now - moment) * 0.9)

    def day_at(self, days_ago: int, hour: int) -> datetime:
        day = local_date(self.now, self.zone) - timedelta(days=days_ago)
        return local_midnight(day, self.zone) + timedelta(hours=hour)

    def contact(self, index: int) -> str:
        return self.contacts[index % len(self.contacts)]

    def answered(
        self,
        created: datetime,
        agent: str,
        team: str,
        seconds: float,
        *,
        contact: int,
        resolved: bool,
        csat: int | None = None,
        status: str = "read",
    ) -> str:
        resolved_at = self.after(created, seconds + 1800) if resolved else None
        conversation = self.data.make_conversation(
            created,
            contact=self.contact(contact),
            team=team,
            assigned_to=agent,
            whatsapp_session="wa-main",
            status="resolved" if resolved else "open",
            resolved_at=resolved_at,
            csat_score=csat,
        )
        reply = self.after(created, seconds)
        self.data.make_message(
            conversation,
            reply,
            sender="agent",
            sender_id=agent,
            status=status,
            sent_at=reply,
            delivered_at=reply,
            read_at=reply if status == "read" else None,
            pricing_category="service",
            billable=True,
        )
        return conversation

    def bot_only(self, created: datetime, intent: str, *, contact: int, resolved: bool) -> str:
        """A conversation of the care team's chatbot that no human took part in."""
        conversation = self.data.make_conversation(
            created,
            contact=self.contact(contact),
            team=CARE,
            handled_by_bot=True,
            intent=intent,
            whatsapp_session="wa-main",
            status="resolved" if resolved else "open",
            resolved_at=self.after(created, 300) if resolved else None,
            csat_score=4 if resolved else None,
        )
        reply = self.after(created, 5)
        self.data.make_message(
            conversation, reply, sender="bot", status="read", sent_at=reply, read_at=reply, is_auto_reply=True
        )
        return conversation


def plant_shop(data: Dataset, now: datetime) -> None:
    shop = Shop(data, now)
    people(shop)
    history(shop)
    today(shop)
    whatsapp(shop)
    tickets_and_leads(shop)
    activity(shop)


def people(shop: Shop) -> None:
    data = shop.data
    data.make_team("Sales", id=SALES)
    data.make_team("Customer care", id=CARE)
    data.make_user("owner", id="olivia", name="Olivia Hartono", password_hash=PASSWORD_HASH)
    data.make_user("supervisor", id="sri", name="Sri Wahyuni", team=SALES, password_hash=PASSWORD_HASH)
    names = {"ana": "Ana Putri", "budi": "Budi Santoso", "citra": "Citra Lestari", "dewi": "Dewi Anggraini"}
    for agent, team in AGENTS:
        data.make_user("agent", id=agent, name=names[agent], team=team, password_hash=PASSWORD_HASH)
    customers = ("Rina", "Agus", "Wati", "Joko", "Sinta", "Bayu", "Lina", "Eko", "Putu", "Yanti", "Hadi", "Nur")
    shop.contacts = [
        data.make_contact(id=f"contact-{index}", name=name, phone=f"+628120000{index:04d}")
        for index, name in enumerate(customers, start=1)
    ]
    for session, name, phone, status, quality, minutes_ago in (
        ("wa-main", "Main line", "+62215550100", "connected", "GREEN", 1),
        ("wa-promo", "Promo line", "+62215550200", "connected", "YELLOW", 20),
        ("wa-backup", "Backup line", "+62215550300", "disconnected", "RED", 2 * 24 * 60),
    ):
        data.make_whatsapp_session(
            id=session,
            display_name=name,
            phone=phone,
            status=status,
            quality_rating=quality,
            last_seen_at=shop.now - timedelta(minutes=minutes_ago),
        )


def history(shop: Shop) -> None:
    turn = 0
    for days_ago in range(34, 0, -1):
        for hour in (9, 14, 20):
            agent, team = AGENTS[turn % len(AGENTS)]
            seconds = 60 + (turn * 137) % 840
            shop.answered(
                shop.day_at(days_ago, hour), agent, team, seconds, contact=turn, resolved=True, csat=3 + turn % 3
            )
            turn += 1
        shop.bot_only(
            shop.day_at(days_ago, 11), INTENTS[days_ago % len(INTENTS)], contact=days_ago, resolved=days_ago % 3 != 0
        )


def today(shop: Shop) -> None:
    data = shop.data
    shop.answered(shop.today(150), "ana", SALES, 45, contact=0, resolved=True, csat=5)
    shop.answered(shop.today(120), "ana", SALES, 200, contact=1, resolved=False)
    data.make_conversation(
        shop.today(30), contact=shop.contact(2), team=SALES, assigned_to="ana", whatsapp_session="wa-main"
    )
    shop.answered(shop.today(110), "budi", SALES, 30, contact=3, resolved=True, csat=5)
    shop.answered(shop.today(90), "budi", SALES, 120, contact=4, resolved=True, csat=4, status="delivered")
    shop.answered(shop.today(100), "citra", CARE, 600, contact=5, resolved=False)
    shop.answered(shop.today(170), "citra", CARE, 1800, contact=6, resolved=True, csat=2)
    data.make_conversation(
        shop.today(3),
        contact=shop.contact(7),
        team=CARE,
        assigned_to="dewi",
        status="pending",
        whatsapp_session="wa-main",
    )
    data.make_conversation(shop.today(45), contact=shop.contact(8), team=SALES, whatsapp_session="wa-main")
    shop.bot_only(shop.today(80), "order_status", contact=9, resolved=True)
    shop.bot_only(shop.today(60), "pricing", contact=10, resolved=True)
    shop.bot_only(shop.today(160), "shipping", contact=11, resolved=False)
    escalated_at = shop.today(70)
    escalated = data.make_conversation(
        shop.today(75),
        contact=shop.contact(1),
        team=CARE,
        assigned_to="citra",
        handled_by_bot=True,
        escalated_at=escalated_at,
        intent="refund",
        whatsapp_session="wa-main",
        csat_score=3,
    )
    data.make_message(escalated, shop.after(shop.today(75), 5), sender="bot", status="read", is_auto_reply=True)
    data.make_message(escalated, shop.after(escalated_at, 240), sender="agent", sender_id="citra", status="read")


def whatsapp(shop: Shop) -> None:
    data = shop.data
    sent = shop.now - timedelta(hours=20)
    ramadan = data.make_broadcast(
        sent - timedelta(minutes=5), name="Ramadan promo", whatsapp_session="wa-promo", id="bc-ramadan"
    )
    outcomes = ("read", "read", "delivered", "delivered", "failed", "failed")
    for index, outcome in enumerate(outcomes):
        conversation = data.make_conversation(
            sent,
            contact=shop.contact(index),
            team=SALES,
            broadcast=ramadan,
            whatsapp_session="wa-promo",
            inbound_at=None,
            status="closed",
            resolved_at=sent + timedelta(hours=2),
        )
        failed = outcome == "failed"
        data.make_message(
            conversation,
            sent,
            sender="system",
            broadcast=ramadan,
            status=outcome,
            sent_at=None if failed else sent,
            delivered_at=None if failed else sent,
            read_at=sent if outcome == "read" else None,
            failed_at=sent if failed else None,
            error_code=131026 if failed else None,
            error_title="Message undeliverable" if failed else None,
            pricing_category="marketing",
            billable=True,
        )
        if index == 0:
            data.make_message(conversation, sent + timedelta(hours=1), sender="customer")
    data.make_lead(
        sent + timedelta(hours=2),
        status="won",
        value="250.00",
        contact=shop.contact(0),
        broadcast=ramadan,
        won_at=sent + timedelta(hours=3),
    )

    restock = data.make_broadcast(
        shop.day_at(5, 10), name="Restock alert", whatsapp_session="wa-promo", id="bc-restock"
    )
    for index in range(4):
        conversation = data.make_conversation(
            shop.day_at(5, 10),
            contact=shop.contact(index + 6),
            team=CARE,
            broadcast=restock,
            whatsapp_session="wa-promo",
            inbound_at=None,
            status="closed",
            resolved_at=shop.day_at(5, 12),
        )
        data.make_message(
            conversation,
            shop.day_at(5, 10),
            sender="system",
            broadcast=restock,
            status="read",
            sent_at=shop.day_at(5, 10),
            read_at=shop.day_at(5, 11),
            pricing_category="marketing",
            billable=True,
        )

    waiting = data.make_conversation(
        shop.today(20),
        contact=shop.contact(3),
        team=SALES,
        assigned_to="budi",
        whatsapp_session="wa-main",
        inbound_at=None,
    )
    data.make_message(
        waiting,
        shop.today(15),
        sender="system",
        status="failed",
        failed_at=shop.today(14),
        error_code=131047,
        error_title="Re-engagement message",
    )
    data.make_message(waiting, shop.today(6), sender="system", status="queued")
    data.make_message(waiting, shop.today(4), sender="system", status="queued")
    data.make_message(waiting, shop.today(12), sender="system", status="sent", sent_at=shop.today(5))


def tickets_and_leads(shop: Shop) -> None:
    data = shop.data
    for priority, status, agent, team in (
        ("urgent", "open", "ana", SALES),
        ("high", "in_progress", "budi", SALES),
        ("medium", "open", "citra", CARE),
        ("low", "open", "dewi", CARE),
    ):
        data.make_ticket(shop.today(100), priority=priority, status=status, assigned_to=agent, team=team)
    data.make_ticket(shop.day_at(2, 10), priority="high", status="open", assigned_to="ana", team=SALES)
    data.make_ticket(
        shop.day_at(1, 9),
        priority="medium",
        status="resolved",
        assigned_to="budi",
        team=SALES,
        resolved_at=shop.today(50),
    )
    for days_ago in (3, 9, 20):
        data.make_ticket(
            shop.day_at(days_ago + 1, 10),
            priority="low",
            status="closed",
            assigned_to="citra",
            team=CARE,
            resolved_at=shop.day_at(days_ago, 10),
            closed_at=shop.day_at(days_ago, 11),
        )
    for days_ago, status, value in (
        (2, "won", "120.50"),
        (6, "won", "80.00"),
        (12, "qualified", None),
        (25, "new", None),
        (40, "won", "310.00"),
    ):
        created = shop.day_at(days_ago, 15)
        won_at = created + timedelta(hours=4) if status == "won" else None
        data.make_lead(created, status=status, value=value, contact=shop.contact(days_ago), won_at=won_at)


def activity(shop: Shop) -> None:
    data = shop.data
    for agent, status, minutes in (
        ("ana", "online", 120),
        ("budi", "away", 15),
        ("citra", "online", 300),
        ("sri", "online", 60),
    ):
        data.make_activity(agent, "online", shop.now - timedelta(hours=30), shop.now - timedelta(hours=22))
        data.make_activity(agent, status, shop.now - timedelta(minutes=minutes))
    data.make_activity("dewi", "online", shop.now - timedelta(hours=6), shop.now - timedelta(hours=1))
    data.make_activity("dewi", "offline", shop.now - timedelta(hours=1), shop.now - timedelta(minutes=30))
