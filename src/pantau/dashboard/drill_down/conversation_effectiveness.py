"""conversation-effectiveness's figures that count conversations, by their path in the section's JSON."""

from sqlalchemy import ColumnElement, true
from sqlalchemy.sql import Subquery

from pantau.dashboard.drill_down.figures import Figure, agent_in_scope, one_of
from pantau.metrics.parts import DELAY_BUCKETS, ConversationConditions

FIRST_RESPONSE_BUCKETS: tuple[str, ...] = (*(name for name, _, _ in DELAY_BUCKETS), "unanswered")


def _first_response_bucket(facts: Subquery, counted: ConversationConditions, bucket: str | None) -> ColumnElement:
    if bucket == "unanswered":
        return counted.unanswered
    return counted.delays[FIRST_RESPONSE_BUCKETS.index(bucket)]


FIGURES: dict[str, Figure] = {
    "totals.value": Figure(lambda facts, counted, bucket: true()),
    "resolvedVsOpen.resolved": Figure(lambda facts, counted, bucket: counted.resolved),
    "resolvedVsOpen.open": Figure(lambda facts, counted, bucket: counted.open),
    "slaCompliance.compliant": Figure(lambda facts, counted, bucket: counted.compliant),
    "slaCompliance.nonCompliant": Figure(lambda facts, counted, bucket: counted.non_compliant),
    "slaCompliance.pending": Figure(lambda facts, counted, bucket: counted.pending),
    "conversationsPerAgent": Figure(lambda facts, counted, bucket: facts.c.assigned_to == bucket, agent_in_scope),
    "firstResponseDistribution": Figure(_first_response_bucket, one_of(FIRST_RESPONSE_BUCKETS)),
}
