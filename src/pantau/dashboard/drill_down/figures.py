"""What a drill-down figure is: the condition its list puts on the conversation facts, for a figure inside a list
the check of the bucket asked for and, for a figure whose conversations are not the range's cohort narrowed by that
condition alone, the conversations its list is drawn from. Each section declares its figures in a module of this
package."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.sql import Subquery

from pantau.auth.scope import Scope
from pantau.dashboard.context import SectionContext
from pantau.dashboard.per_agent import people_with
from pantau.dashboard.router import SectionRequest
from pantau.metrics.facts import Narrowing
from pantau.metrics.parts import ConversationConditions
from pantau.models import User
from pantau.web.errors import ApiError

users = User.__table__

# The list of a figure: the condition on the facts, given the counted conditions and the bucket (checked already).
Condition = Callable[[Subquery, ConversationConditions, str | None], ColumnElement[bool]]
# For a figure inside a list: checks the bucket asked for (connection, the checked request, figure, bucket), raising
# ApiError 400 naming an unknown bucket, 403 for one outside the caller's scope.
BucketCheck = Callable[[Connection, SectionRequest, str, str], None]


@dataclass(frozen=True)
class Drawn:
    """The conversations a figure's list is drawn from: those `conversations` selects (a condition on the
    `conversations` table, scope included) whose facts `among` keeps (None: all of them)."""

    conversations: ColumnElement[bool]
    among: Narrowing | None = None


# For a figure that does not count the range's cohort: counted over other hours (a bucket of the range, another
# window), judged by what lies before the range (a contact's history) or by messages (a campaign's responders).
# Given the checked request on a connection and the bucket (checked already), the conversations the list is drawn
# from; may raise ApiError 400 naming a bucket the request's window has not.
Population = Callable[[SectionContext, str | None], Drawn]

# For a figure that counts tickets (kpi's open tickets): the tickets it counts in a scope, a condition on the
# `tickets` table, scope included. Its list holds one row per ticket, with the conversation behind it beside it.
Tickets = Callable[[Scope], ColumnElement[bool]]


@dataclass(frozen=True)
class Figure:
    condition: Condition
    bucket: BucketCheck | None = None  # None: the figure has no buckets
    population: Population | None = None  # None: the range's cohort in the scope
    tickets: Tickets | None = None  # None: the list holds conversations; else the tickets, each beside its conversation

    @property
    def bucketed(self) -> bool:
        return self.bucket is not None


def one_of(names: tuple[str, ...]) -> BucketCheck:
    """A bucket that must be one of `names`, as the section's JSON spells them."""

    def check(connection: Connection, checked: SectionRequest, figure: str, bucket: str) -> None:
        if bucket not in names:
            raise ApiError(
                400, "invalid_parameter", f"bucket: {figure} has no bucket {bucket!r}; use one of {', '.join(names)}"
            )

    return check


def agent_in_scope(connection: Connection, checked: SectionRequest, figure: str, bucket: str) -> None:
    """A bucket naming a person: 403 for one outside the scope, 400 for nobody Pantau knows."""
    if connection.execute(select(people_with(checked.scope).where(users.c.id == bucket).exists())).scalar():
        return
    if connection.execute(select(users.c.id).where(users.c.id == bucket)).first() is not None:
        raise ApiError(403, "forbidden", f"bucket: {bucket!r} is outside your scope")
    raise ApiError(400, "invalid_parameter", f"bucket: {figure} has no agent {bucket!r}")
