"""automation-impact's figures that count conversations, by their path in the section's JSON.

Every rate's `total` is the bot-engaged conversations; `topIntents`' bucket is an intent as the JSON names it (the
JSON lists no item for conversations without an intent, so neither does the list).
"""

from sqlalchemy import ColumnElement, Connection, exists
from sqlalchemy.sql import Subquery

from pantau.auth.scope_sql import conversations_in_scope
from pantau.dashboard.drill_down.figures import Figure
from pantau.dashboard.router import SectionRequest
from pantau.metrics.parts import ConversationConditions
from pantau.models import Conversation
from pantau.web.errors import ApiError

conversations = Conversation.__table__


def _bot_engaged(facts: Subquery, counted: ConversationConditions, bucket: str | None) -> ColumnElement[bool]:
    return counted.bot_engaged


def _escalated(facts: Subquery, counted: ConversationConditions, bucket: str | None) -> ColumnElement[bool]:
    return counted.escalated


def _with_intent(facts: Subquery, counted: ConversationConditions, bucket: str | None) -> ColumnElement[bool]:
    return facts.c.intent == bucket


def intent_in_scope(connection: Connection, checked: SectionRequest, figure: str, bucket: str) -> None:
    """An intent some conversation in the caller's scope carries, at any time (its list in a range may be empty);
    any other is unknown: 400, whether or not conversations outside the scope carry it."""
    known = exists().where(conversations.c.intent == bucket, conversations_in_scope(checked.scope))
    if not connection.execute(known.select()).scalar():
        raise ApiError(400, "invalid_parameter", f"bucket: {figure} has no intent {bucket!r}")


FIGURES: dict[str, Figure] = {
    "chatbotVsHuman.chatbot": Figure(lambda facts, counted, bucket: counted.bot_only),
    "chatbotVsHuman.hybrid": Figure(_escalated),
    "chatbotVsHuman.human": Figure(lambda facts, counted, bucket: counted.human_only),
    "autoReplySuccess.total": Figure(_bot_engaged),
    "autoReplySuccess.successful": Figure(lambda facts, counted, bucket: counted.resolved_by_bot),
    "dropOffRate.total": Figure(_bot_engaged),
    "dropOffRate.dropped": Figure(lambda facts, counted, bucket: counted.dropped),
    "escalationRate.total": Figure(_bot_engaged),
    "escalationRate.escalated": Figure(_escalated),
    "topIntents": Figure(_with_intent, intent_in_scope),
}
