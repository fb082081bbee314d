"""agent-productivity's per-agent counts with a list: `figure=agentMetrics.<count>&bucket=<agentId>`. Chats handled
and resolved are the person's share of the range's cohort (as in conversation-effectiveness); the open load is what
is assigned to them and open or pending now, whenever created."""

from sqlalchemy import and_

from pantau.dashboard.drill_down.figures import Drawn, Figure, agent_in_scope
from pantau.dashboard.kpi import active_now

FIGURES: dict[str, Figure] = {
    "agentMetrics.chatsHandled": Figure(lambda facts, counted, bucket: facts.c.assigned_to == bucket, agent_in_scope),
    "agentMetrics.resolved": Figure(
        lambda facts, counted, bucket: and_(facts.c.assigned_to == bucket, counted.resolved), agent_in_scope
    ),
    "agentMetrics.openLoad": Figure(
        lambda facts, counted, bucket: facts.c.assigned_to == bucket,
        agent_in_scope,
        population=lambda ctx, bucket: Drawn(active_now(ctx.scope)),
    ),
}
