"""Wide values on top of the shop (tests/web/shop.py), for the tests that check no table cuts a value: long names of
a team, a person, a broadcast, a WhatsApp session and an intent, a long error title and a ten-digit error code, and
counts and money with many digits.

Today: 1,234 open conversations of a team with a long name, assigned to its one agent, who has a long name (half of
them escalated from the bot with a long intent); 21 hours ago a broadcast with a long name on a session with a long
name, whose 1,020 messages failed with that error; a lead worth Rp 987,654,321 won from it.
"""

from __future__ import annotations

from datetime import timedelta

from tests.web.shop import Shop, plant_shop

LONG_TEAM = "long-team"
LONG_AGENT = "raden"
LONG_AGENT_NAME = "Raden Roro Kusumawardhani Setyaningrum Prameswari"
OPEN_CHATS = 1234
FAILED_BROADCAST_MESSAGES = 1020
LONG_ERROR_CODE = 1310530017
LONG_ERROR_TITLE = "Media upload error: the media could not be downloaded from the URL given (the host answered 404)"
LONG_BROADCAST = "Promo Gajian Akhir Bulan — Diskon 50% Semua Produk Fashion, Elektronik & Perlengkapan Rumah"


def plant_wide_shop(data, now) -> None:
    """The shop, then the wide values, on the same dataset (its ids stay unique)."""
    plant_shop(data, now)
    shop = Shop(data, now)
    shop.contacts = [
        data.make_contact(id=f"wide-contact-{index}", name=name, phone=f"+6281299990{index:03d}")
        for index, name in enumerate(("Kusumaningtyas Wulandari Putri", "Muhammad Rizky Pratama"), start=1)
    ]
    data.make_team("Layanan pelanggan wilayah Jabodetabek, Jawa Barat dan Banten", id=LONG_TEAM)
    data.make_user("agent", id=LONG_AGENT, name=LONG_AGENT_NAME, team=LONG_TEAM)
    data.make_activity(LONG_AGENT, "online", now - timedelta(hours=30, minutes=58))
    data.make_whatsapp_session(
        id="wa-long",
        display_name="Toko Nusantara Official — Layanan Pelanggan dan Penjualan Grosir",
        phone="+622155501234567",
        status="connecting",
        quality_rating="YELLOW",
        last_seen_at=now - timedelta(minutes=3),
    )
    for index in range(OPEN_CHATS):
        data.make_conversation(
            shop.today(100 + index % 50),
            contact=shop.contact(index),
            team=LONG_TEAM,
            assigned_to=LONG_AGENT,
            whatsapp_session="wa-long",
            intent="pertanyaan_status_pengiriman_pesanan_internasional" if index % 2 else None,
            handled_by_bot=index % 2 == 1,
            escalated_at=shop.today(99) if index % 2 else None,
        )
    sent = now - timedelta(hours=21)
    promo = data.make_broadcast(sent, name=LONG_BROADCAST, whatsapp_session="wa-long", id="bc-long")
    conversation = data.make_conversation(
        sent, contact=shop.contact(0), team=LONG_TEAM, broadcast=promo, whatsapp_session="wa-long", inbound_at=None
    )
    for _ in range(FAILED_BROADCAST_MESSAGES):
        data.make_message(
            conversation,
            sent,
            sender="system",
            broadcast=promo,
            status="failed",
            failed_at=sent,
            error_code=LONG_ERROR_CODE,
            error_title=LONG_ERROR_TITLE,
        )
    data.make_lead(
        sent + timedelta(hours=1),
        status="won",
        value="987654321.00",
        contact=shop.contact(1),
        broadcast=promo,
        won_at=sent + timedelta(hours=2),
    )
