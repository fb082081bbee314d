"""kpi's figures with a list, by their path in the section's JSON. They count what stands now, not today's cohort:
the conversations open or pending now, and the tickets open now, whenever they were created. The open tickets' lists
hold the tickets, one row each, with the conversation behind each beside it when the caller may see it."""

from sqlalchemy import true

from pantau.dashboard.drill_down.figures import Drawn, Figure
from pantau.dashboard.kpi import PRIORITIES, active_now, behind_open_tickets, open_tickets_in


def _status_is(status: str) -> Figure:
    return Figure(
        lambda facts, counted, bucket: facts.c.status == status,
        population=lambda ctx, bucket: Drawn(active_now(ctx.scope)),
    )


def _tickets_of(priority: str | None) -> Figure:
    return Figure(
        lambda facts, counted, bucket: true(),
        population=lambda ctx, bucket: Drawn(behind_open_tickets(ctx.scope, priority)),
        tickets=lambda scope: open_tickets_in(scope, priority),
    )


FIGURES: dict[str, Figure] = {
    "activeConversations.value": Figure(
        lambda facts, counted, bucket: true(), population=lambda ctx, bucket: Drawn(active_now(ctx.scope))
    ),
    "activeConversations.byStatus.open": _status_is("open"),
    "activeConversations.byStatus.pending": _status_is("pending"),
    "openTickets.value": _tickets_of(None),
    **{f"openTickets.byPriority.{priority}": _tickets_of(priority) for priority in PRIORITIES},
}
