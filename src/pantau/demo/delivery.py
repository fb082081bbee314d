"""What happens to an outbound WhatsApp message: queued, sent, delivered, read or failed, with coherent times."""

from __future__ import annotations

import base64
import itertools
import math
import random
from dataclasses import dataclass

from pantau.demo.catalog import (
    INCIDENT_FAILURES,
    MARKETING_FAILURES,
    REENGAGEMENT_FAILURE,
    SERVICE_FAILURES,
    Failure,
)
from pantau.demo.traffic import at

# Per pricing category: chance of failing, of being read, and the median seconds from delivery to reading.
FAILURE_RATE = {"service": 0.008, "utility": 0.012, "authentication": 0.01, "marketing": 0.045}
READ_RATE = {"service": 0.92, "utility": 0.75, "authentication": 0.6, "marketing": 0.55}
READ_DELAY = {"service": 25.0, "utility": 1200.0, "authentication": 8.0, "marketing": 3000.0}
SERVICE_WINDOW = 24 * 3600.0  # free-form messages only within 24 h of the customer's last message
WAMID_HEADER = b"\x15\x02\x00\x12\x18\x20"


@dataclass(frozen=True)
class Incident:
    """A stretch where the platform fails a share of messages (Meta outages and throttling happen)."""

    start: float
    end: float
    failure_rate: float


@dataclass(frozen=True)
class Sender:
    """The business number a message leaves from; while it reconnects, messages wait in the queue."""

    queued_since: float | None = None


def _cumulative(failures: tuple[Failure, ...]) -> tuple[tuple[Failure, ...], list[float]]:
    return failures, list(itertools.accumulate(failure.weight for failure in failures))


_FAILURES = {
    "service": _cumulative(SERVICE_FAILURES),
    "utility": _cumulative(SERVICE_FAILURES),
    "authentication": _cumulative(SERVICE_FAILURES),
    "marketing": _cumulative(MARKETING_FAILURES),
}
_INCIDENT = _cumulative(INCIDENT_FAILURES)


class Delivery:
    """Delivery outcomes up to `now`: a status that has not happened yet is not written."""

    def __init__(self, rng: random.Random, now: float, incidents: list[Incident]) -> None:
        self.rng = rng
        self.now = now
        self.incidents = incidents
        self._sequence = itertools.count(1)

    def wamid(self) -> str:
        """`wamid.` + base64 of a protobuf-style header and a unique 32-digit hex id.

        The id starts with a sequence number: consecutive ids sort near each other, so the unique index takes
        millions of them without touching a random page for each (random ids made loading L several times slower).
        """
        unique = (next(self._sequence) << 80) | self.rng.getrandbits(80)
        return "wamid." + base64.b64encode(WAMID_HEADER + f"{unique:032X}".encode()).decode()

    def outbound(
        self, ts: float, category: str, sender: Sender, last_inbound: float | None, queue_wait: float = 0.0
    ) -> tuple:
        """(status, sent_at, delivered_at, read_at, failed_at, error_code, error_title, whatsapp_message_id).

        `queue_wait`: seconds the message waits behind others (a campaign drains at the sending rate).
        """
        rng = self.rng
        if sender.queued_since is not None and ts >= sender.queued_since:
            return ("queued", None, None, None, None, None, None, None)
        sent = ts + queue_wait + 0.2 + rng.lognormvariate(0, 0.8)
        if sent > self.now:
            return ("queued", None, None, None, None, None, None, None)
        failure = self._failure(ts, category, last_inbound)
        if failure is not None:
            if failure.synchronous:
                return ("failed", None, None, None, at(sent), failure.code, failure.title, None)
            failed = sent + rng.uniform(1, 40)
            wamid = self.wamid()
            if failed > self.now:
                return ("sent", at(sent), None, None, None, None, None, wamid)
            return ("failed", at(sent), None, None, at(failed), failure.code, failure.title, wamid)
        wamid = self.wamid()
        # Most phones are online; some pick the message up hours later.
        delivered = sent + (rng.uniform(0.5, 6) if rng.random() < 0.9 else rng.lognormvariate(math.log(2400), 1.2))
        if delivered > self.now:
            return ("sent", at(sent), None, None, None, None, None, wamid)
        if rng.random() < READ_RATE[category]:
            read = delivered + rng.lognormvariate(math.log(READ_DELAY[category]), 1.1)
            if read <= self.now:
                # Receipts arrive out of order or get lost: now and then a read without a delivered.
                delivered_at = None if rng.random() < 0.005 else at(delivered)
                return ("read", at(sent), delivered_at, at(read), None, None, None, wamid)
        return ("delivered", at(sent), at(delivered), None, None, None, None, wamid)

    def _failure(self, ts: float, category: str, last_inbound: float | None) -> Failure | None:
        rng = self.rng
        if category == "service" and (last_inbound is None or ts - last_inbound > SERVICE_WINDOW):
            return REENGAGEMENT_FAILURE
        for incident in self.incidents:
            if incident.start <= ts < incident.end and rng.random() < incident.failure_rate:
                return rng.choices(_INCIDENT[0], cum_weights=_INCIDENT[1])[0]
        if rng.random() < FAILURE_RATE[category]:
            failures, weights = _FAILURES[category]
            return rng.choices(failures, cum_weights=weights)[0]
        return None
