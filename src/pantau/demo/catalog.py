"""The demo shop's vocabulary: names, numbers, teams, intents, campaigns and WhatsApp's own error codes."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_EMAIL_DOMAIN = "demo.pantau.id"
DEMO_PASSWORD = "pantau-demo"

FEMALE_FIRST_NAMES = (
    "Siti",
    "Dewi",
    "Ayu",
    "Putri",
    "Rina",
    "Wulan",
    "Fitri",
    "Indah",
    "Nur",
    "Sri",
    "Ratna",
    "Yuliana",
    "Maya",
    "Intan",
    "Dian",
    "Anisa",
    "Nadia",
    "Citra",
    "Eka",
    "Kartika",
    "Rahma",
    "Novita",
    "Lia",
    "Vina",
    "Tika",
    "Mega",
    "Salsabila",
    "Aulia",
    "Nabila",
    "Zahra",
)
MALE_FIRST_NAMES = (
    "Budi",
    "Agus",
    "Andi",
    "Joko",
    "Rizky",
    "Dimas",
    "Eko",
    "Hendra",
    "Fajar",
    "Bayu",
    "Arif",
    "Yusuf",
    "Ahmad",
    "Teguh",
    "Wahyu",
    "Hadi",
    "Irfan",
    "Reza",
    "Gilang",
    "Adi",
    "Bambang",
    "Dedi",
    "Yoga",
    "Rudi",
    "Taufik",
    "Iwan",
    "Fikri",
    "Galih",
    "Hafiz",
    "Kevin",
)
FAMILY_NAMES = (
    "Santoso",
    "Wijaya",
    "Hidayat",
    "Kusuma",
    "Nugroho",
    "Setiawan",
    "Wibowo",
    "Siregar",
    "Nasution",
    "Harahap",
    "Simanjuntak",
    "Gunawan",
    "Halim",
    "Susanto",
    "Rahman",
    "Kurniawan",
    "Permana",
    "Purnomo",
    "Suryadi",
    "Lubis",
    "Situmorang",
    "Hakim",
    "Hasibuan",
    "Tanjung",
    "Sembiring",
    "Manurung",
    "Pangestu",
    "Sutanto",
)
FEMALE_SECOND_NAMES = ("Lestari", "Utami", "Maharani", "Anggraini", "Wulandari", "Sari", "Permatasari", "Rahmawati")
MALE_SECOND_NAMES = ("Saputra", "Pratama", "Putra", "Ramadhan", "Firmansyah", "Hermawan", "Syahputra", "Prasetyo")

# Indonesian mobile prefixes after +62 (Telkomsel, Indosat, XL/Axis, Tri, Smartfren).
MOBILE_PREFIXES = (
    "811",
    "812",
    "813",
    "821",
    "822",
    "823",
    "851",
    "852",
    "853",
    "814",
    "815",
    "816",
    "855",
    "856",
    "857",
    "858",
    "817",
    "818",
    "819",
    "859",
    "877",
    "878",
    "831",
    "838",
    "895",
    "896",
    "897",
    "898",
    "899",
    "881",
    "882",
    "888",
)
CONTACT_TAGS = ("pelanggan-setia", "reseller", "member-gold", "jabodetabek", "luar-jawa", "cod", "marketplace")

TEAM_NAMES = (
    "CS Reguler",
    "Billing & Pembayaran",
    "Logistik & Pengiriman",
    "Retur & Refund",
    "Sales & Promo",
    "CS Marketplace",
    "CS Prioritas",
    "Reseller & Grosir",
    "Komplain & Eskalasi",
    "CS Korporat",
)


@dataclass(frozen=True)
class Shift:
    """A duty window that starts at a local hour; `malam` runs past midnight."""

    name: str
    start_hour: int
    hours: int


MORNING = Shift("pagi", 7, 8)
AFTERNOON = Shift("siang", 12, 8)
NIGHT = Shift("malam", 20, 8)
OFFICE = Shift("kantor", 8, 9)
# How a team's agents spread over the shifts: the overlap 12-15 covers the afternoon peak, a few cover the night.
AGENT_SHIFTS = (MORNING, AFTERNOON, MORNING, AFTERNOON, NIGHT, MORNING, AFTERNOON, MORNING, NIGHT, AFTERNOON)


@dataclass(frozen=True)
class WhatsappNumber:
    phone_number: str
    display_name: str
    status: str
    quality_rating: str
    messaging_limit: int | None
    routing_weight: int  # share of new customer chats arriving on this number


# The first three give every status even on the smallest demo; `Nusantara Promo` sends the broadcasts when present.
WHATSAPP_NUMBERS = (
    WhatsappNumber("+6281120008800", "Toko Nusantara Official", "connected", "GREEN", 100_000, 50),
    WhatsappNumber("+6281120008811", "Nusantara Care", "connecting", "YELLOW", 10_000, 25),
    WhatsappNumber("+6281120008822", "Nusantara Lama", "disconnected", "RED", 1_000, 15),
    WhatsappNumber("+6281120008833", "Nusantara Promo", "connected", "GREEN", 10_000, 0),
    WhatsappNumber("+6281120008844", "Nusantara Reseller", "connected", "YELLOW", 1_000, 10),
    WhatsappNumber("+6281120008855", "Nusantara Korporat", "connected", "GREEN", None, 5),
)
BROADCAST_NUMBER = "Nusantara Promo"


@dataclass(frozen=True)
class Intent:
    """What a customer writes about, and how that topic tends to go."""

    name: str
    weight: float
    bot_only: float  # of bot-engaged chats, the share the bot settles alone
    dropped: float  # of bot-engaged chats, the share where the customer goes silent after the bot
    ticket: float  # chance an agent opens a ticket
    lead: float  # chance the chat becomes a sales lead
    complaint: bool = False  # tickets lean to high and urgent


INTENTS = (
    Intent("order_status", 22, 0.62, 0.08, 0.04, 0.0),
    Intent("payment_confirmation", 14, 0.45, 0.07, 0.03, 0.0),
    Intent("product_availability", 12, 0.40, 0.09, 0.0, 0.18),
    Intent("shipping_cost", 10, 0.70, 0.10, 0.0, 0.10),
    Intent("promo_info", 9, 0.66, 0.12, 0.0, 0.15),
    Intent("refund_request", 7, 0.10, 0.05, 0.35, 0.0, complaint=True),
    Intent("complaint", 7, 0.06, 0.04, 0.45, 0.0, complaint=True),
    Intent("account_help", 6, 0.35, 0.08, 0.08, 0.0),
    Intent("store_hours", 4, 0.85, 0.08, 0.0, 0.0),
    Intent("change_address", 4, 0.30, 0.06, 0.05, 0.0),
    Intent("cancel_order", 3, 0.20, 0.06, 0.15, 0.0),
    Intent("warranty_claim", 2, 0.08, 0.05, 0.40, 0.0, complaint=True),
)
# What people write back about after a promotion, with weights.
BROADCAST_REPLY_INTENTS = {"promo_info": 60, "product_availability": 30, "shipping_cost": 10}


@dataclass(frozen=True)
class Failure:
    """A WhatsApp Cloud API error. `synchronous`: refused when sending (no sent_at, no wamid); else a failed webhook."""

    code: int
    title: str
    weight: float
    synchronous: bool


# Replies inside the customer service window: mostly unreachable phones, some platform hiccups.
SERVICE_FAILURES = (
    Failure(131026, "Message undeliverable", 50, False),
    Failure(131000, "Something went wrong", 12, False),
    Failure(131053, "Media upload error", 9, False),
    Failure(131016, "Service unavailable", 8, True),
    Failure(130429, "Rate limit hit", 6, True),
    Failure(131051, "Unsupported message type", 5, True),
)
# Marketing templates: Meta's per-user marketing cap dominates.
MARKETING_FAILURES = (
    Failure(131049, "This message was not delivered to maintain healthy ecosystem engagement.", 45, False),
    Failure(131026, "Message undeliverable", 25, False),
    Failure(131048, "Spam rate limit hit", 8, True),
    Failure(131056, "(Business Account, Consumer Account) pair rate limit hit", 6, True),
    Failure(130429, "Rate limit hit", 6, True),
    Failure(131000, "Something went wrong", 4, False),
    Failure(132001, "Template does not exist", 2, True),
)
# A platform incident: the API answers with outages and throttling for a while.
INCIDENT_FAILURES = (
    Failure(131016, "Service unavailable", 55, True),
    Failure(131000, "Something went wrong", 30, False),
    Failure(130429, "Rate limit hit", 15, True),
)
# A free-form message more than 24 h after the customer last wrote.
REENGAGEMENT_FAILURE = Failure(131047, "Re-engagement message", 1, False)


@dataclass(frozen=True)
class Campaign:
    name: str
    template_name: str


# Weekly campaigns: new arrivals on Tuesday morning, weekend deals on Friday afternoon.
TUESDAY_CAMPAIGNS = (
    Campaign("Koleksi Baru Minggu Ini", "promo_koleksi_baru_v3"),
    Campaign("Produk Terlaris Pekan Ini", "promo_terlaris_v2"),
    Campaign("Bundling Hemat", "promo_bundling_v1"),
    Campaign("Voucher Cashback 20%", "promo_cashback_v2"),
)
FRIDAY_CAMPAIGNS = (
    Campaign("Diskon Akhir Pekan", "promo_weekend_v4"),
    Campaign("Gratis Ongkir Jumat Berkah", "promo_ongkir_v2"),
    Campaign("Weekend Sale Serba 50rb", "promo_serba50_v1"),
)
MONTH_NAMES = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
PAYDAY = 25  # most salaries land on the 25th: "Promo Gajian"
