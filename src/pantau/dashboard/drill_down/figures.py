"""What a drill-down figure is: the condition its list puts on the conversation facts, for a figure inside a list
the check of the bucket asked for and, for a figure that counts what stands now rather than a range's cohort, the
conversations it counts among. Each section declares its figures in a module of this package."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.sql import Subquery

from pantau.auth.scope import Scope
from pantau.core.windows import Window
from pantau.dashboard.per_agent import people_with
from pantau.metrics.parts import ConversationConditions
from pantau.models import User
from pantau.web.errors import ApiError

users = User.__table__

# The list of a figure: the condition on the facts, given the counted conditions and the bucket (checked already).
Condition = Callable[[Subquery, ConversationConditions, str | None], ColumnElement[bool]]
# For a figure inside a list: checks the bucket asked for (connection, scope, figure, bucket), raising ApiError 400
# naming an unknown bucket, 403 for one outside the caller's scope.
BucketCheck = Callable[[Connection, Scope, str, str], None]
# The conversations a figure counts among, as a condition on the `conversations` table for the scope and window: the
# range's cohort in scope unless the figure says otherwise (one that counts what is open now, whenever created).
Population = Callable[[Scope, Window], ColumnElement[bool]]


@dataclass(frozen=True)
class Figure:
    condition: Condition
    bucket: BucketCheck | None = None  # None: the figure has no buckets
    population: Population | None = None  # None: the cohort of the window in scope

    @property
    def bucketed(self) -> bool:
        return self.bucket is not None


def one_of(names: tuple[str, ...]) -> BucketCheck:
    """A bucket that must be one of `names`, as the section's JSON spells them."""

    def check(connection: Connection, scope: Scope, figure: str, bucket: str) -> None:
        if bucket not in names:
            raise ApiError(
                400, "invalid_parameter", f"bucket: {figure} has no bucket {bucket!r}; use one of {', '.join(names)}"
            )

    return check


def agent_in_scope(connection: Connection, scope: Scope, figure: str, bucket: str) -> None:
    """A bucket naming a person: 403 for one outside the scope, 400 for nobody Pantau knows."""
    if connection.execute(select(people_with(scope).where(users.c.id == bucket).exists())).scalar():
        return
    if connection.execute(select(users.c.id).where(users.c.id == bucket)).first() is not None:
        raise ApiError(403, "forbidden", f"bucket: {bucket!r} is outside your scope")
    raise ApiError(400, "invalid_parameter", f"bucket: {figure} has no agent {bucket!r}")
